package httpx

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Requests sent at once to an HTTPS API that speaks HTTP/2, as GitHub's
// does, share one connection: the first dials, the others wait for it.
func TestOneConnectionPerHost(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.EnableHTTP2 = true
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c := New(Options{Retries: 1, WaitMin: time.Millisecond, WaitMax: time.Millisecond})
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c.tls.RootCAs = pool
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			api := map[bool]string{true: "GitHub", false: "Versioner"}[i%2 == 0]
			req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
			if err == nil {
				var resp *http.Response
				if resp, err = c.For(api).Do(req); err == nil {
					resp.Body.Close()
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("%d requests sent at once opened %d connections, want 1", n, got)
	}
}

// firstConn: the first request to a host goes at once; the others wait
// until it releases them, or until their context ends. Another host has a
// first request of its own.
func TestFirstConn(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	release, err := c.firstConn(context.Background(), "api.github.com:443")
	if release == nil || err != nil {
		t.Fatalf("the first request: release %v, error %v; want to go at once", release != nil, err)
	}
	if r, err := c.firstConn(context.Background(), "versioner.example.com"); r == nil || err != nil {
		t.Errorf("the first request to another host: release %v, error %v; want to go at once", r != nil, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := c.firstConn(ctx, "api.github.com:443"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a second request whose deadline passes first: error %v, want its context's", err)
	}

	went := make(chan error, 1)
	go func() {
		r, err := c.firstConn(context.Background(), "api.github.com:443")
		if r != nil {
			err = errors.New("a second request was given release")
		}
		went <- err
	}()
	select {
	case err := <-went:
		t.Fatalf("a second request went before the first released it (error %v)", err)
	case <-time.After(20 * time.Millisecond):
	}
	release()
	release() // twice is harmless: at the connection, then at the end
	if err := <-went; err != nil {
		t.Error(err)
	}
	if r, err := c.firstConn(context.Background(), "api.github.com:443"); r != nil || err != nil {
		t.Errorf("a request after the release: release %v, error %v; want to go at once", r != nil, err)
	}
}

// The first request's first attempt ends the wait of the others, whether
// it had a connection or not: they never wait out its retries.
func TestCheckRetryReleases(t *testing.T) {
	t.Parallel()
	c := New(Options{Retries: 3, WaitMin: time.Millisecond, WaitMax: time.Millisecond})
	released := false
	st := &state{api: "GitHub", attempts: 1, connected: func() { released = true }}
	ctx := context.WithValue(context.Background(), stateKey{}, st)
	retry, _ := c.checkRetry(ctx, nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")})
	if !retry {
		t.Errorf("a refused connection is not tried again")
	}
	if !released {
		t.Error("the requests waiting for this one's connection were not released after its first attempt")
	}
}
