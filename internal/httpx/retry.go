package httpx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

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

// checkRetry decides whether an answer is worth another try, and stops
// early when the wait it needs would run past the deadline.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateOf(ctx)
	if st == nil {
		st = &state{api: "API", attempts: 1}
	}
	if st.connected != nil {
		st.connected() // an attempt is over: the requests behind it dial now if they must
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
// message, then puts the body back for the caller. A body that breaks
// off is not its concern: readBody finds that, where it can be retried.
func secondaryLimit(resp *http.Response) bool {
	b, _ := buffer(resp, 64<<10)
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
