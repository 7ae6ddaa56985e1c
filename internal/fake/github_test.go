package fake

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

const (
	repoPath  = "/repos/acme/shop/deployments"
	sha       = "0123456789abcdef0123456789abcdef01234567"
	createOK  = `{"ref":"` + sha + `","auto_merge":false,"required_contexts":[],"environment":"staging","payload":{"run":"1"},"description":"Deploy 1.2.3"}`
	docCreate = "https://docs.github.com/rest/deployments/deployments#create-a-deployment"
)

// long141 is one character over GitHub's limit for descriptions.
var long141 = strings.Repeat("d", 141)

func newGitHub() *GitHub {
	g := NewGitHub(token, "acme", "shop")
	g.Now = clock
	return g
}

func TestGitHubAuthAndRouting(t *testing.T) {
	t.Parallel()
	notFound := `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`
	tests := []struct {
		name       string
		setup      func(*GitHub)
		method     string
		path       string // full path, prefix included
		auth       string
		body       string
		wantStatus int
		wantBody   string
	}{
		{name: "Bearer token", path: "/api/v3" + repoPath, auth: "Bearer " + token, wantStatus: 200, wantBody: `[]`},
		{name: "token scheme", path: "/api/v3" + repoPath, auth: "token " + token, wantStatus: 200},
		{name: "no credentials", path: "/api/v3" + repoPath, wantStatus: 401, wantBody: `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`},
		{name: "wrong token", path: "/api/v3" + repoPath, auth: "Bearer ghs_other", wantStatus: 401},
		{name: "basic scheme", path: "/api/v3" + repoPath, auth: "Basic " + token, wantStatus: 401},
		{name: "bad credentials before routing", path: "/nowhere", auth: "token nope", wantStatus: 401},
		{name: "another repository", path: "/api/v3/repos/acme/other/deployments", auth: "token " + token, wantStatus: 404, wantBody: notFound},
		{name: "another owner", path: "/api/v3/repos/evil/shop/deployments", auth: "token " + token, wantStatus: 404},
		{name: "owner and repo ignore case", path: "/api/v3/repos/ACME/Shop/deployments", auth: "token " + token, wantStatus: 200},
		{name: "without the GHES prefix", path: repoPath, auth: "token " + token, wantStatus: 404},
		{name: "api.github.com layout", setup: func(g *GitHub) { g.PathPrefix = "" }, path: repoPath, auth: "token " + token, wantStatus: 200},
		{name: "unknown deployment", path: "/api/v3" + repoPath + "/99", auth: "token " + token, wantStatus: 404, wantBody: notFound},
		{name: "statuses of an unknown deployment", method: "POST", path: "/api/v3" + repoPath + "/99/statuses", auth: "token " + token, body: `{"state":"success"}`, wantStatus: 404},
		{name: "deployment id not a number", path: "/api/v3" + repoPath + "/latest", auth: "token " + token, wantStatus: 404},
		{name: "unknown sub-resource", path: "/api/v3" + repoPath + "/1/logs", auth: "token " + token, wantStatus: 404},
		{name: "DELETE is not served", method: "DELETE", path: "/api/v3" + repoPath + "/1", auth: "token " + token, wantStatus: 404, wantBody: notFound},
		{name: "POST to one deployment", method: "POST", path: "/api/v3" + repoPath + "/1", auth: "token " + token, body: `{}`, wantStatus: 404},
		{name: "PATCH is not served", method: "PATCH", path: "/api/v3" + repoPath, auth: "token " + token, body: `{}`, wantStatus: 404},
		{
			name: "read-only token cannot create", setup: func(g *GitHub) { g.ReadOnly = true }, method: "POST", path: "/api/v3" + repoPath,
			auth: "token " + token, body: createOK, wantStatus: 403,
			wantBody: `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/deployments/deployments"}`,
		},
		{
			name: "read-only token cannot set a status", setup: func(g *GitHub) { g.ReadOnly = true }, method: "POST",
			path: "/api/v3" + repoPath + "/1/statuses", auth: "token " + token, body: `{"state":"success"}`, wantStatus: 403,
		},
		{name: "read-only token can read", setup: func(g *GitHub) { g.ReadOnly = true }, path: "/api/v3" + repoPath + "/1", auth: "token " + token, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGitHub()
			g.AddDeployment(Deployment{Ref: "main", Statuses: []Status{{State: "success"}}})
			if tt.setup != nil {
				tt.setup(g)
			}
			var header []string
			if tt.auth != "" {
				header = []string{"Authorization", tt.auth}
			}
			got := send(t, start(t, g), cmpOr(tt.method, "GET"), tt.path, tt.body, header...)
			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", got.status, tt.wantStatus, got.body)
			}
			if tt.wantBody != "" && tt.wantBody != `[]` {
				sameJSON(t, got.body, tt.wantBody)
			}
			if d := g.Deployments(); len(d) != 1 || len(d[0].Statuses) != 1 {
				t.Errorf("state changed: %+v", d)
			}
		})
	}
}

func TestGitHubHeaders(t *testing.T) {
	t.Parallel()
	g := newGitHub()
	g.Inject(Fault{PathSuffix: "/deployments/7", Status: 502, Body: "bad gateway"})
	srv := start(t, g)
	reset := strconv.FormatInt(t0.Add(60*60e9).Unix(), 10)
	for i, path := range []string{repoPath, "/nowhere", repoPath + "/7"} { // ok, 404 and a fault
		got := ghsend(t, srv, http.MethodGet, path, "")
		want := map[string]string{
			"Content-Type":          "application/json; charset=utf-8",
			"X-Ratelimit-Limit":     "5000",
			"X-Ratelimit-Remaining": strconv.Itoa(4999 - i),
			"X-Ratelimit-Used":      strconv.Itoa(i + 1),
			"X-Ratelimit-Reset":     reset,
			"X-Ratelimit-Resource":  "core",
		}
		for k, v := range want {
			if got.header.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got.header.Get(k), v)
			}
		}
	}
	if got := send(t, srv, "GET", "/api/v3"+repoPath, ""); got.status != 401 || got.header.Get("X-Ratelimit-Used") != "4" {
		t.Errorf("401 answer: %d with used %q", got.status, got.header.Get("X-Ratelimit-Used"))
	}
}
