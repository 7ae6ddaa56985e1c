package deployments_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
)

const (
	token     = "ghs_t0ken"
	userAgent = "deploytrack/1.0.0"
	sha       = "0123456789abcdef0123456789abcdef01234567"
)

func deployment() event.Event {
	return event.Event{
		Kind:        config.Deployment,
		Product:     "web",
		Version:     "1.2.3",
		Environment: "production",
		Status:      event.Completed,
		Repository:  "acme/web",
		SHA:         sha,
		Branch:      "main",
		Actor:       "octocat",
		RunURL:      "https://github.com/acme/web/actions/runs/987654321",
		RunID:       "987654321",
		RunNumber:   "77",
		RunAttempt:  "2",
		At:          time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC),
	}
}

func with(ev event.Event, f func(*event.Event)) event.Event {
	f(&ev)
	return ev
}

// toMap is v as the JSON object GitHub receives.
func toMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// ghServer is a GitHub API test double, recording every request as
// "METHOD path?query".
type ghServer struct {
	mux *http.ServeMux
	url string

	mu   sync.Mutex
	seen []string
}

func (g *ghServer) requests() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.seen...)
}

// paths is requests without their queries.
func (g *ghServer) paths() []string {
	var out []string
	for _, r := range g.requests() {
		out = append(out, strings.SplitN(r, "?", 2)[0])
	}
	return out
}

func setup(t *testing.T) *ghServer {
	t.Helper()
	g := &ghServer{mux: http.NewServeMux()}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		line := r.Method + " " + r.URL.Path
		if r.URL.RawQuery != "" {
			line += "?" + r.URL.RawQuery
		}
		g.seen = append(g.seen, line)
		g.mu.Unlock()
		testHeader(t, r, "Authorization", "Bearer "+token)
		testHeader(t, r, "User-Agent", userAgent)
		g.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	g.url = srv.URL
	g.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	})
	return g
}

// client returns a deployments client for acme/web at the double.
func (g *ghServer) client(t *testing.T, apiURL string) *deployments.Client {
	t.Helper()
	c, err := deployments.New(&http.Client{}, apiURL, token, "acme/web", userAgent)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testHeader(t *testing.T, r *http.Request, name, want string) {
	t.Helper()
	if got := r.Header.Get(name); got != want {
		t.Errorf("request header %s = %q, want %q", name, got, want)
	}
}

func testJSON(t *testing.T, r *http.Request, want map[string]any) {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("request body is not JSON: %v\n%s", err, b)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request body mismatch (-want +got):\n%s", diff)
	}
}

func respond(w http.ResponseWriter, code int, body string) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(code)
	fmt.Fprint(w, body)
}

// listQuery is what Ensure asks for: this commit's deploy task in the
// event's environment, a hundred at a time.
const listQuery = "environment=production&per_page=100&sha=" + sha + "&task=deploy"

// envQuery is what a success of ours asks for to replace the product's
// previous version: the environment's newest deploy task, of any commit.
const envQuery = "environment=production&per_page=10&task=deploy"

// wideQuery is the environment's newest 100, listed when its first page
// is full and settles nothing.
const wideQuery = "environment=production&per_page=100&task=deploy"

// The deployments of the tests of Target, as GitHub lists them.
const (
	runURL   = "https://github.com/acme/web/actions/runs/987654321"
	jobLink  = runURL + "/job/555"
	mergeSHA = "5555555555555555555555555555555555555555"
)

// dep is a listed deployment made by login with the given payload (raw JSON; "" for none).
func dep(id int64, login, payload string) string {
	s := fmt.Sprintf(`{"id":%d,"creator":{"login":%q,"type":"Bot"}`, id, login)
	if payload != "" {
		s += `,"payload":` + payload
	}
	return s + "}"
}

// job is a deployment as GitHub makes it for a job's environment: key.
func job(id int64) string { return dep(id, "github-actions[bot]", `{}`) }

// linking is a page of statuses as GitHub posts them on a job's deployment, linking to link.
func linking(link string) string {
	return `[{"id":2,"state":"in_progress","log_url":"` + link + `","target_url":"` + link + `"},` +
		`{"id":1,"state":"queued","log_url":"` + link + `","target_url":"` + link + `"}]`
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
