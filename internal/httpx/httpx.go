// Package httpx is the one retrying HTTP client both sinks share: which
// answers are worth another try, how long to wait (Retry-After, GitHub's
// rate-limit headers, exponential backoff), and the step's single deadline
// over all of it.
package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
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
}

// Client wraps one retryablehttp.Client for every API the step calls.
type Client struct {
	rc   *retryablehttp.Client
	opts Options
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
	c := &Client{opts: o}
	rc := retryablehttp.NewClient()
	// The inner client follows no redirect: the clients For returns
	// decide, host by host (the inner one would carry the token along to
	// another port of the same host).
	rc.HTTPClient = &http.Client{
		Transport:     cleanhttp.DefaultPooledTransport(),
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
// policy; errors and log lines name the API. It follows no redirect to
// another host: go-github adds the token to every request it sends,
// redirected ones included.
func (c *Client) For(api string) *http.Client {
	return &http.Client{
		Transport: &transport{api: api, c: c, rt: &retryablehttp.RoundTripper{Client: c.rc}},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != via[0].URL.Host || len(via) >= 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

type noReplayKey struct{}

// NoReplay marks the requests made with the returned context as unsafe to
// send again once they may have reached the server: a create that carries
// no idempotency key. Their connection errors are retried only when the
// connection was refused, so nothing was sent; the caller checks for
// itself whether a lost answer hid a success.
func NoReplay(ctx context.Context) context.Context {
	return context.WithValue(ctx, noReplayKey{}, true)
}

// notSent reports whether a connection error proves the request never
// reached the server.
func notSent(err error) bool {
	var dns *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &dns)
}

// TimeoutError is the step's deadline running out while waiting for an API.
type TimeoutError struct {
	API      string
	After    time.Duration
	Attempts int
}

func (e *TimeoutError) Error() string {
	tries := ""
	if e.Attempts > 0 {
		tries = " (" + plural(e.Attempts, "attempt") + ")"
	}
	return fmt.Sprintf("timed out after %s waiting for %s%s: raise the timeout input if the API is slow", seconds(e.After), e.API, tries)
}

// Unwrap lets errors.Is(err, context.DeadlineExceeded) hold.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// CutError is an answer that broke off before its end: the connection
// failed while its body was read.
type CutError struct {
	API    string
	Status string // the answer's status line, such as "201 Created"
	Err    error
}

func (e *CutError) Error() string { return e.API + " " + e.reason() }

func (e *CutError) reason() string {
	return fmt.Sprintf("answered %s, but the connection broke before the end of the answer (%v)", e.Status, e.Err)
}

func (e *CutError) Unwrap() error { return e.Err }

// GiveUpError is a retry the deadline leaves no room for: the API asked
// for a wait longer than the time left, so the step stops at once.
type GiveUpError struct {
	API    string
	Reason string
	Wait   time.Duration
	Left   time.Duration
}

func (e *GiveUpError) Error() string {
	return fmt.Sprintf("%s: %s; the next try is due in %s, but only %s of the timeout is left: gave up rather than wait past it (raise the timeout input to wait longer)", e.API, e.Reason, seconds(e.Wait), seconds(e.Left))
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
}

type stateKey struct{}

func stateOf(ctx context.Context) *state {
	st, _ := ctx.Value(stateKey{}).(*state)
	return st
}

type transport struct {
	api string
	c   *Client
	rt  http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := &state{api: t.api}
	ctx := req.Context()
	resp, err := t.rt.RoundTrip(req.WithContext(context.WithValue(ctx, stateKey{}, st)))
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

// checkRetry decides whether an answer is worth another try, and stops
// early when the wait it needs would run past the deadline.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateOf(ctx)
	if st == nil {
		st = &state{api: "API", attempts: 1}
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	reason, retry, perr := classify(resp, err)
	// final is what the caller gets when the request is not tried again:
	// the answer, or the error that cut it short.
	var final error
	if !retry && err == nil && perr == nil {
		// An answer that breaks off midway is a connection failure, and
		// is retried as one: read it here, inside the retry loop.
		rerr := readBody(resp)
		if rerr == nil {
			return false, nil
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		cut := &CutError{API: st.api, Status: resp.Status, Err: rerr}
		reason, retry, err, final = cut.reason(), true, cut, cut
		resp = nil // its headers belong to an answer that never arrived
	}
	if !retry {
		return false, perr
	}
	if err != nil && ctx.Value(noReplayKey{}) != nil && !notSent(err) {
		c.opts.Debugf("%s: %s; not sent again: the server may have acted on it", st.api, reason)
		return false, final
	}
	if st.attempts > c.opts.Retries {
		c.opts.Debugf("%s: %s; giving up after %s", st.api, reason, plural(st.attempts, "attempt"))
		return false, final
	}
	wait, why := c.wait(st.attempts-1, resp)
	if why != "" {
		reason += " (" + why + ")"
	}
	if dl, ok := ctx.Deadline(); ok {
		if left := dl.Sub(c.opts.Now()); left < wait {
			return false, &GiveUpError{API: st.api, Reason: reason, Wait: wait, Left: left}
		}
	}
	c.opts.Debugf("%s: %s; retry %d of %d in %s", st.api, reason, st.attempts, c.opts.Retries, seconds(wait))
	st.wait = wait
	return true, nil
}

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

// classify returns why an answer is worth another try, if it is.
func classify(resp *http.Response, err error) (reason string, retry bool, perr error) {
	if err != nil {
		if ok, perr := retryablehttp.ErrorPropagatedRetryPolicy(context.Background(), nil, err); !ok {
			return "", false, perr
		}
		return "request failed: " + err.Error(), true, nil
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusTooManyRequests:
		return "answered 429 Too Many Requests", true, nil
	case code == http.StatusNotImplemented:
		return "", false, nil
	case code >= 500:
		return fmt.Sprintf("answered %d %s", code, http.StatusText(code)), true, nil
	case code == http.StatusForbidden:
		if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
			return "answered 403: primary rate limit exhausted", true, nil
		}
		if resp.Header.Get("Retry-After") != "" || secondaryLimit(resp) {
			return "answered 403: secondary rate limit", true, nil
		}
	}
	return "", false, nil
}

// secondaryLimit reads a 403's body for GitHub's secondary rate limit
// message, then puts the body back for the caller.
func secondaryLimit(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	s := strings.ToLower(string(b))
	return strings.Contains(s, "secondary rate limit") || strings.Contains(s, "abuse detection")
}

// wait returns how long to wait before the retry after attempt (0-based),
// and what set it when an answer did.
func (c *Client) wait(attempt int, resp *http.Response) (time.Duration, string) {
	if resp != nil {
		now := c.opts.Now()
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), now); ok {
			return d, "Retry-After " + seconds(d)
		}
		if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
				d := max(time.Unix(reset, 0).Sub(now)+time.Second, 0)
				return d, "rate limit resets in " + seconds(d)
			}
		}
		if resp.StatusCode == http.StatusForbidden {
			// GitHub asks for at least a minute after a secondary limit
			// that names no time.
			return time.Minute, "secondary rate limit: at least a minute"
		}
	}
	d := c.opts.WaitMin << min(attempt, 30)
	if d > c.opts.WaitMax || d <= 0 {
		d = c.opts.WaitMax
	}
	return d, ""
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n >= 0 {
		return time.Duration(min(n, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func seconds(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
