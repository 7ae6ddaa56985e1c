package httpx_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/httpx"
)

// fast is the policy of these tests: milliseconds, never seconds.
func fast(retries int) httpx.Options {
	return httpx.Options{Retries: retries, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond}
}

// reply is one answer of a scripted server.
type reply struct {
	code   int
	header map[string]string
	body   string
	hang   bool // never answer: wait for the client to give up
	cut    bool // send half the body, then reset the connection
	slow   bool // send the body one byte every 50 ms
}

// script is a server answering the replies in order, then repeating the
// last; it records what each attempt sent.
type script struct {
	mu     sync.Mutex
	bodies []string
}

func (s *script) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

func serve(t *testing.T, replies ...reply) (string, *script) {
	t.Helper()
	s := &script{}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		n := len(s.bodies)
		s.bodies = append(s.bodies, string(b))
		s.mu.Unlock()
		rp := replies[min(n, len(replies)-1)]
		if rp.hang {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		for k, v := range rp.header {
			w.Header().Set(k, v)
		}
		body := strings.ReplaceAll(rp.body, "{n}", strconv.Itoa(n+1))
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rp.code)
		switch {
		case rp.cut:
			fmt.Fprint(w, body[:len(body)/2])
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		case rp.slow:
			for i := range body {
				fmt.Fprint(w, body[i:i+1])
				http.NewResponseController(w).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		default:
			fmt.Fprint(w, body)
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv.URL, s
}

// post sends one logical request through the client.
func post(t *testing.T, ctx context.Context, c *httpx.Client, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"product_name":"web"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Idempotency-Key", "deploytrack-1")
	return c.For("Versioner").Do(req)
}

// retryLog makes o's Debugf record the retry log, and returns a function
// that reads it.
func retryLog(o *httpx.Options) func() []string {
	var mu sync.Mutex
	var lines []string
	o.Debugf = func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(format, args...))
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), lines...)
	}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return string(b)
}

