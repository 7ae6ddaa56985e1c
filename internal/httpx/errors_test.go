package httpx_test

import (
	"context"
	"errors"
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
}
