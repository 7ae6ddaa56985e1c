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
