package versioner_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/httpx"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

const (
	apiKey    = "sk_acme_1_s3cr3t"
	userAgent = "deploytrack/1.0.0 (+https://github.com/deploytrack/deploytrack)"
)

// server is a Versioner test double: a ServeMux with the handlers a test
// registers, counting every request it sees.
type server struct {
	mux *http.ServeMux
	url string

	mu    sync.Mutex
	paths []string
}

func (s *server) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

func setup(t *testing.T) *server {
	t.Helper()
	s := &server{mux: http.NewServeMux()}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		s.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	// Anything the test did not register is a mistake of the client.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.Error(w, `{"detail":"Not found"}`, http.StatusNotFound)
	})
	return s
}

// client returns a Versioner client for base, sharing the action's retry
// policy with millisecond waits.
func client(t testing.TB, base string) *versioner.Client {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	hc := httpx.New(httpx.Options{Retries: 2, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond}).For("Versioner")
	return versioner.New(hc, u, apiKey, userAgent)
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.Method != want {
		t.Errorf("request method = %s, want %s", r.Method, want)
	}
}

func testHeader(t *testing.T, r *http.Request, name, want string) {
	t.Helper()
	if got := r.Header.Get(name); got != want {
		t.Errorf("request header %s = %q, want %q", name, got, want)
	}
}

func testBody(t *testing.T, r *http.Request, want string) {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("reading the request body: %v", err)
	}
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("request body mismatch (-want +got):\n%s", diff)
	}
}

func respond(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprint(w, body)
}