// pastReset is a clock for which every X-RateLimit-Reset below has
// passed, so a primary-limit retry waits nothing.
func pastReset() time.Time { return time.Unix(2_000_000_000, 0) }

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	ok := reply{code: 201, body: `{"id":"dep-{n}"}`}
	tests := []struct {
		name         string
		replies      []reply
		now          func() time.Time
		wantStatus   int
		wantBody     string
		wantAttempts int
	}{
		{name: "success is not retried", replies: []reply{ok}, wantStatus: 201, wantBody: `{"id":"dep-1"}`, wantAttempts: 1},
		{name: "500 is retried until success", replies: []reply{{code: 500}, {code: 500}, ok}, wantStatus: 201, wantBody: `{"id":"dep-3"}`, wantAttempts: 3},
		{name: "502 is retried", replies: []reply{{code: 502, body: "<html>Bad Gateway</html>"}, ok}, wantStatus: 201, wantBody: `{"id":"dep-2"}`, wantAttempts: 2},
		{name: "503 is retried", replies: []reply{{code: 503}, ok}, wantStatus: 201, wantBody: `{"id":"dep-2"}`, wantAttempts: 2},
		{name: "504 is retried", replies: []reply{{code: 504}, ok}, wantStatus: 201, wantBody: `{"id":"dep-2"}`, wantAttempts: 2},
		{name: "501 is not retried", replies: []reply{{code: 501, body: "no"}, ok}, wantStatus: 501, wantBody: "no", wantAttempts: 1},
		{name: "429 is retried", replies: []reply{{code: 429}, ok}, wantStatus: 201, wantBody: `{"id":"dep-2"}`, wantAttempts: 2},
		{name: "429 with Retry-After 0 is retried at once", replies: []reply{{code: 429, header: map[string]string{"Retry-After": "0"}}, ok},
			wantStatus: 201, wantBody: `{"id":"dep-2"}`, wantAttempts: 2},
		{name: "503 with Retry-After as an HTTP date is retried", now: pastReset,
			replies:    []reply{{code: 503, header: map[string]string{"Retry-After": pastReset().Format(http.TimeFormat)}}, ok},
			wantStatus: 201, wantBody: `{"id":"dep-2"}`, wantAttempts: 2},
		{name: "403 with Retry-After is a secondary limit and is retried",
			replies:    []reply{{code: 403, header: map[string]string{"Retry-After": "0"}, body: `{"message":"You have exceeded a secondary rate limit"}`}, ok},
			wantStatus: 201, wantBody: `{"id":"dep-2"}`, wantAttempts: 2},
		{name: "403 primary limit is retried after the reset", now: pastReset,
			replies:    []reply{{code: 403, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1999999990"}, body: `{"message":"API rate limit exceeded"}`}, ok},
			wantStatus: 201, wantBody: `{"id":"dep-2"}`, wantAttempts: 2},
		{name: "429 primary limit is retried after the reset", now: pastReset,
			replies:    []reply{{code: 429, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1999999990"}}, ok},
			wantStatus: 201, wantBody: `{"id":"dep-2"}`, wantAttempts: 2},

		{name: "400 is not retried", replies: []reply{{code: 400, body: `{"detail":"malformed"}`}, ok}, wantStatus: 400, wantBody: `{"detail":"malformed"}`, wantAttempts: 1},
		{name: "401 is not retried", replies: []reply{{code: 401, body: `{"detail":"Invalid authentication credentials"}`}, ok}, wantStatus: 401, wantBody: `{"detail":"Invalid authentication credentials"}`, wantAttempts: 1},
		{name: "plain 403 is not retried and its body is readable", replies: []reply{{code: 403, body: `{"message":"Resource not accessible by integration"}`}, ok},
			wantStatus: 403, wantBody: `{"message":"Resource not accessible by integration"}`, wantAttempts: 1},
		{name: "403 with quota left is not retried", replies: []reply{{code: 403, header: map[string]string{"X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": "1999999990"}, body: "denied"}, ok},
			wantStatus: 403, wantBody: "denied", wantAttempts: 1},
		{name: "404 is not retried", replies: []reply{{code: 404, body: `{"detail":"Not found"}`}, ok}, wantStatus: 404, wantBody: `{"detail":"Not found"}`, wantAttempts: 1},
		{name: "409 is not retried", replies: []reply{{code: 409, body: "conflict"}, ok}, wantStatus: 409, wantBody: "conflict", wantAttempts: 1},
		{name: "422 is not retried", replies: []reply{{code: 422, body: "invalid"}, ok}, wantStatus: 422, wantBody: "invalid", wantAttempts: 1},
		{name: "423 is not retried", replies: []reply{{code: 423, body: "locked"}, ok}, wantStatus: 423, wantBody: "locked", wantAttempts: 1},
		{name: "428 is not retried", replies: []reply{{code: 428, body: "approval"}, ok}, wantStatus: 428, wantBody: "approval", wantAttempts: 1},
		{name: "a 4xx with Retry-After is still not retried", replies: []reply{{code: 409, header: map[string]string{"Retry-After": "0"}, body: "conflict"}, ok},
			wantStatus: 409, wantBody: "conflict", wantAttempts: 1},

		{name: "retries exhausted return the last response", replies: []reply{{code: 503, body: "down {n}"}},
			wantStatus: 503, wantBody: "down 4", wantAttempts: 4},
		{name: "429 exhausted returns the last response", replies: []reply{{code: 429, header: map[string]string{"Retry-After": "0"}, body: "slow down {n}"}},
			wantStatus: 429, wantBody: "slow down 4", wantAttempts: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, s := serve(t, tt.replies...)
			o := fast(3)
			o.Now = tt.now
			resp, err := post(t, context.Background(), httpx.New(o), url)
			if err != nil {
				t.Fatalf("Do() error = %v", err)
			}
			if got := httpx.Attempts(resp); got != tt.wantAttempts {
				t.Errorf("Attempts(resp) = %d, want %d", got, tt.wantAttempts)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.wantBody, readBody(t, resp)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
			// Every attempt sent the whole body again.
			want := make([]string, tt.wantAttempts)
			for i := range want {
				want[i] = `{"product_name":"web"}`
			}
			if diff := cmp.Diff(want, s.requests()); diff != "" {
				t.Errorf("bodies the server saw mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryKeepsHeaders(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		n := len(keys)
		mu.Unlock()
		if n < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	resp, err := post(t, context.Background(), httpx.New(fast(3)), srv.URL)
	if err != nil {
		t.Fatalf("Do() error = %v", err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"deploytrack-1", "deploytrack-1", "deploytrack-1"}, keys); diff != "" {
		t.Errorf("Idempotency-Key per attempt mismatch (-want +got):\n%s", diff)
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more

	o := fast(2)
	log := retryLog(&o)
	resp, err := post(t, context.Background(), httpx.New(o), url)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("Do() to a closed port succeeded with %d", resp.StatusCode)
	}
	if resp != nil {
		t.Errorf("Do() returned a response %v with the error", resp.Status)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Do() error = %v, want it to wrap ECONNREFUSED", err)
	}
	if !strings.Contains(err.Error(), "3 attempts: ") {
		t.Errorf("Do() error = %q, want it to say it made 3 attempts", err)
	}

	debug := log()
	var got []string
	for _, line := range debug {
		// The reason names the port, which changes: keep the shape.
		before, _, _ := strings.Cut(line, ":")
		_, after, _ := strings.Cut(line, "; ")
		got = append(got, before+": ...; "+after)
	}
	want := []string{
		"Versioner: ...; retry 1 of 2 in 1ms",
		"Versioner: ...; retry 2 of 2 in 2ms",
		"Versioner: ...; giving up after 3 attempts",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("debug lines mismatch (-want +got):\n%s\nall lines: %q", diff, debug)
	}
}

func TestDebugSchedule(t *testing.T) {
	t.Parallel()
	url, _ := serve(t, reply{code: 429, header: map[string]string{"Retry-After": "0"}}, reply{code: 502}, reply{code: 200})
	o := fast(5)
	log := retryLog(&o)
	resp, err := post(t, context.Background(), httpx.New(o), url)
	if err != nil {
		t.Fatalf("Do() error = %v", err)
	}
	resp.Body.Close()
	want := []string{
		"Versioner: answered 429 Too Many Requests (Retry-After 0s); retry 1 of 5 in 0s",
		"Versioner: answered 502 Bad Gateway; retry 2 of 5 in 2ms",
	}
	if diff := cmp.Diff(want, log()); diff != "" {
		t.Errorf("debug lines mismatch (-want +got):\n%s", diff)
	}
}

func TestAttempts(t *testing.T) {
	t.Parallel()
	if got := httpx.Attempts(nil); got != 0 {
		t.Errorf("Attempts(nil) = %d, want 0", got)
	}
	if got := httpx.Attempts(&http.Response{}); got != 0 {
		t.Errorf("Attempts(response without a request) = %d, want 0", got)
	}
	// A response that did not come through the client was sent once.
	url, _ := serve(t, reply{code: 200})
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := httpx.Attempts(resp); got != 1 {
		t.Errorf("Attempts(plain response) = %d, want 1", got)
	}
}

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

// Each logical request counts its own attempts, even when requests share
// one client at the same time.
func TestAttemptsPerRequest(t *testing.T) {
	t.Parallel()
	flaky, _ := serve(t, reply{code: 502}, reply{code: 502}, reply{code: 200})
	steady, _ := serve(t, reply{code: 200})
	c := httpx.New(fast(3))
	urls := []string{flaky, steady}
	got := make([]int, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				t.Error(err)
				return
			}
			resp, err := c.For("Versioner").Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			got[i] = httpx.Attempts(resp)
		}()
	}
	wg.Wait()
	if diff := cmp.Diff([]int{3, 1}, got); diff != "" {
		t.Errorf("attempts per request mismatch (-want +got):\n%s", diff)
	}
}

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

// The retry log is ours (retryablehttp's own logger is off: it would
// print to stderr) and names what happened, never a request's or an
// answer's headers or body, where the key and the token travel.
func TestRetryLogHasNoSecrets(t *testing.T) {
	t.Parallel()
	const secret = "sk_acme_1_s3cr3t"
	echo := func(w http.ResponseWriter, r *http.Request, code int) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"detail":"%s %s"}`, r.Header.Get("Authorization"), b)
	}
	var n int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		switch i {
		case 1:
			echo(w, r, http.StatusServiceUnavailable)
		case 2:
			echo(w, r, http.StatusTooManyRequests)
		case 3:
			echo(w, r, http.StatusForbidden) // a secondary limit, by its Retry-After
		case 4:
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"detail":"`+secret)
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		default:
			echo(w, r, http.StatusCreated)
		}
	}))
	t.Cleanup(srv.Close)

	o := fast(5)
	log := retryLog(&o)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/deployment-events/", strings.NewReader(`{"key":"`+secret+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := httpx.New(o).For("Versioner").Do(req)
	if err != nil {
		t.Fatalf("Do() error = %v", err)
	}
	resp.Body.Close()
	lines := log()
	if len(lines) != 4 {
		t.Errorf("%d retry lines, want 4:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if strings.Contains(l, secret) || strings.Contains(l, "Bearer") || strings.Contains(l, "detail") {
			t.Errorf("retry line %q shows a header or a body", l)
		}
	}
}

// TLS is verified: a server whose certificate no trusted authority
// signed is refused, and not tried again (nothing will change by then).
func TestTLSIsVerified(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got++
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	for _, api := range []string{"Versioner", "GitHub"} {
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := httpx.New(fast(3)).For(api).Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("%s: a self-signed certificate was accepted", api)
		}
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) || strings.Contains(err.Error(), "attempts") {
			t.Errorf("%s: Do() error = %v, want an unknown authority after one attempt", api, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if got != 0 {
		t.Errorf("the server answered %d requests; the handshake should have failed first", got)
	}
}
