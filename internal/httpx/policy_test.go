package httpx

// In-package tests of the policy's pieces, called with their arguments:
// which answers are worth another try (classify), how long to wait
// (wait, retryAfter). Nothing here sleeps.

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// now is the fixed clock of these tests, on a whole second so that HTTP
// dates (which have no fractions) round-trip exactly.
var now = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// answer builds a response the way net/http hands one to CheckRetry.
func answer(t *testing.T, code int, header map[string]string, body string) *http.Response {
	t.Helper()
	h := http.Header{}
	for k, v := range header {
		h.Set(k, v)
	}
	return &http.Response{StatusCode: code, Status: strconv.Itoa(code) + " " + http.StatusText(code), Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	refused := &url.Error{Op: "Post", URL: "https://api.versioner.io/deployment-events/", Err: &net.OpError{
		Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED),
	}}
	tests := []struct {
		name       string
		resp       func(t *testing.T) *http.Response
		err        error
		wantRetry  bool
		wantReason string
		wantErr    bool
	}{
		{name: "connection refused is retried", err: refused, wantRetry: true,
			wantReason: "request failed: " + refused.Error()},
		{name: "connection reset is retried", err: &url.Error{Op: "Post", URL: "https://x", Err: syscall.ECONNRESET}, wantRetry: true,
			wantReason: "request failed: Post \"https://x\": connection reset by peer"},
		{name: "an unknown certificate authority is not retried", err: &url.Error{Op: "Post", URL: "https://x", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}},
			wantErr: true},
		{name: "an unsupported scheme is not retried", err: &url.Error{Op: "Post", URL: "ftp://x", Err: errors.New(`unsupported protocol scheme "ftp"`)},
			wantErr: true},

		{name: "200 is not retried", resp: status(200, nil, `{"id":"x"}`)},
		{name: "201 is not retried", resp: status(201, nil, "")},
		{name: "400 is not retried", resp: status(400, nil, `{"detail":"malformed"}`)},
		{name: "401 is not retried", resp: status(401, nil, `{"detail":"Invalid authentication credentials"}`)},
		{name: "plain 403 is not retried", resp: status(403, nil, `{"message":"Resource not accessible by integration"}`)},
		{name: "404 is not retried", resp: status(404, nil, `{"detail":"Not found"}`)},
		{name: "409 is not retried", resp: status(409, nil, `{"detail":{"error":"deployment_blocked","code":"CONCURRENT_DEPLOYMENT"}}`)},
		{name: "422 is not retried", resp: status(422, nil, `{"detail":[]}`)},
		{name: "423 is not retried", resp: status(423, nil, `{"detail":{"code":"NO_DEPLOY_WINDOW"}}`)},
		{name: "428 is not retried", resp: status(428, nil, `{"detail":{"code":"APPROVAL_REQUIRED"}}`)},
		{name: "404 with Retry-After is still not retried", resp: status(404, map[string]string{"Retry-After": "1"}, "")},
		{name: "501 Not Implemented is not retried", resp: status(501, nil, "")},

		{name: "429 is retried", resp: status(429, nil, ""), wantRetry: true,
			wantReason: "answered 429 Too Many Requests"},
		{name: "429 primary limit is retried", resp: status(429, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1714564800"}, ""), wantRetry: true,
			wantReason: "answered 429 Too Many Requests"},
		{name: "500 is retried", resp: status(500, nil, ""), wantRetry: true,
			wantReason: "answered 500 Internal Server Error"},
		{name: "502 is retried", resp: status(502, nil, "<html>Bad Gateway</html>"), wantRetry: true,
			wantReason: "answered 502 Bad Gateway"},
		{name: "503 is retried", resp: status(503, nil, ""), wantRetry: true,
			wantReason: "answered 503 Service Unavailable"},
		{name: "504 is retried", resp: status(504, nil, ""), wantRetry: true,
			wantReason: "answered 504 Gateway Timeout"},
		{name: "403 primary limit is retried", resp: status(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1714564800"}, `{"message":"API rate limit exceeded"}`), wantRetry: true,
			wantReason: "answered 403: primary rate limit exhausted"},
		{name: "403 with remaining quota is not a primary limit", resp: status(403, map[string]string{"X-RateLimit-Remaining": "4999"}, `{"message":"Must have admin rights"}`)},
		{name: "403 with Retry-After is a secondary limit", resp: status(403, map[string]string{"Retry-After": "60"}, ""), wantRetry: true,
			wantReason: "answered 403: secondary rate limit"},
		{name: "403 saying so in the body is a secondary limit", resp: status(403, nil, `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`), wantRetry: true,
			wantReason: "answered 403: secondary rate limit"},
		{name: "403 secondary limit message in any case", resp: status(403, nil, `{"message":"YOU HAVE EXCEEDED A SECONDARY RATE LIMIT"}`), wantRetry: true,
			wantReason: "answered 403: secondary rate limit"},
		{name: "403 from the older abuse detection is a secondary limit", resp: status(403, nil, `{"message":"You have triggered an abuse detection mechanism."}`), wantRetry: true,
			wantReason: "answered 403: secondary rate limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var resp *http.Response
			if tt.resp != nil {
				resp = tt.resp(t)
			}
			reason, retry, perr := classify(resp, tt.err)
			if retry != tt.wantRetry {
				t.Errorf("classify() retry = %v, want %v", retry, tt.wantRetry)
			}
			if diff := cmp.Diff(tt.wantReason, reason); diff != "" {
				t.Errorf("classify() reason mismatch (-want +got):\n%s", diff)
			}
			if (perr != nil) != tt.wantErr {
				t.Errorf("classify() error = %v, want error: %v", perr, tt.wantErr)
			}
		})
	}
}

