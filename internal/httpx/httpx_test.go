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

// TestMaxInFlight: the clients For returns for one API share the bound on
// requests in flight; another API has a bound of its own.
func TestMaxInFlight(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	inFlight, most := map[string]int{}, map[string]int{}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api := r.URL.Path
		mu.Lock()
		inFlight[api]++
		most[api] = max(most[api], inFlight[api])
		mu.Unlock()
		<-release
		mu.Lock()
		inFlight[api]--
		mu.Unlock()
	}))
	defer srv.Close()
	c := httpx.New(httpx.Options{MaxInFlight: 2, WaitMin: time.Millisecond, WaitMax: time.Millisecond})
	var wg sync.WaitGroup
	for i := range 10 {
		api := []string{"GitHub", "Versioner"}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.For(api).Get(srv.URL + "/" + api)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	// Once both bounds are reached, give a third request time to slip in.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		mu.Lock()
		full := inFlight["/GitHub"] == 2 && inFlight["/Versioner"] == 2
		mu.Unlock()
		if full {
			break
		}
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if diff := cmp.Diff(map[string]int{"/GitHub": 2, "/Versioner": 2}, most); diff != "" {
		t.Errorf("most requests in flight per API (-want +got):\n%s", diff)
	}
}
