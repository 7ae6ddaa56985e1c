package httpx

// In-package tests of the redirect policy, over real TLS: the client's
// transport is New's, given the test servers' authority and, for the
// cases that need the default ports, a dialer that takes a name to a
// test server.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// origins are three test servers on 127.0.0.1: two https origins, a and
// b, and a plain http one, c. Each records what reached it.
type origins struct {
	a, b, c *httptest.Server

	mu       sync.Mutex
	hops     []string
	status   int    // a's answer to /start
	location string // and where it points
}

func newOrigins(t *testing.T, status int, location string) *origins {
	t.Helper()
	o := &origins{status: status}
	o.a = httptest.NewTLSServer(o.handler("a"))
	o.b = httptest.NewTLSServer(o.handler("b"))
	o.c = httptest.NewServer(o.handler("c"))
	for _, s := range []*httptest.Server{o.a, o.b, o.c} {
		t.Cleanup(s.Close)
	}
	o.location = o.expand(location)
	return o
}

// expand puts the servers' URLs in place of {a}, {b} and {c}.
func (o *origins) expand(s string) string {
	return strings.NewReplacer("{a}", o.a.URL, "{b}", o.b.URL, "{c}", o.c.URL).Replace(s)
}

func (o *origins) handler(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		o.hops = append(o.hops, strings.Join([]string{name, r.Method, r.URL.Path, r.Header.Get("Authorization"), string(b)}, " "))
		o.mu.Unlock()
		if name == "a" && r.URL.Path == "/start" {
			w.Header().Set("Location", o.location)
			w.WriteHeader(o.status)
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "done")
	}
}

func (o *origins) seen() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.hops...)
}

// client is New's client, trusting the test servers' authority, with
// versioner.example.com (which their certificate names) dialled at a on
// port 443 and at c on port 80.
func (o *origins) client(t *testing.T) *Client {
	t.Helper()
	c := New(Options{Retries: 1, WaitMin: time.Millisecond, WaitMax: time.Millisecond})
	tr, ok := c.rc.HTTPClient.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("the inner transport is a %T, not an *http.Transport", c.rc.HTTPClient.Transport)
	}
	pool := x509.NewCertPool()
	pool.AddCert(o.a.Certificate())
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	names := map[string]string{"versioner.example.com:443": o.a.Listener.Addr().String(), "versioner.example.com:80": o.c.Listener.Addr().String()}
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if to, ok := names[strings.ToLower(addr)]; ok {
			addr = to
		}
		return d.DialContext(ctx, network, addr)
	}
	return c
}

