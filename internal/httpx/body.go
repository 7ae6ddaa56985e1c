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
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBuffered))
	if err != nil {
		resp.Body.Close()
		return err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	return nil
}
