package deployments_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/httpx"
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

func TestState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   event.Status
		want string
	}{
		{event.Pending, "queued"},
		{event.Started, "in_progress"},
		{event.Completed, "success"},
		{event.Failed, "failure"},
		{event.Aborted, "inactive"},
		{"", "inactive"},
	}
	for _, tt := range tests {
		if got := deployments.State(tt.in); got != tt.want {
			t.Errorf("State(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "short text is kept", in: "web 1.2.3", want: "web 1.2.3"},
		{name: "empty", in: "", want: ""},
		{name: "whitespace is folded", in: "  web\n\t1.2.3 \r\n to   prod ", want: "web 1.2.3 to prod"},
		{name: "exactly 140 characters is kept", in: strings.Repeat("a", 140), want: strings.Repeat("a", 140)},
		{name: "141 characters are cut with an ellipsis", in: strings.Repeat("a", 141), want: strings.Repeat("a", 139) + "…"},
		{name: "140 multi-byte characters are kept", in: strings.Repeat("é", 140), want: strings.Repeat("é", 140)},
		{name: "multi-byte text is cut on a rune boundary", in: strings.Repeat("é", 300), want: strings.Repeat("é", 139) + "…"},
		{name: "CJK text", in: strings.Repeat("部署", 100), want: strings.Repeat("部署", 69) + "部…"},
		{name: "emoji", in: strings.Repeat("🚀", 141), want: strings.Repeat("🚀", 139) + "…"},
		{name: "folding comes before counting", in: strings.Repeat("a\n\n\n", 50), want: strings.TrimSpace(strings.Repeat("a ", 50))},
		{name: "folding then cutting", in: strings.Repeat("ab  ", 50), want: strings.Repeat("ab ", 46) + "a…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := deployments.Truncate(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Truncate() mismatch (-want +got):\n%s", diff)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Truncate() = %q, not valid UTF-8", got)
			}
			if n := utf8.RuneCountInString(got); n > deployments.MaxDescription {
				t.Errorf("Truncate() has %d characters, want at most %d", n, deployments.MaxDescription)
			}
		})
	}
}

func TestCreateRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ev   event.Event
		want map[string]any
	}{
		{
			name: "deployment of this run's commit",
			ev:   deployment(),
			want: map[string]any{
				"ref":               sha,
				"task":              "deploy",
				"auto_merge":        false,
				"required_contexts": []any{},
				"environment":       "production",
				"description":       "web 1.2.3",
				"payload":           map[string]any{"product": "web", "version": "1.2.3", "run_id": "987654321", "run_attempt": "2"},
			},
		},
		{
			name: "long product and version are cut to 140 characters",
			ev:   with(deployment(), func(e *event.Event) { e.Product = strings.Repeat("p", 100); e.Version = strings.Repeat("v", 100) }),
			want: map[string]any{
				"ref":               sha,
				"task":              "deploy",
				"auto_merge":        false,
				"required_contexts": []any{},
				"environment":       "production",
				"description":       strings.Repeat("p", 100) + " " + strings.Repeat("v", 38) + "…",
				"payload":           map[string]any{"product": strings.Repeat("p", 100), "version": strings.Repeat("v", 100), "run_id": "987654321", "run_attempt": "2"},
			},
		},
		{
			name: "outside a run the payload keeps empty ids",
			ev:   with(deployment(), func(e *event.Event) { e.RunID = ""; e.RunAttempt = "" }),
			want: map[string]any{
				"ref":               sha,
				"task":              "deploy",
				"auto_merge":        false,
				"required_contexts": []any{},
				"environment":       "production",
				"description":       "web 1.2.3",
				"payload":           map[string]any{"product": "web", "version": "1.2.3", "run_id": "", "run_attempt": ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := deployments.CreateRequest(tt.ev)
			if diff := cmp.Diff(tt.want, toMap(t, req)); diff != "" {
				t.Errorf("CreateRequest() JSON mismatch (-want +got):\n%s", diff)
			}
			// The two fields whose omission changes GitHub's behaviour are
			// on the wire, not just in the struct.
			raw, _ := json.Marshal(req)
			for _, s := range []string{`"auto_merge":false`, `"required_contexts":[]`} {
				if !strings.Contains(string(raw), s) {
					t.Errorf("CreateRequest() JSON %s lacks %s", raw, s)
				}
			}
		})
	}
}

func TestStatusRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		ev          event.Event
		state       string
		description string
		want        map[string]any
	}{
		{
			name:  "default description names product, version and status",
			ev:    deployment(),
			state: "success",
			want: map[string]any{"state": "success", "description": "web 1.2.3: completed",
				"log_url": "https://github.com/acme/web/actions/runs/987654321"},
		},
		{
			name:  "description input is used",
			ev:    with(deployment(), func(e *event.Event) { e.Description = "Canary at 5%" }),
			state: "in_progress",
			want: map[string]any{"state": "in_progress", "description": "Canary at 5%",
				"log_url": "https://github.com/acme/web/actions/runs/987654321"},
		},
		{
			name:        "a given description wins",
			ev:          with(deployment(), func(e *event.Event) { e.Description = "Canary at 5%" }),
			state:       "failure",
			description: "Versioner blocked the deployment",
			want: map[string]any{"state": "failure", "description": "Versioner blocked the deployment",
				"log_url": "https://github.com/acme/web/actions/runs/987654321"},
		},
		{
			name:  "environment URL is sent when set",
			ev:    with(deployment(), func(e *event.Event) { e.EnvironmentURL = "https://web.example.com" }),
			state: "success",
			want: map[string]any{"state": "success", "description": "web 1.2.3: completed",
				"log_url": "https://github.com/acme/web/actions/runs/987654321", "environment_url": "https://web.example.com"},
		},
		{
			name:  "no run URL sends no log_url",
			ev:    with(deployment(), func(e *event.Event) { e.RunURL = "" }),
			state: "queued",
			want:  map[string]any{"state": "queued", "description": "web 1.2.3: completed"},
		},
		{
			name:  "multi-line description is folded and cut",
			ev:    with(deployment(), func(e *event.Event) { e.Description = "line one\nline two\n" + strings.Repeat("x", 200) }),
			state: "success",
			want: map[string]any{"state": "success", "description": "line one line two " + strings.Repeat("x", 121) + "…",
				"log_url": "https://github.com/acme/web/actions/runs/987654321"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := toMap(t, deployments.StatusRequest(tt.ev, tt.state, tt.description))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("StatusRequest() JSON mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		server, repo, env string
		want              string
	}{
		{"https://github.com", "acme/web", "production", "https://github.com/acme/web/deployments/production"},
		{"https://github.com/", "acme/web", "production", "https://github.com/acme/web/deployments/production"},
		{"https://ghes.example.com", "acme/web", "prod eu", "https://ghes.example.com/acme/web/deployments/prod%20eu"},
		{"https://github.com", "acme/web", "a/b", "https://github.com/acme/web/deployments/a%2Fb"},
	}
	for _, tt := range tests {
		if got := deployments.URL(tt.server, tt.repo, tt.env); got != tt.want {
			t.Errorf("URL(%q, %q, %q) = %q, want %q", tt.server, tt.repo, tt.env, got, tt.want)
		}
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		apiURL     string
		repository string
		wantPrefix string
	}{
		{name: "no owner", apiURL: "https://api.github.com", repository: "web", wantPrefix: `GITHUB_REPOSITORY "web" is not owner/name`},
		{name: "empty", apiURL: "https://api.github.com", repository: "", wantPrefix: `GITHUB_REPOSITORY "" is not owner/name`},
		{name: "empty name", apiURL: "https://api.github.com", repository: "acme/", wantPrefix: `GITHUB_REPOSITORY "acme/" is not owner/name`},
		{name: "empty owner", apiURL: "https://api.github.com", repository: "/web", wantPrefix: `GITHUB_REPOSITORY "/web" is not owner/name`},
		{name: "too many parts", apiURL: "https://api.github.com", repository: "acme/web/x", wantPrefix: `GITHUB_REPOSITORY "acme/web/x" is not owner/name`},
		{name: "API URL without a host", apiURL: "api.github.com", repository: "acme/web", wantPrefix: `GITHUB_API_URL "api.github.com" is not a URL`},
		{name: "API URL empty", apiURL: "", repository: "acme/web", wantPrefix: `GITHUB_API_URL "" is not a URL`},
		{name: "API URL unparsable", apiURL: "https://[::1", repository: "acme/web", wantPrefix: `GITHUB_API_URL "https://[::1" is not a URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := deployments.New(http.DefaultClient, tt.apiURL, token, tt.repository, userAgent)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantPrefix) {
				t.Errorf("New() error = %v, want it to start %q", err, tt.wantPrefix)
			}
		})
	}
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

func TestEnsure(t *testing.T) {
	t.Parallel()
	const other = `{"id":1,"payload":{"product":"api","run_id":"987654321"}},{"id":2,"payload":{"product":"web","run_id":"111"}}`
	tests := []struct {
		name        string
		pages       []string // list answers; each but the last links to the next
		wantID      int64
		wantCreated bool
		wantPages   int
	}{
		{
			name:      "finds this run's deployment by product and run_id",
			pages:     []string{`[` + other + `,{"id":3,"payload":{"product":"web","version":"1.2.2","run_id":"987654321","run_attempt":"1"}}]`},
			wantID:    3,
			wantPages: 1,
		},
		{
			name:      "payload stored as a JSON string holding the object",
			pages:     []string{`[` + other + `,{"id":4,"payload":"{\"product\":\"web\",\"run_id\":\"987654321\"}"}]`},
			wantID:    4,
			wantPages: 1,
		},
		{
			name:      "run_id stored as a number",
			pages:     []string{`[` + other + `,{"id":5,"payload":{"product":"web","run_id":987654321}}]`},
			wantID:    5,
			wantPages: 1,
		},
		{
			name:      "run_id stored as a number inside a JSON string",
			pages:     []string{`[{"id":6,"payload":"{\"product\":\"web\",\"run_id\":987654321}"}]`},
			wantID:    6,
			wantPages: 1,
		},
		{
			name:      "first match wins (GitHub lists newest first)",
			pages:     []string{`[{"id":9,"payload":{"product":"web","run_id":"987654321"}},{"id":8,"payload":{"product":"web","run_id":"987654321"}}]`},
			wantID:    9,
			wantPages: 1,
		},
		{
			name:        "no deployments: creates one",
			pages:       []string{`[]`},
			wantID:      99,
			wantCreated: true,
			wantPages:   1,
		},
		{
			name:        "other products and runs only: creates one",
			pages:       []string{`[` + other + `]`},
			wantID:      99,
			wantCreated: true,
			wantPages:   1,
		},
		{
			name: "payloads that are not objects are skipped",
			pages: []string{`[{"id":10},{"id":11,"payload":null},{"id":12,"payload":""},{"id":13,"payload":"not json"},` +
				`{"id":14,"payload":[1,2]},{"id":15,"payload":{}},{"id":16,"payload":"\"web\""}]`},
			wantID:      99,
			wantCreated: true,
			wantPages:   1,
		},
		{
			name:      "follows pagination",
			pages:     []string{`[` + other + `]`, `[{"id":7,"payload":{"product":"web","run_id":"987654321"}}]`},
			wantID:    7,
			wantPages: 2,
		},
		{
			name:        "gives up searching after three pages and creates",
			pages:       []string{`[` + other + `]`, `[` + other + `]`, `[` + other + `]`, `[{"id":7,"payload":{"product":"web","run_id":"987654321"}}]`},
			wantID:      99,
			wantCreated: true,
			wantPages:   3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			g.mux.HandleFunc("GET /api/v3/repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				page := 1
				if p := r.URL.Query().Get("page"); p != "" {
					fmt.Sscan(p, &page)
				}
				if page < len(tt.pages) {
					w.Header().Set("Link", fmt.Sprintf(`<%s/api/v3/repos/acme/web/deployments?%s&page=%d>; rel="next"`, g.url, listQuery, page+1))
				}
				respond(w, http.StatusOK, tt.pages[page-1])
			})
			g.mux.HandleFunc("POST /api/v3/repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				testJSON(t, r, toMap(t, deployments.CreateRequest(deployment())))
				respond(w, http.StatusCreated, `{"id":99,"sha":"`+sha+`","environment":"production"}`)
			})

			id, created, err := g.client(t, g.url+"/api/v3").Ensure(context.Background(), deployment())
			if err != nil {
				t.Fatalf("Ensure() error = %v", err)
			}
			if diff := cmp.Diff([2]any{tt.wantID, tt.wantCreated}, [2]any{id, created}); diff != "" {
				t.Errorf("Ensure() id, created mismatch (-want +got):\n%s", diff)
			}
			want := []string{"GET /api/v3/repos/acme/web/deployments?" + listQuery}
			for p := 2; p <= tt.wantPages; p++ {
				want = append(want, fmt.Sprintf("GET /api/v3/repos/acme/web/deployments?environment=production&page=%d&per_page=100&sha=%s&task=deploy", p, sha))
			}
			if tt.wantCreated {
				want = append(want, "POST /api/v3/repos/acme/web/deployments")
			}
			if diff := cmp.Diff(want, g.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Matching compares the run id as text, so a large numeric id read from a
// payload is not mangled into a float.
func TestEnsureLargeNumericRunID(t *testing.T) {
	t.Parallel()
	g := setup(t)
	g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
		respond(w, http.StatusOK, `[{"id":21,"payload":{"product":"web","run_id":12345678901234567}}]`)
	})
	ev := with(deployment(), func(e *event.Event) { e.RunID = "12345678901234567" })
	id, created, err := g.client(t, g.url).Ensure(context.Background(), ev)
	if err != nil {
		t.Fatalf("Ensure() error = %v", err)
	}
	if id != 21 || created {
		t.Errorf("Ensure() = %d, %v; want 21, false", id, created)
	}
}

// GITHUB_API_URL is taken as given: github.com has no prefix, GHES has
// /api/v3; with or without a trailing slash.
func TestEnsureAPIURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		prefix string
		suffix string // appended to the server URL to make GITHUB_API_URL
	}{
		{name: "github.com", prefix: "", suffix: ""},
		{name: "github.com with a slash", prefix: "", suffix: "/"},
		{name: "GHES", prefix: "/api/v3", suffix: "/api/v3"},
		{name: "GHES with a slash", prefix: "/api/v3", suffix: "/api/v3/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			g.mux.HandleFunc("GET "+tt.prefix+"/repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusOK, `[]`)
			})
			g.mux.HandleFunc("POST "+tt.prefix+"/repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusCreated, `{"id":5}`)
			})
			g.mux.HandleFunc("POST "+tt.prefix+"/repos/acme/web/deployments/5/statuses", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusCreated, `{"id":1,"state":"success"}`)
			})
			c := g.client(t, g.url+tt.suffix)
			id, _, err := c.Ensure(context.Background(), deployment())
			if err != nil {
				t.Fatalf("Ensure() error = %v", err)
			}
			if err := c.SetStatus(context.Background(), id, deployments.StatusRequest(deployment(), "success", "")); err != nil {
				t.Fatalf("SetStatus() error = %v", err)
			}
			want := []string{
				"GET " + tt.prefix + "/repos/acme/web/deployments?" + listQuery,
				"POST " + tt.prefix + "/repos/acme/web/deployments",
				"POST " + tt.prefix + "/repos/acme/web/deployments/5/statuses",
			}
			if diff := cmp.Diff(want, g.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetStatus(t *testing.T) {
	t.Parallel()
	g := setup(t)
	ev := with(deployment(), func(e *event.Event) { e.EnvironmentURL = "https://web.example.com" })
	req := deployments.StatusRequest(ev, "success", "")
	g.mux.HandleFunc("POST /api/v3/repos/acme/web/deployments/42/statuses", func(w http.ResponseWriter, r *http.Request) {
		testJSON(t, r, map[string]any{
			"state":           "success",
			"description":     "web 1.2.3: completed",
			"log_url":         "https://github.com/acme/web/actions/runs/987654321",
			"environment_url": "https://web.example.com",
		})
		respond(w, http.StatusCreated, `{"id":1,"state":"success"}`)
	})
	if err := g.client(t, g.url+"/api/v3").SetStatus(context.Background(), 42, req); err != nil {
		t.Fatalf("SetStatus() error = %v", err)
	}
	if diff := cmp.Diff([]string{"POST /api/v3/repos/acme/web/deployments/42/statuses"}, g.requests()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	const (
		list   = "GET /repos/acme/web/deployments"
		create = "POST /repos/acme/web/deployments"
		status = "POST /repos/acme/web/deployments/7/statuses"
	)
	tests := []struct {
		name     string
		fail     string // the endpoint that fails; the others succeed
		code     int
		header   map[string]string
		body     string
		want     string
		wantSeen []string
	}{
		{
			name: "403 on list says to add the permission",
			fail: list, code: 403,
			body:     `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/deployments/deployments#list-deployments"}`,
			want:     "GitHub answered 403 Forbidden when asked to list deployments in acme/web: Resource not accessible by integration: add `permissions: deployments: write` to the job (or set github-deployment: false)",
			wantSeen: []string{list},
		},
		{
			name: "404 on list says to add the permission",
			fail: list, code: 404,
			body:     `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`,
			want:     "GitHub answered 404 Not Found when asked to list deployments in acme/web: Not Found: add `permissions: deployments: write` to the job (or set github-deployment: false)",
			wantSeen: []string{list},
		},
		{
			name: "403 on create says to add the permission",
			fail: create, code: 403,
			body:     `{"message":"Resource not accessible by integration"}`,
			want:     "GitHub answered 403 Forbidden when asked to create a deployment in acme/web: Resource not accessible by integration: add `permissions: deployments: write` to the job (or set github-deployment: false)",
			wantSeen: []string{list, create},
		},
		{
			name: "404 on a status says to add the permission",
			fail: status, code: 404,
			body:     `{"message":"Not Found"}`,
			want:     "GitHub answered 404 Not Found when asked to post a status to deployment 7 in acme/web: Not Found: add `permissions: deployments: write` to the job (or set github-deployment: false)",
			wantSeen: []string{status},
		},
		{
			name: "401 says to check the token",
			fail: list, code: 401,
			body:     `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`,
			want:     "GitHub answered 401 Unauthorized when asked to list deployments in acme/web: Bad credentials: check the github-token input",
			wantSeen: []string{list},
		},
		{
			name: "422 includes GitHub's errors",
			fail: create, code: 422,
			body:     `{"message":"Validation Failed","errors":[{"resource":"Deployment","field":"ref","code":"invalid"}],"documentation_url":"https://docs.github.com/rest"}`,
			want:     "GitHub answered 422 Unprocessable Entity when asked to create a deployment in acme/web: Validation Failed (Deployment ref invalid)",
			wantSeen: []string{list, create},
		},
		{
			name: "409 failed status checks",
			fail: create, code: 409,
			body:     `{"message":"Conflict: Commit status checks failed for main.","errors":[{"contexts":[{"context":"ci","state":"failure"}],"resource":"Deployment","field":"required_contexts","code":"invalid"}]}`,
			want:     "GitHub answered 409 Conflict when asked to create a deployment in acme/web: Conflict: Commit status checks failed for main. (Deployment required_contexts invalid)",
			wantSeen: []string{list, create},
		},
		{
			name: "202 merged instead of deploying",
			fail: create, code: 202,
			body:     `{"message":"Auto-merged main into topic-branch on deployment."}`,
			want:     `GitHub: could not create a deployment: GitHub merged the default branch into the ref instead (202): {"message":"Auto-merged main into topic-branch on deployment."}`,
			wantSeen: []string{list, create},
		},
		{
			name: "primary rate limit names the reset",
			fail: list, code: 403,
			header:   map[string]string{"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1714566600"},
			body:     `{"message":"API rate limit exceeded for installation ID 1."}`,
			want:     "GitHub: could not list deployments: rate limit exhausted until 12:30:00 UTC",
			wantSeen: []string{list},
		},
		{
			name: "500 on a status",
			fail: status, code: 500,
			body:     `{"message":"Server Error"}`,
			want:     "GitHub answered 500 Internal Server Error when asked to post a status to deployment 7 in acme/web: Server Error",
			wantSeen: []string{status},
		},
		{
			name: "an HTML page on a 200 is not the API",
			fail: list, code: 200,
			header:   map[string]string{"Content-Type": "text/html; charset=utf-8"},
			body:     "<!DOCTYPE html><html><body>Sign in</body></html>",
			want:     "GitHub answered 200 OK when asked to list deployments in acme/web, but with an HTML page, not the API's JSON: check that GITHUB_API_URL ({url}) is GitHub's API, and that no proxy between the runner and GitHub answers in its place",
			wantSeen: []string{list},
		},
		{
			name: "a success cut short is not the API's JSON",
			fail: status, code: 201,
			body:     `{"id": 1, "state": "succ`,
			want:     "GitHub answered 201 Created when asked to post a status to deployment 7 in acme/web, but with a body that is not the API's JSON (unexpected EOF): check that GITHUB_API_URL ({url}) is GitHub's API, and that no proxy between the runner and GitHub answers in its place",
			wantSeen: []string{status},
		},
		{
			name: "multi-line message is folded",
			fail: create, code: 422,
			body:     `{"message":"Validation\nFailed"}`,
			want:     "GitHub answered 422 Unprocessable Entity when asked to create a deployment in acme/web: Validation Failed",
			wantSeen: []string{list, create},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			ok := map[string]string{list: `[]`, create: `{"id":7}`, status: `{"id":1}`}
			for _, ep := range []string{list, create, status} {
				g.mux.HandleFunc(ep, func(w http.ResponseWriter, r *http.Request) {
					if ep != tt.fail {
						code := http.StatusCreated
						if ep == list {
							code = http.StatusOK
						}
						respond(w, code, ok[ep])
						return
					}
					for k, v := range tt.header {
						w.Header().Set(k, v)
					}
					respond(w, tt.code, tt.body)
				})
			}
			c := g.client(t, g.url)
			var err error
			if tt.fail == status {
				err = c.SetStatus(context.Background(), 7, deployments.StatusRequest(deployment(), "success", ""))
			} else {
				_, _, err = c.Ensure(context.Background(), deployment())
			}
			if err == nil {
				t.Fatal("got no error")
			}
			if diff := cmp.Diff(strings.ReplaceAll(tt.want, "{url}", g.url), err.Error()); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			var got []string
			for _, r := range g.requests() {
				got = append(got, strings.SplitN(r, "?", 2)[0])
			}
			if diff := cmp.Diff(tt.wantSeen, got); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// GitHub puts the explanation of a "custom" validation error in its
// message (a too-long description, an environment a rule forbids...), and
// some errors are plain strings.
func TestErrorsValidationMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want string
	}{
		{
			name: "custom code",
			body: `{"message":"Validation Failed","errors":[{"resource":"DeploymentStatus","code":"custom","field":"description","message":"description is too long (maximum is 140 characters)"}]}`,
			want: "description is too long (maximum is 140 characters)",
		},
		{
			name: "plain string",
			body: `{"message":"Validation Failed","errors":["Environment \"prod\" is protected by a deployment branch policy"]}`,
			want: `Environment "prod" is protected by a deployment branch policy`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			g.mux.HandleFunc("POST /repos/acme/web/deployments/7/statuses", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusUnprocessableEntity, tt.body)
			})
			err := g.client(t, g.url).SetStatus(context.Background(), 7, deployments.StatusRequest(deployment(), "success", ""))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SetStatus() error = %v, want it to include %q", err, tt.want)
			}
		})
	}
}

func TestErrorsUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	apiURL := srv.URL
	srv.Close()
	c, err := deployments.New(&http.Client{}, apiURL, token, "acme/web", userAgent)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Ensure(context.Background(), deployment())
	if err == nil {
		t.Fatal("Ensure() against a closed port succeeded")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Ensure() error = %v, want it to wrap ECONNREFUSED", err)
	}
	if !strings.HasPrefix(err.Error(), "GitHub: could not list deployments: ") {
		t.Errorf("Ensure() error = %q, want it to say what it could not do", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("Ensure() error = %q shows the token", err)
	}
}

func TestErrorsDeadline(t *testing.T) {
	t.Parallel()
	g := setup(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := g.client(t, g.url).Ensure(ctx, deployment())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ensure() error = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if diff := cmp.Diff("GitHub: could not list deployments: context deadline exceeded", err.Error()); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
}

// The 202 is go-github's *AcceptedError: Ensure must not report a
// deployment id it does not have.
func TestEnsureAccepted(t *testing.T) {
	t.Parallel()
	g := setup(t)
	g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
		respond(w, http.StatusOK, `[]`)
	})
	g.mux.HandleFunc("POST /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
		respond(w, http.StatusAccepted, `{"message":"Auto-merged main into topic on deployment."}`)
	})
	id, created, err := g.client(t, g.url).Ensure(context.Background(), deployment())
	if err == nil {
		t.Fatal("Ensure() after a 202 succeeded")
	}
	if id != 0 || created {
		t.Errorf("Ensure() = %d, %v with the error; want 0, false", id, created)
	}
	if n := len(g.requests()); n != 2 {
		t.Errorf("server saw %d requests, want 2 (list, create)", n)
	}
}

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

