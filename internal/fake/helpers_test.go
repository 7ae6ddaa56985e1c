package fake

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// t0 is the fakes' clock in tests, so timestamps in answers are stable.
var t0 = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

const (
	apiKey = "sk_acme_1_secret"
	token  = "ghs_test"
)

// answer is what a client saw.
type answer struct {
	status int
	header http.Header
	body   string
}

func start(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// send makes one request; header is name, value, name, value...
func send(t *testing.T, srv *httptest.Server, method, path, body string, header ...string) answer {
	t.Helper()
	a, err := sendCtx(context.Background(), srv, method, path, body, header...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return a
}

func sendCtx(ctx context.Context, srv *httptest.Server, method, path, body string, header ...string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(b)}, err
}

// versionerHeaders are what a correct client sends.
var versionerHeaders = []string{"Authorization", "Bearer " + apiKey, "Content-Type", "application/json"}

func vpost(t *testing.T, srv *httptest.Server, path, body string, extra ...string) answer {
	t.Helper()
	return send(t, srv, http.MethodPost, path, body, append(append([]string{}, versionerHeaders...), extra...)...)
}

func ghsend(t *testing.T, srv *httptest.Server, method, path, body string) answer {
	t.Helper()
	return send(t, srv, method, "/api/v3"+path, body, "Authorization", "Bearer "+token, "Accept", "application/vnd.github+json")
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, s)
	}
	return v
}

// sameJSON fails the test when got and want (JSON texts) differ.
func sameJSON(t *testing.T, got, want string) {
	t.Helper()
	if diff := cmp.Diff(decodeJSON(t, want), decodeJSON(t, got)); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s\ngot: %s", diff, got)
	}
}

// field digs a value out of a decoded JSON answer: field(t, body, "extra_metadata", "preflight_status").
func field(t *testing.T, body string, path ...string) any {
	t.Helper()
	v := decodeJSON(t, body)
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("no %q in %s", p, body)
		}
		v = m[p]
	}
	return v
}

// waitFor polls cond (the fakes record a request before they act on it), failing after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
