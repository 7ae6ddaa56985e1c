package httpx_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/httpx"
)

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "timeout with one attempt",
			err:  &httpx.TimeoutError{API: "Versioner", After: 60 * time.Second, Attempts: 1},
			want: "timed out after 1m0s waiting for Versioner (1 attempt): raise the timeout input if the API is slow",
		},
		{
			name: "timeout with attempts",
			err:  &httpx.TimeoutError{API: "GitHub", After: 90 * time.Second, Attempts: 3},
			want: "timed out after 1m30s waiting for GitHub (3 attempts): raise the timeout input if the API is slow",
		},
		{
			name: "timeout before any attempt",
			err:  &httpx.TimeoutError{API: "GitHub", After: 500 * time.Millisecond},
			want: "timed out after 500ms waiting for GitHub: raise the timeout input if the API is slow",
		},
		{
			name: "give up",
			err:  &httpx.GiveUpError{API: "Versioner", Reason: "answered 429 Too Many Requests (Retry-After 2m0s)", Wait: 2 * time.Minute, Left: 12500 * time.Millisecond},
			want: "Versioner: answered 429 Too Many Requests (Retry-After 2m0s); the next try is due in 2m0s, but only 13s of the timeout is left: gave up rather than wait past it (raise the timeout input to wait longer)",
		},
		{
			name: "redirect to another origin",
			err:  &httpx.RedirectError{API: "Versioner", Status: 307, Method: "POST", To: "http://versioner.example.com"},
			want: "Versioner answered 307 to another origin (http://versioner.example.com): not followed, so the credentials were not sent there; check api-url",
		},
		{
			name: "redirect of a POST",
			err:  &httpx.RedirectError{API: "GitHub", Status: 302, Method: "POST"},
			want: "GitHub answered 302 to a POST: a redirect would turn it into a GET, so it was not followed; check GITHUB_API_URL",
		},
		{
			name: "redirect from an API without a setting",
			err:  &httpx.RedirectError{API: "Elsewhere", Status: 308, Method: "GET", To: "https://other.example.com"},
			want: "Elsewhere answered 308 to another origin (https://other.example.com): not followed, so the credentials were not sent there; check the API's URL",
		},
		{
			name: "cancelled",
			err:  &httpx.CancelError{API: "GitHub"},
			want: "GitHub: stopped before it answered: the step was cancelled",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.err.Error()); diff != "" {
				t.Errorf("Error() mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if !errors.Is(&httpx.TimeoutError{}, context.DeadlineExceeded) {
		t.Errorf("a TimeoutError is not a context.DeadlineExceeded")
	}
	if !errors.Is(&httpx.CancelError{}, context.Canceled) {
		t.Errorf("a CancelError is not a context.Canceled")
	}
}

// Stopped turns what a call under the step's context returned into what
// stopped it, whichever layer lost that on the way up.
func TestStopped(t *testing.T) {
	t.Parallel()
	live := func() context.Context { return context.Background() }
	expired := func() context.Context {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		t.Cleanup(cancel)
		return ctx
	}
	cancelled := func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}
	refused := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	giveUp := &httpx.GiveUpError{API: "GitHub", Reason: "answered 429 Too Many Requests", Wait: time.Minute, Left: time.Second}
	below := &httpx.TimeoutError{API: "GitHub", After: 90 * time.Second, Attempts: 3}
	tests := []struct {
		name string
		ctx  func() context.Context
		err  error
		want error // nil: err comes back as it is
	}{
		{name: "no error", ctx: live},
		{name: "no error, even once the deadline has passed", ctx: expired},
		{name: "an error the context had no part in is kept", ctx: live, err: refused},
		{name: "a give-up is kept", ctx: live, err: giveUp},
		{name: "a timeout from below says the step's timeout and keeps its attempts", ctx: expired, err: fmt.Errorf("GitHub: %w", below),
			want: &httpx.TimeoutError{API: "GitHub", After: 80 * time.Second, Attempts: 3}},
		{name: "a timeout from below under a live context is still a timeout", ctx: live, err: below,
			want: &httpx.TimeoutError{API: "GitHub", After: 80 * time.Second, Attempts: 3}},
		{name: "the bare deadline error go-github returns", ctx: expired, err: context.DeadlineExceeded,
			want: &httpx.TimeoutError{API: "Versioner", After: 80 * time.Second}},
		{name: "the deadline error inside a url.Error", ctx: expired, err: &url.Error{Op: "Post", URL: "https://x", Err: context.DeadlineExceeded},
			want: &httpx.TimeoutError{API: "Versioner", After: 80 * time.Second}},
		{name: "any error once the deadline has passed", ctx: expired, err: refused,
			want: &httpx.TimeoutError{API: "Versioner", After: 80 * time.Second}},
		{name: "the cancellation error", ctx: cancelled, err: context.Canceled,
			want: &httpx.CancelError{API: "Versioner"}},
		{name: "any error once the step is cancelled", ctx: cancelled, err: refused,
			want: &httpx.CancelError{API: "Versioner"}},
		{name: "a cancellation error under a live context", ctx: live, err: fmt.Errorf("wrapped: %w", context.Canceled),
			want: &httpx.CancelError{API: "Versioner"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := httpx.Stopped(tt.ctx(), tt.err, "Versioner", 80*time.Second)
			if tt.want == nil {
				if got != tt.err {
					t.Errorf("Stopped() = %v (%T), want %v unchanged", got, got, tt.err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Stopped() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