// Credentials go only to the origin they were given for, and a request
// keeps its method: a redirect that would break either is not followed,
// and says so.
func TestRedirect(t *testing.T) {
	t.Parallel()
	const key = "Bearer sk_test"
	const named = "https://versioner.example.com/start"
	tests := []struct {
		name     string
		api      string // default Versioner
		method   string
		start    string // the request's URL; default {a}/start
		status   int    // a's answer to it
		location string
		want     []string       // what reached the servers
		wantErr  *RedirectError // nil: followed; To is expanded
	}{
		{name: "307 to the same origin keeps the method, the body and the key", method: "POST", status: 307, location: "{a}/moved",
			want: []string{"a POST /start " + key + " {}", "a POST /moved " + key + " {}"}},
		{name: "308 to the same origin is followed", method: "POST", status: 308, location: "{a}/moved",
			want: []string{"a POST /start " + key + " {}", "a POST /moved " + key + " {}"}},
		{name: "a relative location is the same origin", method: "POST", status: 307, location: "/moved",
			want: []string{"a POST /start " + key + " {}", "a POST /moved " + key + " {}"}},
		{name: "301 answering a GET is followed", method: "GET", status: 301, location: "{a}/moved",
			want: []string{"a GET /start " + key + " ", "a GET /moved " + key + " "}},
		{name: "302 answering a GET is followed", method: "GET", status: 302, location: "{a}/moved",
			want: []string{"a GET /start " + key + " ", "a GET /moved " + key + " "}},
		{name: "303 answering a GET is followed", method: "GET", status: 303, location: "{a}/moved",
			want: []string{"a GET /start " + key + " ", "a GET /moved " + key + " "}},

		{name: "302 answering a POST is not turned into a GET", method: "POST", status: 302, location: "{a}/moved",
			want: []string{"a POST /start " + key + " {}"}, wantErr: &RedirectError{API: "Versioner", Status: 302, Method: "POST"}},
		{name: "301 answering a PATCH", method: "PATCH", status: 301, location: "{a}/moved",
			want: []string{"a PATCH /start " + key + " {}"}, wantErr: &RedirectError{API: "Versioner", Status: 301, Method: "PATCH"}},
		{name: "303 answering a DELETE", method: "DELETE", status: 303, location: "{a}/moved",
			want: []string{"a DELETE /start " + key + " {}"}, wantErr: &RedirectError{API: "Versioner", Status: 303, Method: "DELETE"}},
		{name: "302 answering a PUT", method: "PUT", status: 302, location: "{a}/moved",
			want: []string{"a PUT /start " + key + " {}"}, wantErr: &RedirectError{API: "Versioner", Status: 302, Method: "PUT"}},

		{name: "307 to another https origin on the same host", method: "POST", status: 307, location: "{b}/moved",
			want: []string{"a POST /start " + key + " {}"}, wantErr: &RedirectError{API: "Versioner", Status: 307, Method: "POST", To: "{b}"}},
		{name: "307 from https to http on the same host", method: "POST", status: 307, location: "{c}/moved",
			want: []string{"a POST /start " + key + " {}"}, wantErr: &RedirectError{API: "Versioner", Status: 307, Method: "POST", To: "{c}"}},
		{name: "302 answering a GET, to another origin", method: "GET", status: 302, location: "{b}/moved",
			want: []string{"a GET /start " + key + " "}, wantErr: &RedirectError{API: "Versioner", Status: 302, Method: "GET", To: "{b}"}},
		{name: "the default ports: https to http on the same name", method: "POST", start: named, status: 307, location: "http://versioner.example.com/moved",
			want: []string{"a POST /start " + key + " {}"}, wantErr: &RedirectError{API: "Versioner", Status: 307, Method: "POST", To: "http://versioner.example.com"}},
		{name: "the default port written out is the same origin", method: "POST", start: named, status: 307, location: "https://versioner.example.com:443/moved",
			want: []string{"a POST /start " + key + " {}", "a POST /moved " + key + " {}"}},

		{name: "GitHub: 307 from https to http on the same host", api: "GitHub", method: "GET", status: 307, location: "{c}/moved",
			want: []string{"a GET /start " + key + " "}, wantErr: &RedirectError{API: "GitHub", Status: 307, Method: "GET", To: "{c}"}},
		{name: "GitHub: 302 answering a POST", api: "GitHub", method: "POST", status: 302, location: "{a}/moved",
			want: []string{"a POST /start " + key + " {}"}, wantErr: &RedirectError{API: "GitHub", Status: 302, Method: "POST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := newOrigins(t, tt.status, tt.location)
			var body io.Reader
			if tt.method != "GET" {
				body = strings.NewReader("{}")
			}
			req, err := http.NewRequest(tt.method, o.expand(cmpOr(tt.start, "{a}/start")), body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", key)
			resp, err := o.client(t).For(cmpOr(tt.api, "Versioner")).Do(req)
			if diff := cmp.Diff(tt.want, o.seen()); diff != "" {
				t.Errorf("requests that reached the servers (-want +got):\n%s", diff)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Do() error = %v, want the redirect followed", err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusCreated || resp.Request.URL.Path != "/moved" {
					t.Errorf("Do() = %d from %s, want 201 from /moved", resp.StatusCode, resp.Request.URL)
				}
				return
			}
			if err == nil {
				resp.Body.Close()
				t.Fatalf("Do() = %d, want a *RedirectError", resp.StatusCode)
			}
			var got *RedirectError
			if !errors.As(err, &got) {
				t.Fatalf("Do() error = %v (%T), want a *RedirectError", err, err)
			}
			want := *tt.wantErr
			want.To = o.expand(want.To)
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("RedirectError mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// One origin is a scheme, a host in any case and a port, an omitted port
// being the scheme's default.
func TestSameOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://api.example.com/a", "https://api.example.com/b?q=1", true},
		{"https://api.example.com", "https://api.example.com:443", true},
		{"http://api.example.com", "http://api.example.com:80", true},
		{"https://api.example.com", "https://API.Example.COM", true},
		{"HTTPS://api.example.com", "https://api.example.com", true},
		{"https://api.example.com", "https://user:secret@api.example.com", true},
		{"https://[::1]", "https://[::1]:443", true},
		{"https://api.example.com:", "https://api.example.com", true},

		{"https://api.example.com", "http://api.example.com", false},
		{"https://api.example.com:8080", "http://api.example.com:8080", false},
		{"https://api.example.com", "https://api.example.com:8443", false},
		{"https://api.example.com", "https://api.example.com:80", false},
		{"http://api.example.com", "http://api.example.com:443", false},
		{"https://api.example.com", "https://evil.example.com", false},
		{"https://api.example.com", "https://api.example.com.evil", false},
		{"https://127.0.0.1:4000", "https://127.0.0.1:4001", false},
		{"https://[::1]", "http://[::1]", false},
	}
	for _, tt := range tests {
		a, err := url.Parse(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := url.Parse(tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := sameOrigin(a, b); got != tt.want {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := sameOrigin(b, a); got != tt.want {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}
