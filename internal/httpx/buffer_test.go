package httpx

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// body is a response body that remembers being closed.
type body struct {
	io.Reader
	closed bool
}

func (b *body) Close() error {
	b.closed = true
	return nil
}

// buffer reads the head of a body and puts it back: what the caller
// reads afterwards is the whole body, or the same bytes and error.
func TestBuffer(t *testing.T) {
	t.Parallel()
	errCut := errors.New("connection reset by peer")
	tests := []struct {
		name     string
		body     io.Reader // nil: no body
		limit    int64
		wantRead string
		wantErr  error
		wantRest string // all the caller reads afterwards
	}{
		{name: "shorter than the limit", body: strings.NewReader("hello"), limit: 10, wantRead: "hello", wantRest: "hello"},
		{name: "exactly the limit", body: strings.NewReader("hello"), limit: 5, wantRead: "hello", wantRest: "hello"},
		{name: "longer than the limit keeps the rest to stream", body: strings.NewReader("0123456789"), limit: 4, wantRead: "0123", wantRest: "0123456789"},
		{name: "empty", body: strings.NewReader(""), limit: 4, wantRead: "", wantRest: ""},
		{name: "broken midway", body: io.MultiReader(strings.NewReader("half"), iotest.ErrReader(errCut)), limit: 10,
			wantRead: "half", wantErr: errCut, wantRest: "half"},
		{name: "no body", limit: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := &http.Response{StatusCode: http.StatusOK}
			var orig *body
			if tt.body != nil {
				orig = &body{Reader: tt.body}
				resp.Body = orig
			}
			got, err := buffer(resp, tt.limit)
			if diff := cmp.Diff(tt.wantRead, string(got)); diff != "" {
				t.Errorf("buffer() read mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("buffer() error = %v, want %v", err, tt.wantErr)
			}
			if orig == nil {
				if resp.Body != nil {
					t.Errorf("buffer() gave a response without a body the body %v", resp.Body)
				}
				return
			}
			rest, err := io.ReadAll(resp.Body)
			if diff := cmp.Diff(tt.wantRest, string(rest)); diff != "" {
				t.Errorf("body read afterwards mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("reading the body afterwards: error = %v, want %v", err, tt.wantErr)
			}
			resp.Body.Close()
			if !orig.closed {
				t.Errorf("closing the buffered body left the original open")
			}
		})
	}
}

// ReadAll reads what io.ReadAll of a limited body reads, whether the
// client holds all of the answer, part of it, or none; afterwards the
// body is read to its end.
func TestReadAll(t *testing.T) {
	t.Parallel()
	errCut := errors.New("connection reset by peer")
	tests := []struct {
		name    string
		body    string
		cut     bool  // the body breaks off after it
		held    int64 // what buffer read first (0: nothing)
		limit   int64
		want    string
		wantErr error
	}{
		{name: "held whole", body: "hello", held: 16, limit: 10, want: "hello"},
		{name: "held whole, longer than the limit", body: "hello", held: 16, limit: 3, want: "hel"},
		{name: "held in part", body: "0123456789", held: 4, limit: 100, want: "0123456789"},
		{name: "held to exactly its length", body: "hello", held: 5, limit: 10, want: "hello"},
		{name: "not held", body: "hello", limit: 10, want: "hello"},
		{name: "held, then cut", body: "hel", cut: true, held: 16, limit: 10, want: "hel", wantErr: errCut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r io.Reader = strings.NewReader(tt.body)
			if tt.cut {
				r = io.MultiReader(r, iotest.ErrReader(errCut))
			}
			resp := &http.Response{Body: &body{Reader: r}}
			if tt.held > 0 {
				buffer(resp, tt.held)
			}
			got, err := ReadAll(resp, tt.limit)
			if string(got) != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("ReadAll() = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
			if rest, _ := io.ReadAll(resp.Body); len(got) == len(tt.body) && len(rest) > 0 {
				t.Errorf("after ReadAll of the whole body, the body still reads %q", rest)
			}
		})
	}
}

// readAll reads what io.ReadAll reads, whatever size it starts with:
// too short, exact, longer, or none.
func TestReadAllSized(t *testing.T) {
	t.Parallel()
	errCut := errors.New("connection reset by peer")
	long := strings.Repeat("0123456789", 1000)
	tests := []struct {
		name    string
		body    string
		cut     bool
		size    int
		wantErr error
	}{
		{name: "empty", body: "", size: 512},
		{name: "empty, no room", body: "", size: 0},
		{name: "fits", body: "hello", size: 512},
		{name: "exactly the size", body: "hello", size: 5},
		{name: "a byte more than its length", body: "hello", size: 6},
		{name: "far too short, grows", body: long, size: 3},
		{name: "one byte at a time", body: long, size: 1},
		{name: "cut", body: long, cut: true, size: 100, wantErr: errCut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r io.Reader = strings.NewReader(tt.body)
			if tt.cut {
				r = io.MultiReader(r, iotest.ErrReader(errCut))
			}
			got, err := readAll(iotest.HalfReader(r), tt.size)
			if diff := cmp.Diff(tt.body, string(got)); diff != "" {
				t.Errorf("readAll() mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("readAll() error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// An answer is read first into a buffer sized by what is known of it: its
// length, else the body it answers (APIs echo what they create), within
// the limit.
func TestFirstSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		length, sent int64 // -1: not known, 0: no body sent
		limit        int64
		want         int
	}{
		{name: "its length, and a byte to meet the end", length: 100, sent: 10, limit: 1 << 20, want: 101},
		{name: "an empty answer", length: 0, limit: 1 << 20, want: 1},
		{name: "chunked, answering a body", length: -1, sent: 100 << 10, limit: 1 << 20, want: 100<<10 + 100<<10/8 + 4<<10},
		{name: "chunked, answering a small body", length: -1, sent: 80, limit: 1 << 20, want: 80 + 10 + 4<<10},
		{name: "chunked, answering a GET", length: -1, limit: 1 << 20, want: 512},
		{name: "never past the limit", length: 5 << 20, limit: 512 << 10, want: 512<<10 + 1},
		{name: "never past the limit, answering a body", length: -1, sent: 5 << 20, limit: 1 << 20, want: 1<<20 + 1},
		{name: "a length claimed is trusted up to 1 MB before a byte has come", length: 16 << 20, limit: 16 << 20, want: 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := &http.Response{ContentLength: tt.length, Request: &http.Request{ContentLength: tt.sent}}
			if got := firstSize(resp, tt.limit); got != tt.want {
				t.Errorf("firstSize() = %d, want %d", got, tt.want)
			}
		})
	}
}
