package httpx_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/httpx"
)

// The API asks for a wait the deadline leaves no room for: stop at once
// with *GiveUpError instead of sleeping into the timeout.
func TestGiveUp(t *testing.T) {
	t.Parallel()
	// The clock reads one second before the deadline, however long the
	// test takes; the deadline itself is far off so nothing expires.
	now := time.Now().Add(time.Hour).Truncate(time.Second)
	deadline := now.Add(time.Second)
	tests := []struct {
		name  string
		reply reply
		want  *httpx.GiveUpError
	}{
		{
			name:  "429 asking for two minutes",
			reply: reply{code: 429, header: map[string]string{"Retry-After": "120"}},
			want:  &httpx.GiveUpError{API: "Versioner", Reason: "answered 429 Too Many Requests (Retry-After 2m0s)", Wait: 2 * time.Minute, Left: time.Second},
		},
		{
			name:  "503 asking until an HTTP date",
			reply: reply{code: 503, header: map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}},
			want:  &httpx.GiveUpError{API: "Versioner", Reason: "answered 503 Service Unavailable (Retry-After 1m30s)", Wait: 90 * time.Second, Left: time.Second},
		},
		{
			name:  "403 primary limit resetting in an hour",
			reply: reply{code: 403, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(time.Hour).Unix(), 10)}},
			want:  &httpx.GiveUpError{API: "Versioner", Reason: "answered 403: primary rate limit exhausted (rate limit resets in 1h0m1s)", Wait: time.Hour + time.Second, Left: time.Second},
		},
		{
			name:  "403 secondary limit named in the body waits a minute",
			reply: reply{code: 403, body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`},
			want:  &httpx.GiveUpError{API: "Versioner", Reason: "answered 403: secondary rate limit (secondary rate limit: at least a minute)", Wait: time.Minute, Left: time.Second},
		},
		{
			name:  "backoff longer than the time left",
			reply: reply{code: 502},
			want:  &httpx.GiveUpError{API: "Versioner", Reason: "answered 502 Bad Gateway", Wait: 2 * time.Second, Left: time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, s := serve(t, tt.reply, reply{code: 201})
			o := fast(3)
			if tt.name == "backoff longer than the time left" {
				o.WaitMin, o.WaitMax = 2*time.Second, 2*time.Second
			}
			o.Now = func() time.Time { return now }
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			start := time.Now()
			resp, err := post(t, ctx, httpx.New(o), url)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("Do() = %d, want a GiveUpError", resp.StatusCode)
			}
			if elapsed := time.Since(start); elapsed > time.Second {
				t.Errorf("giving up took %v, want it at once", elapsed)
			}
			var got *httpx.GiveUpError
			if !errors.As(err, &got) {
				t.Fatalf("Do() error = %v (%T), want a *httpx.GiveUpError", err, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("GiveUpError mismatch (-want +got):\n%s", diff)
			}
			if n := len(s.requests()); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

// A wait that fits in the time left is taken.
func TestWaitWithinDeadline(t *testing.T) {
	t.Parallel()
	url, s := serve(t, reply{code: 429, header: map[string]string{"Retry-After": "0"}}, reply{code: 201})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := post(t, ctx, httpx.New(fast(3)), url)
	if err != nil {
		t.Fatalf("Do() error = %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || len(s.requests()) != 2 {
		t.Errorf("got %d after %d requests, want 201 after 2", resp.StatusCode, len(s.requests()))
	}
}

// The step's deadline passes while the client waits for an API.
func TestTimeout(t *testing.T) {
	t.Parallel()
	lagging := func() time.Time { return time.Now().Add(-time.Hour) } // so the wait looks affordable
	tests := []struct {
		name    string
		replies []reply
		now     func() time.Time
		want    *httpx.TimeoutError
	}{
		{
			name:    "request hangs",
			replies: []reply{{hang: true}},
			want:    &httpx.TimeoutError{API: "Versioner", After: 90 * time.Second, Attempts: 1},
		},
		{
			name:    "deadline passes during the wait before a retry",
			replies: []reply{{code: 503, header: map[string]string{"Retry-After": "30"}}},
			now:     lagging,
			want:    &httpx.TimeoutError{API: "Versioner", After: 90 * time.Second, Attempts: 1},
		},
		{
			name:    "retry hangs",
			replies: []reply{{code: 502}, {hang: true}},
			want:    &httpx.TimeoutError{API: "Versioner", After: 90 * time.Second, Attempts: 2},
		},
		{
			name:    "the body trickles in past the deadline",
			replies: []reply{{code: 201, body: strings.Repeat("x", 100), slow: true}},
			want:    &httpx.TimeoutError{API: "Versioner", After: 90 * time.Second, Attempts: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, _ := serve(t, tt.replies...)
			o := fast(3)
			o.Timeout = 90 * time.Second // what the message names; the context holds the real deadline
			o.Now = tt.now
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			resp, err := post(t, ctx, httpx.New(o), url)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("Do() = %d, want a TimeoutError", resp.StatusCode)
			}
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("timing out took %v", elapsed)
			}
			var got *httpx.TimeoutError
			if !errors.As(err, &got) {
				t.Fatalf("Do() error = %v (%T), want a *httpx.TimeoutError", err, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("TimeoutError mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false", err)
			}
		})
	}
}

// The attempt count appears once in a timeout after retries.
func TestTimeoutMessageAfterRetries(t *testing.T) {
	t.Parallel()
	url, _ := serve(t, reply{code: 502}, reply{hang: true})
	o := fast(3)
	o.Timeout = 90 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	resp, err := post(t, ctx, httpx.New(o), url)
	if err == nil {
		resp.Body.Close()
		t.Fatal("Do() succeeded, want a timeout")
	}
	if n := strings.Count(err.Error(), "2 attempts"); n != 1 {
		t.Errorf("error %q names the attempts %d times, want once", err, n)
	}
}