func TestTarget(t *testing.T) {
	t.Parallel()
	const (
		list     = "GET /repos/acme/web/deployments?" + listQuery
		listPR   = "GET /repos/acme/web/deployments?environment=production&per_page=100&sha=" + mergeSHA + "&task=deploy"
		create   = "POST /repos/acme/web/deployments"
		ourPay   = `{"product":"web","version":"1.2.3","run_id":"987654321","run_attempt":"2"}`
		otherRun = "https://github.com/acme/web/actions/runs/111/job/9"
	)
	statusesOf := func(id int64) string {
		return fmt.Sprintf("GET /repos/acme/web/deployments/%d/statuses?per_page=100", id)
	}
	auto := deployments.Where{Auto: true, RunSHA: sha}
	tests := []struct {
		name     string
		where    deployments.Where
		ev       func(*event.Event)
		lists    map[string]string // by the sha listed; missing is []
		statuses map[int64]string  // by deployment; missing is []
		want     deployments.Target
		wantSeen []string
	}{
		{
			name: "the job's own deployment is used", where: auto,
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: linking(jobLink)},
			want: deployments.Target{ID: 5, Job: true}, wantSeen: []string{list, statusesOf(5)},
		},
		{
			name: "no job deployment: ours is created, as before", where: auto,
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create},
		},
		{
			name: "this run's deployment of the product wins over the job's", where: auto,
			lists: map[string]string{sha: `[` + job(6) + `,` + dep(4, "github-actions[bot]", ourPay) + `]`}, statuses: map[int64]string{6: linking(jobLink)},
			want: deployments.Target{ID: 4}, wantSeen: []string{list},
		},
		{
			name: "another run's job deployment is not adopted", where: auto,
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: linking(otherRun)},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, statusesOf(5), create},
		},
		{
			name: "a person's deployment is not a candidate", where: auto,
			lists: map[string]string{sha: `[` + dep(5, "octocat", `{}`) + `]`}, statuses: map[int64]string{5: linking(jobLink)},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create},
		},
		{
			name: "the bot's deployments with a payload (ours for another product, another action's) are not candidates", where: auto,
			lists: map[string]string{sha: `[` + dep(6, "github-actions[bot]", `{"product":"api","run_id":"987654321"}`) + `,` +
				dep(5, "github-actions[bot]", `"{\"tool\":\"other\"}"`) + `]`},
			statuses: map[int64]string{5: linking(jobLink), 6: linking(jobLink)},
			want:     deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create},
		},
		{
			name: "a link to the run itself (a step's own status) is not the job's", where: auto,
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: `[{"id":1,"state":"success","log_url":"` + runURL + `"}]`},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, statusesOf(5), create},
		},
		{
			name: "a run id that only starts like ours does not link", where: auto,
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: linking(runURL + "0/job/1")},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, statusesOf(5), create},
		},
		{
			name: "target_url alone links", where: auto,
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: `[{"id":1,"state":"queued","target_url":"` + jobLink + `"}]`},
			want: deployments.Target{ID: 5, Job: true}, wantSeen: []string{list, statusesOf(5)},
		},
		{
			name: "no payload, null and empty string are empty payloads", where: auto,
			lists:    map[string]string{sha: `[` + dep(7, "github-actions[bot]", "") + `,` + dep(6, "github-actions[bot]", "null") + `,` + dep(5, "github-actions[bot]", `""`) + `]`},
			statuses: map[int64]string{5: linking(jobLink)},
			want:     deployments.Target{ID: 5, Job: true}, wantSeen: []string{list, statusesOf(7), statusesOf(6), statusesOf(5)},
		},
		{
			name: "the newest job deployment that links to this run wins", where: auto,
			lists:    map[string]string{sha: `[` + job(9) + `,` + job(8) + `,` + job(7) + `]`},
			statuses: map[int64]string{9: linking(otherRun), 8: linking(runURL + "/job/556"), 7: linking(jobLink)},
			want:     deployments.Target{ID: 8, Job: true}, wantSeen: []string{list, statusesOf(9), statusesOf(8)},
		},
		{
			name: "at most three candidates are read", where: auto,
			lists:    map[string]string{sha: `[` + job(9) + `,` + job(8) + `,` + job(7) + `,` + job(6) + `]`},
			statuses: map[int64]string{9: linking(otherRun), 8: linking(otherRun), 7: linking(otherRun), 6: linking(jobLink)},
			want:     deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, statusesOf(9), statusesOf(8), statusesOf(7), create},
		},
		{
			name: "pull request: the job's deployment at GITHUB_SHA, the test merge", where: deployments.Where{Auto: true, RunSHA: mergeSHA},
			lists: map[string]string{mergeSHA: `[` + job(5) + `]`}, statuses: map[int64]string{5: linking(jobLink)},
			want: deployments.Target{ID: 5, Job: true}, wantSeen: []string{list, listPR, statusesOf(5)},
		},
		{
			name: "pull request: candidates of both commits are read newest first", where: deployments.Where{Auto: true, RunSHA: mergeSHA},
			lists:    map[string]string{sha: `[` + job(3) + `]`, mergeSHA: `[` + job(5) + `]`},
			statuses: map[int64]string{3: linking(otherRun), 5: linking(jobLink)},
			want:     deployments.Target{ID: 5, Job: true}, wantSeen: []string{list, listPR, statusesOf(5)},
		},
		{
			name: "pull request without a job deployment: both commits listed, then ours created", where: deployments.Where{Auto: true, RunSHA: mergeSHA},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, listPR, create},
		},
		{
			name: "pull request, a later step: this run's deployment found at the head commit", where: deployments.Where{Auto: true, RunSHA: mergeSHA},
			lists: map[string]string{sha: `[` + dep(4, "github-actions[bot]", ourPay) + `]`},
			want:  deployments.Target{ID: 4}, wantSeen: []string{list},
		},
		{
			name: "handed over by an earlier step: no request", where: deployments.Where{Auto: true, RunSHA: sha, Handoff: 42},
			want: deployments.Target{ID: 42, Job: true}, wantSeen: nil,
		},
		{
			name: "outside a run nothing can link to it", where: auto, ev: func(e *event.Event) { e.RunURL = "" },
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: linking(jobLink)},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create},
		},
		{
			name: "github-deployment true: ours even when the job has one", where: deployments.Where{RunSHA: sha, Handoff: 42},
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: linking(jobLink)},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			ev := deployment()
			if tt.ev != nil {
				tt.ev(&ev)
			}
			g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusOK, or(tt.lists[r.URL.Query().Get("sha")], `[]`))
			})
			g.mux.HandleFunc("GET /repos/acme/web/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
				var id int64
				fmt.Sscan(r.PathValue("id"), &id)
				respond(w, http.StatusOK, or(tt.statuses[id], `[]`))
			})
			g.mux.HandleFunc("POST /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				testJSON(t, r, toMap(t, deployments.CreateRequest(ev)))
				respond(w, http.StatusCreated, `{"id":99}`)
			})
			got, err := g.client(t, g.url).Target(context.Background(), ev, tt.where)
			if err != nil {
				t.Fatalf("Target() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(deployments.Target{})); diff != "" {
				t.Errorf("Target() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSeen, g.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// TestPost: a status goes straight to a deployment handed over by an earlier step; when GitHub
// no longer knows it, the step looks again and posts where that leads.
func TestPost(t *testing.T) {
	t.Parallel()
	const (
		list   = "GET /repos/acme/web/deployments?" + listQuery
		create = "POST /repos/acme/web/deployments"
	)
	post := func(id int64) string { return fmt.Sprintf("POST /repos/acme/web/deployments/%d/statuses", id) }
	handed := deployments.Where{Auto: true, RunSHA: sha, Handoff: 42}
	tests := []struct {
		name     string
		where    deployments.Where
		gone     int    // the status answer for deployment 42
		list     string // the list answer
		want     deployments.Target
		wantErr  string
		wantSeen []string
	}{
		{
			name: "handed over: one request", where: handed, gone: http.StatusCreated,
			want: deployments.Target{ID: 42, Job: true}, wantSeen: []string{post(42)},
		},
		{
			name: "handed over but gone: the job's deployment is looked up again", where: handed, gone: http.StatusNotFound,
			list: `[` + job(5) + `]`,
			want: deployments.Target{ID: 5, Job: true}, wantSeen: []string{post(42), list, "GET /repos/acme/web/deployments/5/statuses?per_page=100", post(5)},
		},
		{
			name: "handed over but gone, and no job deployment: ours is created", where: handed, gone: http.StatusNotFound,
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{post(42), list, create, post(99)},
		},
		{
			name: "handed over, another error: no second guess", where: handed, gone: http.StatusForbidden,
			wantErr: "GitHub answered 403 Forbidden when asked to post a status to deployment 42 in acme/web",
			want:    deployments.Target{ID: 42, Job: true}, wantSeen: []string{post(42)},
		},
		{
			name: "looked up, then 404: an error, not a loop", where: deployments.Where{Auto: true}, gone: http.StatusNotFound,
			wantErr: "GitHub answered 404 Not Found when asked to post a status to deployment 42 in acme/web: Not Found: add `permissions: deployments: write`",
			want:    deployments.Target{ID: 42}, wantSeen: []string{post(42)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			g.mux.HandleFunc("POST /repos/acme/web/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
				testJSON(t, r, toMap(t, deployments.StatusRequest(deployment(), "success", "")))
				if r.PathValue("id") == "42" && tt.gone != http.StatusCreated {
					respond(w, tt.gone, `{"message":"`+http.StatusText(tt.gone)+`"}`)
					return
				}
				respond(w, http.StatusCreated, `{"id":1}`)
			})
			g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusOK, or(tt.list, `[]`))
			})
			g.mux.HandleFunc("GET /repos/acme/web/deployments/5/statuses", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusOK, linking(jobLink))
			})
			g.mux.HandleFunc("POST /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusCreated, `{"id":99}`)
			})
			c := g.client(t, g.url)
			target := deployments.Target{ID: 42} // as if looked up
			if tt.where.Handoff != 0 {
				var err error
				if target, err = c.Target(context.Background(), deployment(), tt.where); err != nil {
					t.Fatal(err)
				}
			}
			err := c.Post(context.Background(), deployment(), tt.where, &target, deployments.StatusRequest(deployment(), "success", ""))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Post() error = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("Post() error = %v, want it to start %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, target, cmpopts.IgnoreUnexported(deployments.Target{})); diff != "" {
				t.Errorf("target after Post() (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSeen, g.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandoffVar(t *testing.T) {
	t.Parallel()
	base := deployments.HandoffVar(deployment())
	if !regexp.MustCompile(`^DEPLOYTRACK_GITHUB_DEPLOYMENT_[0-9A-F]{12}$`).MatchString(base) {
		t.Errorf("HandoffVar() = %q, not a portable variable name", base)
	}
	if again := deployments.HandoffVar(deployment()); again != base {
		t.Errorf("HandoffVar() = %q then %q", base, again)
	}
	for name, change := range map[string]func(*event.Event){
		"product":     func(e *event.Event) { e.Product = "api" },
		"environment": func(e *event.Event) { e.Environment = "staging" },
		"commit":      func(e *event.Event) { e.SHA = mergeSHA },
	} {
		if got := deployments.HandoffVar(with(deployment(), change)); got == base {
			t.Errorf("another %s, the same variable %s", name, got)
		}
	}
	for _, same := range []func(*event.Event){
		func(e *event.Event) { e.Status = event.Started },
		func(e *event.Event) { e.Version = "9.9.9" },
	} {
		if got := deployments.HandoffVar(with(deployment(), same)); got != base {
			t.Errorf("HandoffVar() = %q, want %q: the status and version do not change the deployment", got, base)
		}
	}
}

func TestParseHandoff(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"42": 42, " 7\n": 7, "": 0, "0": 0, "-1": 0, "abc": 0, "1.5": 0, "99999999999999999999": 0} {
		if got := deployments.ParseHandoff(in); got != want {
			t.Errorf("ParseHandoff(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestPlan: a dry run says which requests each mode sends, and when.
func TestPlan(t *testing.T) {
	t.Parallel()
	const base = "https://api.github.com/repos/acme/web/deployments"
	list := func(s string) string {
		return "GET " + base + "?environment=production&per_page=100&sha=" + s + "&task=deploy"
	}
	tests := []struct {
		name  string
		where deployments.Where
		want  []string // method and URL of each line, then "+body" when it has one
	}{
		{name: "true: list, create, status", where: deployments.Where{RunSHA: sha},
			want: []string{list(sha), "POST " + base + " +body", "POST " + base + "/{id}/statuses +body"}},
		{name: "auto: list, the candidates' statuses, create, status", where: deployments.Where{Auto: true, RunSHA: sha},
			want: []string{list(sha), "GET " + base + "/{id}/statuses?per_page=100", "POST " + base + " +body", "POST " + base + "/{id}/statuses +body"}},
		{name: "auto on a pull request lists GITHUB_SHA too", where: deployments.Where{Auto: true, RunSHA: mergeSHA},
			want: []string{list(sha), list(mergeSHA), "GET " + base + "/{id}/statuses?per_page=100", "POST " + base + " +body", "POST " + base + "/{id}/statuses +body"}},
		{name: "auto, handed over: the status only", where: deployments.Where{Auto: true, RunSHA: sha, Handoff: 42},
			want: []string{"POST " + base + "/42/statuses +body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, r := range deployments.Plan("https://api.github.com/", deployment(), tt.where, "success") {
				f := strings.Fields(r.Line)
				line := f[0] + " " + f[1]
				if r.Body != nil {
					line += " +body"
				}
				got = append(got, line)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Plan() (-want +got):\n%s", diff)
			}
		})
	}
}

// A create whose answer is lost or unreadable may still have made the
// deployment: Ensure lists again before it creates again. An answer that
// says nothing was made (a refusal, a rate limit the step gave up waiting
// for) is not lost.
func TestEnsureLostAnswer(t *testing.T) {
	t.Parallel()
	const (
		list   = "GET /repos/acme/web/deployments"
		create = "POST /repos/acme/web/deployments"
		found  = `[{"id":7,"payload":{"product":"web","run_id":"987654321"}}]`
	)
	tests := []struct {
		name        string
		create      func(w http.ResponseWriter) // the create's answer; it makes the deployment first
		wantID      int64
		wantErr     string
		wantSeen    []string
		wantCreated int // deployments GitHub made
	}{
		{
			name:   "an empty 201",
			create: func(w http.ResponseWriter) { w.WriteHeader(http.StatusCreated) },
			wantID: 7, wantSeen: []string{list, create, list}, wantCreated: 1,
		},
		{
			name:   "a connection closed before the answer",
			create: func(w http.ResponseWriter) { panic(http.ErrAbortHandler) },
			wantID: 7, wantSeen: []string{list, create, list}, wantCreated: 1,
		},
		{
			name:   "a truncated 201",
			create: func(w http.ResponseWriter) { respond(w, http.StatusCreated, `{"id": 7, "sha": "01234`) },
			wantID: 7, wantSeen: []string{list, create, list}, wantCreated: 1,
		},
		{
			name: "a secondary rate limit the step gave up waiting for",
			create: func(w http.ResponseWriter) {
				respond(w, http.StatusForbidden, `{"message":"You have exceeded a secondary rate limit."}`)
			},
			wantErr:  "GitHub: could not create a deployment: GitHub: answered 403: secondary rate limit (secondary rate limit: at least a minute); the next try is due in 1m0s",
			wantSeen: []string{list, create}, wantCreated: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			var mu sync.Mutex
			created := 0
			g.mux.HandleFunc(list, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				if created > 0 && tt.wantErr == "" {
					respond(w, http.StatusOK, found)
					return
				}
				respond(w, http.StatusOK, `[]`)
			})
			g.mux.HandleFunc(create, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				created++
				mu.Unlock()
				tt.create(w)
			})
			hc := httpx.New(httpx.Options{WaitMin: time.Millisecond, WaitMax: time.Millisecond}).For("GitHub")
			c, err := deployments.New(hc, g.url, token, "acme/web", userAgent)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			id, made, err := c.Ensure(ctx, deployment())
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("Ensure() error = %v, want it to start %q", err, tt.wantErr)
				}
			} else if err != nil || id != tt.wantID || made {
				t.Errorf("Ensure() = %d, created %v, %v; want %d found again", id, made, err, tt.wantID)
			}
			var got []string
			for _, r := range g.requests() {
				got = append(got, strings.SplitN(r, "?", 2)[0])
			}
			if diff := cmp.Diff(tt.wantSeen, got); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
			if mu.Lock(); created != tt.wantCreated {
				t.Errorf("GitHub made %d deployments, want %d", created, tt.wantCreated)
			}
			mu.Unlock()
		})
	}
}
