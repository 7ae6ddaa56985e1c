// Package httpx is the one retrying HTTP client both sinks share: which
// answers are worth another try, how long to wait (Retry-After, GitHub's
// rate-limit headers, exponential backoff), and the step's single deadline
// over all of it.
package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// Options tune the client. The zero value of a field takes its default.
type Options struct {
	// Timeout is the step's deadline, for messages: the deadline itself
	// comes with each request's context.
	Timeout time.Duration
	// Retries is how many times a request is tried again (default 5).
	Retries int
	// WaitMin and WaitMax bound the exponential backoff (default 1 s, 30 s).
	WaitMin, WaitMax time.Duration
	// Debugf prints the retry schedule (a ::debug:: line in the runner).
	Debugf func(format string, args ...any)
	// Now is the clock, for tests.
	Now func() time.Time
	// MaxInFlight bounds the requests in flight to each API (the clients
	// For returns for one name share it), retries and their waits
	// included; 0 is no bound. The products of a step all run at once,
	// and this keeps them clear of GitHub's secondary limit on concurrent
	// requests.
	MaxInFlight int
	// Getenv reads SSL_CERT_FILE and SSL_CERT_DIR, for the roots that
	// HTTPS requests trust (see trustSystemRoots); nil leaves them to
	// crypto/x509.
	Getenv func(string) string
}

// Client wraps one retryablehttp.Client for every API the step calls.
type Client struct {
	rc   *retryablehttp.Client
	opts Options

	mu    sync.Mutex
	slots map[string]chan struct{} // per API, with MaxInFlight

	tls       *tls.Config                           // the inner transport's, shared by every API
	proxy     func(*http.Request) (*url.URL, error) // the inner transport's
	rootsOnce sync.Once
	dialled   map[string]chan struct{} // per HTTPS host: closed once the first request may be followed (firstConn)
}

// New returns a client with the action's retry policy.
func New(o Options) *Client {
	if o.Retries == 0 {
		o.Retries = 5
	}
	if o.WaitMin == 0 {
		o.WaitMin = time.Second
	}
	if o.WaitMax == 0 {
		o.WaitMax = 30 * time.Second
	}
	if o.Debugf == nil {
		o.Debugf = func(string, ...any) {}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	tr := cleanhttp.DefaultPooledTransport()
	tr.TLSClientConfig = &tls.Config{}
	c := &Client{opts: o, tls: tr.TLSClientConfig, proxy: tr.Proxy}
	rc := retryablehttp.NewClient()
	// The inner client follows no redirect: the clients For returns
	// decide, host by host (the inner one would carry the token along to
	// another port of the same host).
	rc.HTTPClient = &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	rc.Logger = nil // its logger prints URLs and errors to stderr; we report ourselves
	// CheckRetry counts attempts and decides when to stop; RetryMax only
	// has to stay out of its way.
	rc.RetryMax = o.Retries + 1
	rc.RetryWaitMin, rc.RetryWaitMax = o.WaitMin, o.WaitMax
	rc.RequestLogHook = func(_ retryablehttp.Logger, r *http.Request, attempt int) {
		if st := stateOf(r.Context()); st != nil {
			st.attempts = attempt + 1
		}
	}
	rc.CheckRetry = c.checkRetry
	rc.Backoff = func(_, _ time.Duration, attempt int, resp *http.Response) time.Duration {
		// checkRetry has decided the wait, and logged it.
		if resp != nil && resp.Request != nil {
			if st := stateOf(resp.Request.Context()); st != nil {
				return st.wait
			}
		}
		d, _ := c.wait(attempt, resp)
		return d
	}
	rc.ErrorHandler = func(resp *http.Response, err error, _ int) (*http.Response, error) {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, err
	}
	c.rc = rc
	return c
}

// For returns an *http.Client for one API. Its requests share the retry
// policy; errors and log lines name the API. It follows a redirect only
// within the origin it was given (see checkRedirect): go-github adds the
// token to every request it sends, redirected ones included.
func (c *Client) For(api string) *http.Client {
	var slots chan struct{}
	if c.opts.MaxInFlight > 0 {
		c.mu.Lock()
		if c.slots == nil {
			c.slots = map[string]chan struct{}{}
		}
		if c.slots[api] == nil {
			c.slots[api] = make(chan struct{}, c.opts.MaxInFlight)
		}
		slots = c.slots[api]
		c.mu.Unlock()
	}
	return &http.Client{
		Transport:     &transport{api: api, c: c, rt: &retryablehttp.RoundTripper{Client: c.rc}, slots: slots},
		CheckRedirect: checkRedirect(api),
	}
}

// send is retryablehttp.RoundTripper's RoundTrip, but for a request whose
// body can be had again (req.GetBody, as http.NewRequest sets for bytes):
// its attempts each take a fresh copy from GetBody rather than from a
// buffer retryablehttp would fill by reading the whole body first (a
// second copy of a 100 KB request, in a buffer grown step by step).
func (t *transport) send(req *http.Request) (*http.Response, error) {
	body := req.Body
	if req.GetBody == nil || body == nil || body == http.NoBody || req.ContentLength <= 0 {
		return t.rt.RoundTrip(req)
	}
	r := *req
	r.Body = nil
	rreq, err := retryablehttp.FromRequest(&r)
	if err != nil {
		body.Close()
		return nil, err
	}
	err = rreq.SetBody(retryablehttp.ReaderFunc(func() (io.Reader, error) { return req.GetBody() }))
	body.Close()
	if err != nil {
		return nil, err
	}
	rreq.ContentLength = req.ContentLength
	resp, err := t.c.rc.Do(rreq)
	// As RoundTrip does: the standard library's error, not nested again.
	if _, ok := err.(*url.Error); ok {
		return resp, errors.Unwrap(err)
	}
	return resp, err
}

// Attempts returns how many times the request behind resp was sent.
func Attempts(resp *http.Response) int {
	if resp == nil || resp.Request == nil {
		return 0
	}
	if st := stateOf(resp.Request.Context()); st != nil {
		return st.attempts
	}
	return 1
}

// state follows one logical request through its attempts.
type state struct {
	api      string
	attempts int
	wait     time.Duration // before the next attempt, as checkRetry decided
	// connected lets the requests that wait for this one's connection go
	// (see firstConn); nil for the others.
	connected func()
}

type stateKey struct{}

func stateOf(ctx context.Context) *state {
	st, _ := ctx.Value(stateKey{}).(*state)
	return st
}

type transport struct {
	api   string
	c     *Client
	rt    http.RoundTripper
	slots chan struct{} // nil: no bound
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.c.usesTLS(req) {
		t.c.trustSystemRoots()
	}
	st := &state{api: t.api}
	ctx := req.Context()
	if req.URL.Scheme == "https" {
		release, err := t.c.firstConn(ctx, req.URL.Host)
		if err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, err
		}
		if release != nil {
			defer release()
			st.connected = release
			ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { release() }})
		}
	}
	if t.slots != nil {
		select {
		case t.slots <- struct{}{}:
			defer func() { <-t.slots }()
		case <-ctx.Done():
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, ctx.Err()
		}
	}
	resp, err := t.send(req.WithContext(context.WithValue(ctx, stateKey{}, st)))
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		var give *GiveUpError
		if !errors.As(err, &give) {
			err = &TimeoutError{API: t.api, After: t.c.opts.Timeout, Attempts: st.attempts}
		}
	}
	var te *TimeoutError
	if err != nil && st.attempts > 1 && !errors.As(err, &te) {
		err = fmt.Errorf("%s: %w", plural(st.attempts, "attempt"), err)
	}
	return resp, err
}