func status(code int, header map[string]string, body string) func(t *testing.T) *http.Response {
	return func(t *testing.T) *http.Response {
		t.Helper()
		return answer(t, code, header, body)
	}
}

// The secondary-limit check reads a 403's body: the caller must still be
// able to read all of it (go-github decodes the message from it).
func TestClassifyKeepsBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
	}{
		{name: "plain 403", body: `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest"}`},
		{name: "secondary limit", body: `{"message":"You have exceeded a secondary rate limit"}`},
		{name: "empty", body: ""},
		{name: "just under the 64 KiB the check reads", body: strings.Repeat("x", 64<<10-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := answer(t, http.StatusForbidden, nil, tt.body)
			classify(resp, nil)
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("reading the body after classify: %v", err)
			}
			if diff := cmp.Diff(tt.body, string(got)); diff != "" {
				t.Errorf("body after classify mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClassifyKeepsLargeBody(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x", 100<<10)
	resp := answer(t, http.StatusForbidden, nil, body)
	classify(resp, nil)
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body after classify: %v", err)
	}
	if len(got) != len(body) {
		t.Errorf("body after classify has %d bytes, want %d", len(got), len(body))
	}
}

func TestClassifyNilBody(t *testing.T) {
	t.Parallel()
	resp := &http.Response{StatusCode: http.StatusForbidden, Header: http.Header{}}
	if _, retry, _ := classify(resp, nil); retry {
		t.Errorf("classify(403 without a body) retry = true, want false")
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header string
		want   time.Duration
		wantOK bool
	}{
		{name: "absent", header: "", want: 0, wantOK: false},
		{name: "zero seconds", header: "0", want: 0, wantOK: true},
		{name: "seconds", header: "5", want: 5 * time.Second, wantOK: true},
		{name: "seconds with spaces", header: " 7 ", want: 7 * time.Second, wantOK: true},
		{name: "an hour", header: "3600", want: time.Hour, wantOK: true},
		{name: "capped at a day", header: "999999", want: 24 * time.Hour, wantOK: true},
		{name: "negative is ignored", header: "-5", want: 0, wantOK: false},
		{name: "fraction is ignored", header: "1.5", want: 0, wantOK: false},
		{name: "garbage is ignored", header: "soon", want: 0, wantOK: false},
		{name: "overflowing number is ignored", header: "99999999999999999999999", want: 0, wantOK: false},
		{name: "HTTP date in the future", header: now.Add(90 * time.Second).Format(http.TimeFormat), want: 90 * time.Second, wantOK: true},
		{name: "HTTP date now", header: now.Format(http.TimeFormat), want: 0, wantOK: true},
		{name: "HTTP date in the past waits nothing", header: now.Add(-time.Hour).Format(http.TimeFormat), want: 0, wantOK: true},
		{name: "RFC 850 date", header: now.Add(2 * time.Minute).Format(time.RFC850), want: 2 * time.Minute, wantOK: true},
		{name: "ANSI C date", header: now.Add(3 * time.Minute).Format(time.ANSIC), want: 3 * time.Minute, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := retryAfter(tt.header, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestWait(t *testing.T) {
	t.Parallel()
	fast := Options{WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond, Now: func() time.Time { return now }}
	reset := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	tests := []struct {
		name    string
		opts    Options
		attempt int
		resp    func(t *testing.T) *http.Response
		want    time.Duration
		wantWhy string
	}{
		{name: "first retry waits WaitMin", opts: fast, attempt: 0, want: time.Millisecond},
		{name: "second retry doubles", opts: fast, attempt: 1, want: 2 * time.Millisecond},
		{name: "third retry doubles again", opts: fast, attempt: 2, want: 4 * time.Millisecond},
		{name: "capped at WaitMax", opts: fast, attempt: 3, want: 5 * time.Millisecond},
		{name: "a huge attempt does not overflow", opts: fast, attempt: 200, want: 5 * time.Millisecond},
		{name: "defaults: 1 s first", opts: Options{Now: fast.Now}, attempt: 0, want: time.Second},
		{name: "defaults: 30 s at most", opts: Options{Now: fast.Now}, attempt: 10, want: 30 * time.Second},
		{name: "a 5xx without headers backs off", opts: fast, attempt: 1, resp: status(503, nil, ""), want: 2 * time.Millisecond},
		{name: "a 429 without headers backs off", opts: fast, attempt: 0, resp: status(429, nil, ""), want: time.Millisecond},

		{name: "Retry-After seconds beats backoff", opts: fast, resp: status(429, map[string]string{"Retry-After": "3"}, ""),
			want: 3 * time.Second, wantWhy: "Retry-After 3s"},
		{name: "Retry-After on a 503", opts: fast, resp: status(503, map[string]string{"Retry-After": "120"}, ""),
			want: 2 * time.Minute, wantWhy: "Retry-After 2m0s"},
		{name: "Retry-After as an HTTP date", opts: fast, resp: status(503, map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, ""),
			want: 90 * time.Second, wantWhy: "Retry-After 1m30s"},
		{name: "Retry-After zero", opts: fast, resp: status(429, map[string]string{"Retry-After": "0"}, ""),
			want: 0, wantWhy: "Retry-After 0s"},
		{name: "Retry-After on a 403 secondary limit", opts: fast, resp: status(403, map[string]string{"Retry-After": "60"}, ""),
			want: time.Minute, wantWhy: "Retry-After 1m0s"},
		{name: "Retry-After wins over the rate-limit reset", opts: fast,
			resp: status(403, map[string]string{"Retry-After": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset(time.Hour)}, ""),
			want: 5 * time.Second, wantWhy: "Retry-After 5s"},

		{name: "403 primary limit waits until the reset and a second", opts: fast,
			resp: status(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset(30 * time.Second)}, ""),
			want: 31 * time.Second, wantWhy: "rate limit resets in 31s"},
		{name: "429 primary limit waits until the reset", opts: fast,
			resp: status(429, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset(10 * time.Minute)}, ""),
			want: 10*time.Minute + time.Second, wantWhy: "rate limit resets in 10m1s"},
		{name: "a reset already passed waits nothing", opts: fast,
			resp: status(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset(-time.Minute)}, ""),
			want: 0, wantWhy: "rate limit resets in 0s"},
		{name: "reset ignored while quota remains", opts: fast, attempt: 1,
			resp: status(429, map[string]string{"X-RateLimit-Remaining": "12", "X-RateLimit-Reset": reset(time.Hour)}, ""),
			want: 2 * time.Millisecond},
		{name: "429 with an unreadable reset backs off", opts: fast,
			resp: status(429, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "soon"}, ""),
			want: time.Millisecond},
		{name: "403 with an unreadable reset waits a minute", opts: fast,
			resp: status(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "soon"}, ""),
			want: time.Minute, wantWhy: "secondary rate limit: at least a minute"},
		{name: "403 secondary limit without a time waits a minute", opts: fast,
			resp: status(403, nil, `{"message":"You have exceeded a secondary rate limit"}`),
			want: time.Minute, wantWhy: "secondary rate limit: at least a minute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := New(tt.opts)
			var resp *http.Response
			if tt.resp != nil {
				resp = tt.resp(t)
			}
			got, why := c.wait(tt.attempt, resp)
			if got != tt.want {
				t.Errorf("wait(%d) = %v, want %v", tt.attempt, got, tt.want)
			}
			if diff := cmp.Diff(tt.wantWhy, why); diff != "" {
				t.Errorf("wait(%d) why mismatch (-want +got):\n%s", tt.attempt, diff)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	type policy struct {
		Retries, RetryMax int
		WaitMin, WaitMax  time.Duration
	}
	got := policy{Retries: c.opts.Retries, RetryMax: c.rc.RetryMax, WaitMin: c.rc.RetryWaitMin, WaitMax: c.rc.RetryWaitMax}
	want := policy{Retries: 5, RetryMax: 6, WaitMin: time.Second, WaitMax: 30 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("New(Options{}) defaults mismatch (-want +got):\n%s", diff)
	}
	if c.opts.Debugf == nil || c.opts.Now == nil {
		t.Errorf("New(Options{}) left Debugf or Now nil")
	}
	if c.rc.Logger != nil {
		t.Errorf("retryablehttp's logger is %v, want nil (it prints URLs to stderr)", c.rc.Logger)
	}
}

func TestSeconds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{1500 * time.Microsecond, "2ms"},
		{999 * time.Millisecond, "999ms"},
		{1400 * time.Millisecond, "1s"},
		{90 * time.Second, "1m30s"},
		{time.Hour + 1500*time.Millisecond, "1h0m2s"},
	}
	for _, tt := range tests {
		if got := seconds(tt.in); got != tt.want {
			t.Errorf("seconds(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
