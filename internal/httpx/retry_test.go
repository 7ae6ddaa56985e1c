package httpx_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/httpx"
)

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
