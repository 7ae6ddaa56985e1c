package versioner_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/event"
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

func TestRecordRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind config.Kind
		path string
	}{
		{name: "deployment event", kind: config.Deployment, path: "/deployment-events/"},
		{name: "build event", kind: config.Build, path: "/build-events/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			ev := deployment()
			if tt.kind == config.Build {
				ev = build()
			}
			want, err := versioner.Body(ev)
			if err != nil {
				t.Fatal(err)
			}
			s.mux.HandleFunc(tt.path+"{$}", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, http.MethodPost)
				testHeader(t, r, "Authorization", "Bearer "+apiKey)
				testHeader(t, r, "Content-Type", "application/json")
				testHeader(t, r, "Accept", "application/json")
				testHeader(t, r, "User-Agent", userAgent)
				testHeader(t, r, "Idempotency-Key", "deploytrack-00112233445566778899aabbccddeeff")
				testBody(t, r, string(want))
				respond(w, http.StatusCreated, `{"id":"e-1","status":"completed"}`)
			})
			if _, err := client(t, s.url).Record(context.Background(), ev); err != nil {
				t.Fatalf("Record() error = %v", err)
			}
			if diff := cmp.Diff([]string{"POST " + tt.path}, s.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Users point api-url at other bases: paths are joined without doubling
// or losing a slash.
func TestRecordPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		base string // after the server's URL
		kind config.Kind
		want string
	}{
		{name: "bare host", base: "", kind: config.Deployment, want: "/deployment-events/"},
		{name: "host with a slash", base: "/", kind: config.Deployment, want: "/deployment-events/"},
		{name: "path prefix", base: "/versioner", kind: config.Deployment, want: "/versioner/deployment-events/"},
		{name: "path prefix with a slash", base: "/versioner/", kind: config.Deployment, want: "/versioner/deployment-events/"},
		{name: "deep prefix", base: "/api/v1/", kind: config.Build, want: "/api/v1/build-events/"},
		{name: "build on a bare host", base: "", kind: config.Build, want: "/build-events/"},
		{name: "build under a prefix", base: "/versioner", kind: config.Build, want: "/versioner/build-events/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			s.mux.HandleFunc("POST "+tt.want+"{$}", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusCreated, `{"id":"e-1"}`)
			})
			c := client(t, s.url+tt.base)
			if got := c.Endpoint(tt.kind); got != s.url+tt.want {
				t.Errorf("Endpoint(%s) = %q, want %q", tt.kind, got, s.url+tt.want)
			}
			ev := deployment()
			ev.Kind = tt.kind
			if _, err := c.Record(context.Background(), ev); err != nil {
				t.Fatalf("Record() error = %v", err)
			}
			if diff := cmp.Diff([]string{"POST " + tt.want}, s.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecordResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		kind   config.Kind
		status int
		ctype  string
		body   string
		want   versioner.Result
	}{
		{
			name:   "deployment answer",
			kind:   config.Deployment,
			status: http.StatusCreated,
			body: `{"id":"8d1f5c2e-0000-4000-8000-000000000001","product_id":"p-1","product_name":"web","version_id":"v-1","version":"1.2.3",
				"environment_id":"env-1","environment_name":"production","status":"completed","deployed_at":"2024-05-01T12:30:00Z",
				"deployed_by":"octocat","extra_metadata":{}}`,
			want: versioner.Result{ID: "8d1f5c2e-0000-4000-8000-000000000001", ProductID: "p-1", VersionID: "v-1", EnvironmentID: "env-1", Status: "completed"},
		},
		{
			name:   "build answer",
			kind:   config.Build,
			status: http.StatusOK,
			body:   `{"id":"b-1","version_id":"v-1","product_id":"p-1","version":"1.2.3","status":"completed","started_at":null}`,
			want:   versioner.Result{ID: "b-1", ProductID: "p-1", VersionID: "v-1", Status: "completed"},
		},
		{
			name:   "report_only rules that failed are warnings",
			kind:   config.Deployment,
			status: http.StatusCreated,
			body: `{"id":"d-1","status":"started","extra_metadata":{"preflight_status":{"rules_evaluated":[
				{"rule_name":"Soak time","status":"report_only","evaluation_result":"failed","error_message":"staging soaked 10m of 1h"},
				{"rule_name":"Freeze","status":"report_only","evaluation_result":"passed","error_message":""},
				{"rule_name":"Approval","status":"enforced","evaluation_result":"passed"},
				{"rule_name":"Flow","status":"report_only","evaluation_result":"failed","error_message":"skipped staging"}
			]}}}`,
			want: versioner.Result{ID: "d-1", Status: "started", Warnings: []versioner.Rule{
				{Name: "Soak time", Status: "report_only", EvaluationResult: "failed", Message: "staging soaked 10m of 1h"},
				{Name: "Flow", Status: "report_only", EvaluationResult: "failed", Message: "skipped staging"},
			}},
		},
		{
			name:   "empty 201 body is recorded with a note",
			kind:   config.Deployment,
			status: http.StatusCreated,
			body:   "",
			want:   versioner.Result{Note: "Versioner recorded the deployment event but answered with an empty body, so its ids are unknown"},
		},
		{
			name:   "whitespace body counts as empty",
			kind:   config.Build,
			status: http.StatusCreated,
			body:   " \n",
			want:   versioner.Result{Note: "Versioner recorded the build event but answered with an empty body, so its ids are unknown"},
		},
		{
			name:   "204 No Content",
			kind:   config.Deployment,
			status: http.StatusNoContent,
			want:   versioner.Result{Note: "Versioner recorded the deployment event but answered with an empty body, so its ids are unknown"},
		},
		{
			name:   "JSON without an id",
			kind:   config.Deployment,
			status: http.StatusOK,
			body:   `{"ok":true}`,
			want:   versioner.Result{Note: "Versioner recorded the deployment event but answered with a body without an event id, so its ids are unknown"},
		},
		{
			name:   "truncated JSON",
			kind:   config.Deployment,
			status: http.StatusCreated,
			ctype:  "application/json",
			body:   `{"id": "8d1f5c2e-00`,
			want:   versioner.Result{Note: "Versioner recorded the deployment event but answered with a body that is not valid JSON, so its ids are unknown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			s.mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
				if tt.ctype != "" {
					w.Header().Set("Content-Type", tt.ctype)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			ev := deployment()
			ev.Kind = tt.kind
			got, err := client(t, s.url).Record(context.Background(), ev)
			if err != nil {
				t.Fatalf("Record() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Record() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecordErrors(t *testing.T) {
	t.Parallel()
	const endpoint = "{url}/deployment-events/"
	long := "<html><head><title>502 Bad Gateway</title></head><body>" + strings.Repeat("nginx ", 60) + "</body></html>"
	tests := []struct {
		name         string
		status       int
		header       map[string]string
		body         string
		want         *versioner.APIError
		wantMsg      string
		wantRequests int
	}{
		{
			name:         "401 says to check the key",
			status:       http.StatusUnauthorized,
			body:         `{"detail":"Invalid authentication credentials"}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 401, Detail: "Invalid authentication credentials", Attempts: 1},
			wantMsg:      "Versioner answered 401 Unauthorized for POST {url}/deployment-events/: Invalid authentication credentials: check the api-key input (or VERSIONER_API_KEY): the key is missing, wrong or revoked",
			wantRequests: 1,
		},
		{
			name:         "403 says the key lacks permission",
			status:       http.StatusForbidden,
			body:         `{"detail":"API key cannot write to production"}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 403, Detail: "API key cannot write to production", Attempts: 1},
			wantMsg:      "Versioner answered 403 Forbidden for POST {url}/deployment-events/: API key cannot write to production: the api-key lacks permission for this product or environment",
			wantRequests: 1,
		},
		{
			name:         "404 says to check the URL",
			status:       http.StatusNotFound,
			body:         `{"detail":"Not found"}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 404, Detail: "Not found", Attempts: 1},
			wantMsg:      "Versioner answered 404 Not Found for POST {url}/deployment-events/: Not found: check api-url: it should be the API's base, such as https://api.versioner.io",
			wantRequests: 1,
		},
		{
			name:         "400 malformed",
			status:       http.StatusBadRequest,
			body:         `{"detail":"There was an error parsing the body"}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 400, Detail: "There was an error parsing the body", Attempts: 1},
			wantMsg:      "Versioner answered 400 Bad Request for POST {url}/deployment-events/: There was an error parsing the body",
			wantRequests: 1,
		},
		{
			name:   "422 FastAPI validation list is made readable",
			status: http.StatusUnprocessableEntity,
			body: `{"detail":[{"loc":["body","version"],"msg":"field required","type":"value_error.missing"},
				{"loc":["body","extra_metadata",0],"msg":"value is not a valid dict","type":"type_error.dict"}]}`,
			want: &versioner.APIError{Endpoint: endpoint, Status: 422, Attempts: 1,
				Detail: "body.version: field required; body.extra_metadata.0: value is not a valid dict"},
			wantMsg:      "Versioner answered 422 Unprocessable Entity for POST {url}/deployment-events/: body.version: field required; body.extra_metadata.0: value is not a valid dict: the event was refused as invalid",
			wantRequests: 1,
		},
		{
			name:         "409 immutability is an API error, not a preflight",
			status:       http.StatusConflict,
			body:         `{"detail":"Version 1.2.3 of web already exists with SHA abc123"}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 409, Detail: "Version 1.2.3 of web already exists with SHA abc123", Attempts: 1},
			wantMsg:      "Versioner answered 409 Conflict for POST {url}/deployment-events/: Version 1.2.3 of web already exists with SHA abc123: versions are immutable: the same version was recorded from another commit",
			wantRequests: 1,
		},
		{
			name:         "multi-line detail is folded",
			status:       http.StatusBadRequest,
			body:         `{"detail":"line one\n  line two\r\n"}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 400, Detail: "line one line two", Attempts: 1},
			wantMsg:      "Versioner answered 400 Bad Request for POST {url}/deployment-events/: line one line two",
			wantRequests: 1,
		},
		{
			name:         "detail of another shape is shown as JSON",
			status:       http.StatusBadRequest,
			body:         `{"detail":{"reason":"odd"}}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 400, Detail: `{"reason":"odd"}`, Attempts: 1},
			wantMsg:      `Versioner answered 400 Bad Request for POST {url}/deployment-events/: {"reason":"odd"}`,
			wantRequests: 1,
		},
		{
			name:         "HTML error page from a proxy",
			status:       http.StatusForbidden,
			header:       map[string]string{"Content-Type": "text/html"},
			body:         "<html>\n<body><h1>Access denied</h1></body>\n</html>\n",
			want:         &versioner.APIError{Endpoint: endpoint, Status: 403, Detail: "unexpected body: <html> <body><h1>Access denied</h1></body> </html>", Attempts: 1},
			wantMsg:      "Versioner answered 403 Forbidden for POST {url}/deployment-events/: unexpected body: <html> <body><h1>Access denied</h1></body> </html>: the api-key lacks permission for this product or environment",
			wantRequests: 1,
		},
		{
			name:         "HTML page on a 200 is not the API: nothing was recorded",
			status:       http.StatusOK,
			header:       map[string]string{"Content-Type": "text/html; charset=utf-8"},
			body:         "<!DOCTYPE html>\n<html><body>Sign in</body></html>",
			want:         &versioner.APIError{Endpoint: endpoint, Status: 200, Detail: "an HTML page, not the API's JSON: <!DOCTYPE html> <html><body>Sign in</body></html>", Attempts: 1},
			wantMsg:      "Versioner answered 200 OK for POST {url}/deployment-events/: an HTML page, not the API's JSON: <!DOCTYPE html> <html><body>Sign in</body></html>: check api-url: it should be the API's base, such as https://api.versioner.io",
			wantRequests: 1,
		},
		{
			name:         "a page without a Content-Type is still a page",
			status:       http.StatusCreated,
			body:         "  <html>hello</html>",
			want:         &versioner.APIError{Endpoint: endpoint, Status: 201, Detail: "an HTML page, not the API's JSON: <html>hello</html>", Attempts: 1},
			wantRequests: 1,
		},
		{
			name:   "long HTML page after retries is cut",
			status: http.StatusBadGateway,
			header: map[string]string{"Content-Type": "text/html"},
			body:   long,
			want: &versioner.APIError{Endpoint: endpoint, Status: 502, Attempts: 3,
				Detail: "unexpected body: " + strings.Join(strings.Fields(string([]rune(long)[:200])), " ") + "…"},
			wantRequests: 3,
		},
		{
			name:         "empty 500 after retries",
			status:       http.StatusInternalServerError,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 500, Attempts: 3},
			wantMsg:      "Versioner answered 500 Internal Server Error for POST {url}/deployment-events/ after 3 attempts",
			wantRequests: 3,
		},
		{
			name:         "429 after retries",
			status:       http.StatusTooManyRequests,
			header:       map[string]string{"Retry-After": "0"},
			body:         `{"detail":"Rate limit exceeded"}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 429, Detail: "Rate limit exceeded", Attempts: 3},
			wantMsg:      "Versioner answered 429 Too Many Requests for POST {url}/deployment-events/ after 3 attempts: Rate limit exceeded",
			wantRequests: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			s.mux.HandleFunc("POST /deployment-events/{$}", func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			_, err := client(t, s.url).Record(context.Background(), deployment())
			var got *versioner.APIError
			if !errors.As(err, &got) {
				t.Fatalf("Record() error = %v (%T), want a *versioner.APIError", err, err)
			}
			want := *tt.want
			want.Endpoint = strings.ReplaceAll(want.Endpoint, "{url}", s.url)
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("APIError mismatch (-want +got):\n%s", diff)
			}
			if tt.wantMsg != "" {
				if diff := cmp.Diff(strings.ReplaceAll(tt.wantMsg, "{url}", s.url), err.Error()); diff != "" {
					t.Errorf("Error() mismatch (-want +got):\n%s", diff)
				}
			}
			var pe *versioner.PreflightError
			if errors.As(err, &pe) {
				t.Errorf("Record() error is also a PreflightError: %v", pe)
			}
			if n := len(s.requests()); n != tt.wantRequests {
				t.Errorf("server saw %d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

// Preflight rejections are policy decisions: a typed error, never retried.
func TestRecordPreflight(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		want    *versioner.PreflightError
		wantMsg string
	}{
		{
			name:   "423 no-deploy window under detail",
			status: http.StatusLocked,
			body: `{"detail":{"error":"deployment_blocked","message":"Deployments to production are frozen until Monday",
				"code":"NO_DEPLOY_WINDOW","retry_after":"2024-05-06T08:00:00Z","details":{"rule_name":"Weekend freeze","window":"Fri 16:00-Mon 08:00"}}}`,
			want: &versioner.PreflightError{Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "Deployments to production are frozen until Monday",
				RetryAfter: "2024-05-06T08:00:00Z", RuleName: "Weekend freeze"},
			wantMsg: `Versioner blocked the deployment (NO_DEPLOY_WINDOW) by rule "Weekend freeze": Deployments to production are frozen until Monday; retry after 2024-05-06T08:00:00Z`,
		},
		{
			name:    "423 at the top level",
			status:  http.StatusLocked,
			body:    `{"error":"deployment_blocked","message":"Frozen","code":"NO_DEPLOY_WINDOW","retry_after":"2024-05-06T08:00:00Z"}`,
			want:    &versioner.PreflightError{Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "Frozen", RetryAfter: "2024-05-06T08:00:00Z"},
			wantMsg: "Versioner blocked the deployment (NO_DEPLOY_WINDOW): Frozen; retry after 2024-05-06T08:00:00Z",
		},
		{
			name:    "428 approval required under detail",
			status:  http.StatusPreconditionRequired,
			body:    `{"detail":{"error":"deployment_blocked","message":"Needs 2 approvals","code":"APPROVAL_REQUIRED","details":{"rule_name":"Prod approval"}}}`,
			want:    &versioner.PreflightError{Status: 428, Code: "APPROVAL_REQUIRED", Message: "Needs 2 approvals", RuleName: "Prod approval"},
			wantMsg: `Versioner blocked the deployment (APPROVAL_REQUIRED) by rule "Prod approval": Needs 2 approvals`,
		},
		{
			name:   "428 soak time at the top level",
			status: http.StatusPreconditionRequired,
			body:   `{"error":"deployment_blocked","message":"1.2.3 soaked 10m in staging, 1h needed","code":"INSUFFICIENT_SOAK_TIME","retry_after":"2024-05-01T13:20:00Z","details":{"rule_name":"Soak"}}`,
			want: &versioner.PreflightError{Status: 428, Code: "INSUFFICIENT_SOAK_TIME", Message: "1.2.3 soaked 10m in staging, 1h needed",
				RetryAfter: "2024-05-01T13:20:00Z", RuleName: "Soak"},
		},
		{
			name:    "428 flow violation",
			status:  http.StatusPreconditionRequired,
			body:    `{"detail":{"error":"deployment_blocked","message":"Deploy to staging first","code":"FLOW_VIOLATION"}}`,
			want:    &versioner.PreflightError{Status: 428, Code: "FLOW_VIOLATION", Message: "Deploy to staging first"},
			wantMsg: "Versioner blocked the deployment (FLOW_VIOLATION): Deploy to staging first",
		},
		{
			name:    "409 concurrent deployment under detail",
			status:  http.StatusConflict,
			body:    `{"detail":{"error":"deployment_blocked","message":"web 1.2.2 is deploying to production","code":"CONCURRENT_DEPLOYMENT"}}`,
			want:    &versioner.PreflightError{Status: 409, Code: "CONCURRENT_DEPLOYMENT", Message: "web 1.2.2 is deploying to production"},
			wantMsg: "Versioner blocked the deployment (CONCURRENT_DEPLOYMENT): web 1.2.2 is deploying to production",
		},
		{
			name:   "409 concurrent deployment at the top level",
			status: http.StatusConflict,
			body:   `{"error":"deployment_blocked","message":"busy","code":"CONCURRENT_DEPLOYMENT"}`,
			want:   &versioner.PreflightError{Status: 409, Code: "CONCURRENT_DEPLOYMENT", Message: "busy"},
		},
		{
			name:    "blocked without a code",
			status:  http.StatusLocked,
			body:    `{"detail":{"error":"deployment_blocked","message":"Frozen"}}`,
			want:    &versioner.PreflightError{Status: 423, Message: "Frozen"},
			wantMsg: "Versioner blocked the deployment: Frozen",
		},
		{
			name:   "a code without the error field",
			status: http.StatusPreconditionRequired,
			body:   `{"detail":{"code":"QUALITY_APPROVAL_REQUIRED","message":"QA has not signed off"}}`,
			want:   &versioner.PreflightError{Status: 428, Code: "QUALITY_APPROVAL_REQUIRED", Message: "QA has not signed off"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			s.mux.HandleFunc("POST /deployment-events/{$}", func(w http.ResponseWriter, r *http.Request) {
				respond(w, tt.status, tt.body)
			})
			ev := deployment()
			ev.Status = event.Started
			_, err := client(t, s.url).Record(context.Background(), ev)
			var got *versioner.PreflightError
			if !errors.As(err, &got) {
				t.Fatalf("Record() error = %v (%T), want a *versioner.PreflightError", err, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PreflightError mismatch (-want +got):\n%s", diff)
			}
			if tt.wantMsg != "" {
				if diff := cmp.Diff(tt.wantMsg, err.Error()); diff != "" {
					t.Errorf("Error() mismatch (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff([]string{"POST /deployment-events/"}, s.requests()); diff != "" {
				t.Errorf("a rejection was retried: requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// 409, 423 and 428 bodies that are not rejections stay API errors.
func TestRecordNotPreflight(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		body       string
		wantDetail string
	}{
		{name: "423 with a plain detail", status: http.StatusLocked, body: `{"detail":"locked"}`, wantDetail: "locked"},
		{name: "428 with HTML", status: http.StatusPreconditionRequired, body: "<h1>428</h1>", wantDetail: "unexpected body: <h1>428</h1>"},
		{name: "409 with an empty object", status: http.StatusConflict, body: `{}`, wantDetail: "unexpected body: {}"},
		{name: "409 with another error", status: http.StatusConflict, body: `{"detail":{"error":"duplicate"}}`, wantDetail: `{"error":"duplicate"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			s.mux.HandleFunc("POST /deployment-events/{$}", func(w http.ResponseWriter, r *http.Request) {
				respond(w, tt.status, tt.body)
			})
			_, err := client(t, s.url).Record(context.Background(), deployment())
			var pe *versioner.PreflightError
			if errors.As(err, &pe) {
				t.Fatalf("Record() error = %v, a PreflightError, want an APIError", err)
			}
			var ae *versioner.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("Record() error = %v (%T), want a *versioner.APIError", err, err)
			}
			got := [2]any{ae.Status, ae.Detail}
			if diff := cmp.Diff([2]any{tt.status, tt.wantDetail}, got); diff != "" {
				t.Errorf("APIError status, detail mismatch (-want +got):\n%s", diff)
			}
			if n := len(s.requests()); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

func TestRecordUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL + "/versioner"
	srv.Close()

	_, err := client(t, base).Record(context.Background(), deployment())
	if err == nil {
		t.Fatal("Record() to a closed port succeeded")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Record() error = %v, want it to wrap ECONNREFUSED", err)
	}
	msg := err.Error()
	prefix := "could not reach Versioner at " + base + "/deployment-events/: "
	suffix := ": check api-url and that the runner can reach it"
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, suffix) {
		t.Errorf("Record() error = %q, want %q ... %q", msg, prefix, suffix)
	}
	var ae *versioner.APIError
	if errors.As(err, &ae) {
		t.Errorf("Record() error is an APIError: %v", ae)
	}
}

func TestRecordTimeout(t *testing.T) {
	t.Parallel()
	s := setup(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s.mux.HandleFunc("POST /deployment-events/{$}", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := client(t, s.url).Record(ctx, deployment())
	var te *httpx.TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("Record() error = %v (%T), want a *httpx.TimeoutError", err, err)
	}
	if diff := cmp.Diff(&httpx.TimeoutError{API: "Versioner", Attempts: 1}, te); diff != "" {
		t.Errorf("TimeoutError mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(err.Error(), "could not reach") {
		t.Errorf("Record() error = %q, want the timeout itself, not an unreachable API", err)
	}
}

func TestRecordGiveUp(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.mux.HandleFunc("POST /deployment-events/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		respond(w, http.StatusTooManyRequests, `{"detail":"Rate limit exceeded"}`)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := client(t, s.url).Record(ctx, deployment())
	var ge *httpx.GiveUpError
	if !errors.As(err, &ge) {
		t.Fatalf("Record() error = %v (%T), want a *httpx.GiveUpError", err, err)
	}
	if ge.Wait != time.Hour {
		t.Errorf("GiveUpError.Wait = %v, want 1h", ge.Wait)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

// A transient failure followed by success records the event once more:
// the idempotency key lets the server drop the duplicate.
func TestRecordRetrySendsSameKey(t *testing.T) {
	t.Parallel()
	s := setup(t)
	var mu sync.Mutex
	var keys []string
	s.mux.HandleFunc("POST /deployment-events/{$}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		n := len(keys)
		mu.Unlock()
		if n == 1 {
			respond(w, http.StatusServiceUnavailable, `{"detail":"try again"}`)
			return
		}
		respond(w, http.StatusCreated, `{"id":"d-1"}`)
	})
	got, err := client(t, s.url).Record(context.Background(), deployment())
	if err != nil {
		t.Fatalf("Record() error = %v", err)
	}
	if got.ID != "d-1" {
		t.Errorf("Record() ID = %q, want d-1", got.ID)
	}
	mu.Lock()
	defer mu.Unlock()
	key := deployment().IdempotencyKey
	if diff := cmp.Diff([]string{key, key}, keys); diff != "" {
		t.Errorf("Idempotency-Key per attempt mismatch (-want +got):\n%s", diff)
	}
}

func TestAPIErrorMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *versioner.APIError
		want string
	}{
		{
			name: "no detail, one attempt",
			err:  &versioner.APIError{Endpoint: "https://api.versioner.io/build-events/", Status: 503, Attempts: 1},
			want: "Versioner answered 503 Service Unavailable for POST https://api.versioner.io/build-events/",
		},
		{
			name: "409 hint",
			err:  &versioner.APIError{Endpoint: "https://api.versioner.io/build-events/", Status: 409, Detail: "exists"},
			want: "Versioner answered 409 Conflict for POST https://api.versioner.io/build-events/: exists: versions are immutable: the same version was recorded from another commit",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.err.Error()); diff != "" {
				t.Errorf("Error() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConflictWithACodeIsNotPreflight: a 409 that is not
// "deployment_blocked" (a version conflict) stays an API error, which
// fail-on-api-error governs, and is not reported as a blocked deployment.
func TestConflictWithACodeIsNotPreflight(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"detail":{"code":"VERSION_IMMUTABLE","message":"1.2.3 exists with another sha"}}`))
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL)
	_, err := versioner.New(srv.Client(), base, "k", "ua").Record(context.Background(), event.Event{Kind: config.Build, Product: "p", Version: "1.2.3", Status: event.Completed})
	var ae *versioner.APIError
	var pe *versioner.PreflightError
	if errors.As(err, &pe) || !errors.As(err, &ae) || ae.Status != http.StatusConflict {
		t.Fatalf("Record() error = %v (%T), want an *APIError for 409", err, err)
	}
}
