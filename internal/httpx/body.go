package httpx

import (
	"bytes"
	"io"
	"net/http"
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
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	return b, err
}
