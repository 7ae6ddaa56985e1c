package httpx

import (
	"bytes"
	"io"
	"net/http"
	"slices"
)

// maxBuffered bounds how much of an answer readBody holds in memory; the
// APIs' answers are far smaller, and the rest of a larger one is left to
// stream.
const maxBuffered = 16 << 20

// readBody reads resp's body into memory, so that an answer cut off
// midway shows here, where it can be retried, and not later in the
// caller, once the retries are over.
func readBody(resp *http.Response) error {
	if _, err := buffer(resp, maxBuffered); err != nil {
		resp.Body.Close()
		return err
	}
	return nil
}

// buffer reads up to limit bytes of resp's body into memory and puts them
// back in front of the rest, so that whoever reads the body next still
// reads all of it. It returns the bytes read and the error that stopped
// the reading, if one did; a response without a body reads as empty.
func buffer(resp *http.Response, limit int64) ([]byte, error) {
	if resp.Body == nil {
		return nil, nil
	}
	b, err := readAll(io.LimitReader(resp.Body, limit), firstSize(resp, limit))
	held := &held{b: b, rest: resp.Body, whole: err == nil && int64(len(b)) < limit}
	held.r.Reset(b)
	resp.Body = held
	return b, err
}

// firstSize is the buffer an answer is read into first: its length and
// one byte (to meet the end, and at most maxFirst) when the server gave it; for a request that
// sent a body, that body's size, an eighth more and 4 KB, since an API
// answers a request that creates something with what it created
// (Versioner echoes the event's extra_metadata, up to 120 KB; GitHub a
// deployment's payload); else 512 bytes, as io.ReadAll starts. Never more
// than limit and one byte.
func firstSize(resp *http.Response, limit int64) int {
	n := int64(512)
	switch req := resp.Request; {
	case resp.ContentLength >= 0:
		// Trusted only so far before a byte has come: a server that
		// claims 16 MB and sends nothing costs no 16 MB buffer.
		n = min(resp.ContentLength+1, maxFirst)
	case req != nil && req.ContentLength > 0:
		n = req.ContentLength + req.ContentLength/8 + 4<<10
	}
	return int(min(n, limit+1))
}

// maxFirst bounds the first buffer; a longer answer grows it as it comes.
const maxFirst = 1 << 20

// readAll is io.ReadAll starting with a buffer of size bytes: an answer
// that fits is read with no copy and one allocation, where io.ReadAll
// would read 100 KB into a chain of growing chunks and copy them into a
// final buffer (about 240 KB allocated). A buffer that fills up doubles,
// so a guess too short costs about what io.ReadAll's chunks cost.
func readAll(r io.Reader, size int) ([]byte, error) {
	b := make([]byte, 0, max(size, 1))
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, cap(b))
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// held is a body that buffer has read: its bytes, then the rest.
type held struct {
	r     bytes.Reader // over b
	b     []byte
	rest  io.ReadCloser
	whole bool // the rest is empty: b is all of the body
}

func (h *held) Read(p []byte) (int, error) {
	if h.r.Len() > 0 {
		return h.r.Read(p)
	}
	return h.rest.Read(p)
}

func (h *held) Close() error { return h.rest.Close() }

// ReadAll is io.ReadAll(io.LimitReader(resp.Body, limit)), without a
// second copy of an answer the client has already read whole (every
// answer it returns without an error, up to 16 MB): that copy is
// returned, and the body is then read.
func ReadAll(resp *http.Response, limit int64) ([]byte, error) {
	if h, ok := resp.Body.(*held); ok && h.whole && h.r.Len() == len(h.b) && int64(len(h.b)) <= limit {
		h.r.Reset(nil)
		return h.b, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}
