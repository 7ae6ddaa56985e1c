package httpx_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deploytrack/deploytrack/internal/httpx"
)

// An answer that breaks off midway is a broken connection: retried like
// one, with the backoff (whatever its status line said), and never sent
// again for a request that must not be replayed.
func TestCutAnswer(t *testing.T) {
	t.Parallel()
	ok := reply{code: 201, body: `{"id":"dep-{n}"}`}
	tests := []struct {
		name         string
		replies      []reply
		noReplay     bool
		wantBody     string // of the answer returned, or
		wantErr      string // the error
		wantAttempts int
	}{
		{name: "a cut 201 is retried", replies: []reply{{code: 201, body: `{"id":"dep-{n}"}`, cut: true}, ok},
			wantBody: `{"id":"dep-2"}`, wantAttempts: 2},
		{name: "a cut 403 waits the backoff, not a secondary limit's minute", replies: []reply{{code: 403, body: `{"message":"Resource not accessible"}`, cut: true}, ok},
			wantBody: `{"id":"dep-2"}`, wantAttempts: 2},
		{name: "cut every time", replies: []reply{{code: 200, body: `[{"id":1},{"id":2}]`, cut: true}},
			wantErr: "3 attempts: Versioner answered 200 OK, but the connection broke before the end of the answer", wantAttempts: 3},
		{name: "a request that must not be replayed is not sent again", replies: []reply{{code: 201, body: `{"id":"dep-{n}"}`, cut: true}, ok}, noReplay: true,
			wantErr: "Versioner answered 201 Created, but the connection broke before the end of the answer", wantAttempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, s := serve(t, tt.replies...)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if tt.noReplay {
				ctx = httpx.NoReplay(ctx)
			}
			resp, err := post(t, ctx, httpx.New(fast(2)), url)
			if n := len(s.requests()); n != tt.wantAttempts {
				t.Errorf("server saw %d requests, want %d", n, tt.wantAttempts)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Do() error = %v", err)
				}
				if got := readBody(t, resp); got != tt.wantBody {
					t.Errorf("body = %q, want %q", got, tt.wantBody)
				}
				return
			}
			if err == nil {
				resp.Body.Close()
				t.Fatalf("Do() = %d, want an error", resp.StatusCode)
			}
			var cut *httpx.CutError
			if !errors.As(err, &cut) || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("Do() error = %v (%T), want a *httpx.CutError containing %q and wrapping ECONNRESET", err, err, tt.wantErr)
			}
		})
	}
}
