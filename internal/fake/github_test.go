package fake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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

func TestGitHubCreateDeployment(t *testing.T) {
	t.Parallel()
	if n := len([]rune(long141)); n != 141 {
		t.Fatalf("long141 has %d characters", n)
	}
	tests := []struct {
		name       string
		green      bool // FailingChecks = false
		body       string
		wantStatus int
		wantBody   string       // exact JSON when set
		want       []Deployment // stored afterwards, statuses aside
	}{
		{
			name: "created with what was asked", body: createOK, wantStatus: 201,
			want: []Deployment{{ID: 1, SHA: sha, Ref: sha, Task: "deploy", Environment: "staging", Description: "Deploy 1.2.3", Payload: map[string]any{"run": "1"}}},
		},
		{
			name: "GitHub defaults", body: `{"ref":"main","auto_merge":false,"required_contexts":[]}`, wantStatus: 201,
			want: []Deployment{{ID: 1, SHA: FakeSHA, Ref: "main", Task: "deploy", Environment: "production", Payload: map[string]any{}}},
		},
		{
			name: "payload as a JSON string", wantStatus: 201,
			body: `{"ref":"v1.2.3","task":"deploy:migrations","auto_merge":false,"required_contexts":[],"payload":"{\"a\":[1,2]}"}`,
			want: []Deployment{{ID: 1, SHA: FakeSHA, Ref: "v1.2.3", Task: "deploy:migrations", Environment: "production", Payload: map[string]any{"a": []any{1.0, 2.0}}}},
		},
		{
			name: "upper-case SHA normalised", body: `{"ref":"` + strings.ToUpper(sha) + `","auto_merge":false,"required_contexts":[]}`, wantStatus: 201,
			want: []Deployment{{ID: 1, SHA: sha, Ref: strings.ToUpper(sha), Task: "deploy", Environment: "production", Payload: map[string]any{}}},
		},
		{
			name: "140 characters is the limit", wantStatus: 201,
			body: `{"ref":"main","auto_merge":false,"required_contexts":[],"description":"` + strings.Repeat("é", 140) + `"}`,
			want: []Deployment{{ID: 1, SHA: FakeSHA, Ref: "main", Task: "deploy", Environment: "production", Description: strings.Repeat("é", 140), Payload: map[string]any{}}},
		},
		{
			name: "green checks need no required_contexts", green: true, body: `{"ref":"main","auto_merge":false}`, wantStatus: 201,
			want: []Deployment{{ID: 1, SHA: FakeSHA, Ref: "main", Task: "deploy", Environment: "production", Payload: map[string]any{}}},
		},
		{
			name: "auto_merge omitted merges instead", body: `{"ref":"feature","required_contexts":[]}`, wantStatus: 202,
			wantBody: `{"message":"Auto-merged main into feature on deployment."}`,
		},
		{name: "auto_merge true merges instead", body: `{"ref":"feature","auto_merge":true,"required_contexts":[]}`, wantStatus: 202},
		{
			name: "required_contexts omitted with failing checks", body: `{"ref":"main","auto_merge":false}`, wantStatus: 409,
			wantBody: `{"message":"Conflict: Commit status checks failed for main.","documentation_url":"` + docCreate + `",
				"errors":[{"contexts":[{"context":"ci/test","state":"failure"}],"resource":"Deployment","field":"required_contexts","code":"invalid"}]}`,
		},
		{
			name: "required_contexts listed with failing checks", body: `{"ref":"main","auto_merge":false,"required_contexts":["build"]}`, wantStatus: 409,
			wantBody: `{"message":"Conflict: Commit status checks failed for main.","documentation_url":"` + docCreate + `",
				"errors":[{"contexts":[{"context":"build","state":"pending"}],"resource":"Deployment","field":"required_contexts","code":"invalid"}]}`,
		},
		{
			name: "ref required", body: `{"auto_merge":false,"required_contexts":[]}`, wantStatus: 422,
			wantBody: `{"message":"Validation Failed","errors":[{"resource":"Deployment","field":"ref","code":"missing_field"}],"documentation_url":"` + docCreate + `"}`,
		},
		{
			name: "validation comes before auto-merge", body: `{}`, wantStatus: 422,
		},
		{
			name: "141 characters is too long", body: `{"ref":"main","auto_merge":false,"required_contexts":[],"description":"` + long141 + `"}`, wantStatus: 422,
			wantBody: `{"message":"Validation Failed","documentation_url":"` + docCreate + `","errors":[{"resource":"Deployment","field":"description",
				"code":"custom","message":"description is too long (maximum is 140 characters)"}]}`,
		},
		{
			name: "auto_merge as a string", body: `{"ref":"main","auto_merge":"false","required_contexts":[]}`, wantStatus: 422,
			wantBody: `{"message":"Invalid request.\n\nFor 'properties/auto_merge', \"false\" is not boolean.","documentation_url":"` + docCreate + `"}`,
		},
		{name: "required_contexts of numbers", body: `{"ref":"main","auto_merge":false,"required_contexts":[1]}`, wantStatus: 422},
		{name: "payload that is not an object", body: `{"ref":"main","auto_merge":false,"required_contexts":[],"payload":"[1]"}`, wantStatus: 422},
		{name: "null description is fine", body: `{"ref":"main","auto_merge":false,"required_contexts":[],"description":null}`, wantStatus: 201,
			want: []Deployment{{ID: 1, SHA: FakeSHA, Ref: "main", Task: "deploy", Environment: "production", Payload: map[string]any{}}}},
		{
			name: "malformed JSON", body: `{"ref":`, wantStatus: 400,
			wantBody: `{"message":"Problems parsing JSON","documentation_url":"` + docCreate + `"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGitHub()
			g.FailingChecks = !tt.green
			got := ghsend(t, start(t, g), http.MethodPost, repoPath, tt.body)
			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", got.status, tt.wantStatus, got.body)
			}
			if tt.wantBody != "" {
				sameJSON(t, got.body, tt.wantBody)
			}
			if diff := cmp.Diff(tt.want, g.Deployments(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("deployments (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGitHubDeploymentAnswer(t *testing.T) {
	t.Parallel()
	srv := start(t, newGitHub())
	got := ghsend(t, srv, http.MethodPost, repoPath, createOK)
	if got.status != 201 {
		t.Fatalf("status %d: %s", got.status, got.body)
	}
	base := srv.URL + "/api/v3"
	user := base + "/users/github-actions%5Bbot%5D"
	sameJSON(t, got.body, `{
		"url":"`+base+`/repos/acme/shop/deployments/1","id":1,"node_id":"MDEwOkRlcGxveW1lbnQx","sha":"`+sha+`","ref":"`+sha+`",
		"task":"deploy","payload":{"run":"1"},"original_environment":"staging","environment":"staging","description":"Deploy 1.2.3",
		"created_at":"2026-08-01T12:00:00Z","updated_at":"2026-08-01T12:00:00Z",
		"statuses_url":"`+base+`/repos/acme/shop/deployments/1/statuses","repository_url":"`+base+`/repos/acme/shop",
		"transient_environment":false,"production_environment":false,"performed_via_github_app":null,
		"creator":{"login":"github-actions[bot]","id":41898282,"node_id":"MDM6Qm90NDE4OTgyODI=",
			"avatar_url":"https://avatars.githubusercontent.com/in/15368?v=4","gravatar_id":"","url":"`+user+`",
			"html_url":"https://github.com/apps/github-actions","followers_url":"`+user+`/followers",
			"following_url":"`+user+`/following{/other_user}","gists_url":"`+user+`/gists{/gist_id}",
			"starred_url":"`+user+`/starred{/owner}{/repo}","subscriptions_url":"`+user+`/subscriptions",
			"organizations_url":"`+user+`/orgs","repos_url":"`+user+`/repos","events_url":"`+user+`/events{/privacy}",
			"received_events_url":"`+user+`/received_events","type":"Bot","site_admin":false}}`)
	if loc := got.header.Get("Location"); loc != base+"/repos/acme/shop/deployments/1" {
		t.Errorf("Location = %q", loc)
	}
	again := ghsend(t, srv, http.MethodGet, repoPath+"/1", "")
	if again.status != 200 || again.body != got.body {
		t.Errorf("GET = %d %s, want the created deployment", again.status, again.body)
	}
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

func TestGitHubCreateStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantBody   string // exact JSON when set
		want       []Status
		wantEnv    string // the deployment's environment afterwards
	}{
		{
			name: "success with links", wantStatus: 201, wantEnv: "staging",
			body: `{"state":"success","log_url":"https://github.com/acme/shop/actions/runs/1","environment_url":"https://shop.example","description":"Deployed"}`,
			want: []Status{{State: "success", Description: "Deployed", LogURL: "https://github.com/acme/shop/actions/runs/1", EnvironmentURL: "https://shop.example"}},
		},
		{
			name: "legacy target_url becomes the log_url", body: `{"state":"in_progress","target_url":"https://ci/1"}`, wantStatus: 201, wantEnv: "staging",
			want: []Status{{State: "in_progress", LogURL: "https://ci/1"}},
		},
		{
			name: "environment moves the deployment", body: `{"state":"queued","environment":"production"}`, wantStatus: 201, wantEnv: "production",
			want: []Status{{State: "queued"}},
		},
		{
			name: "state required", body: `{"description":"x"}`, wantStatus: 422, wantEnv: "staging",
			wantBody: `{"message":"Validation Failed","documentation_url":"https://docs.github.com/rest/deployments/statuses#create-a-deployment-status",
				"errors":[{"resource":"DeploymentStatus","field":"state","code":"missing_field"}]}`,
		},
		{
			name: "state outside the enum", body: `{"state":"cancelled"}`, wantStatus: 422, wantEnv: "staging",
			wantBody: `{"message":"Validation Failed","documentation_url":"https://docs.github.com/rest/deployments/statuses#create-a-deployment-status",
				"errors":[{"resource":"DeploymentStatus","field":"state","code":"invalid","value":"cancelled"}]}`,
		},
		{name: "state is case-sensitive", body: `{"state":"SUCCESS"}`, wantStatus: 422, wantEnv: "staging"},
		{name: "141-character description", body: `{"state":"failure","description":"` + long141 + `"}`, wantStatus: 422, wantEnv: "staging"},
		{name: "auto_inactive as a string", body: `{"state":"success","auto_inactive":"false"}`, wantStatus: 422, wantEnv: "staging"},
		{name: "not JSON", body: `state=success`, wantStatus: 400, wantEnv: "staging"},
	}
	for _, state := range []string{"error", "failure", "inactive", "in_progress", "queued", "pending", "success"} {
		tests = append(tests, struct {
			name       string
			body       string
			wantStatus int
			wantBody   string
			want       []Status
			wantEnv    string
		}{name: "state " + state, body: `{"state":"` + state + `"}`, wantStatus: 201, want: []Status{{State: state}}, wantEnv: "staging"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGitHub()
			id := g.AddDeployment(Deployment{Ref: "main", Environment: "staging"})
			got := ghsend(t, start(t, g), http.MethodPost, fmt.Sprintf("%s/%d/statuses", repoPath, id), tt.body)
			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", got.status, tt.wantStatus, got.body)
			}
			if tt.wantBody != "" {
				sameJSON(t, got.body, tt.wantBody)
			}
			d := g.Deployments()[0]
			if diff := cmp.Diff(tt.want, d.Statuses); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if d.Environment != tt.wantEnv {
				t.Errorf("environment = %q, want %q", d.Environment, tt.wantEnv)
			}
		})
	}
}

func TestGitHubStatusAnswer(t *testing.T) {
	t.Parallel()
	g := newGitHub()
	srv := start(t, g)
	id := g.AddDeployment(Deployment{Ref: "main", Environment: "staging"})
	got := ghsend(t, srv, http.MethodPost, fmt.Sprintf("%s/%d/statuses", repoPath, id), `{"state":"success","log_url":"https://ci/1","description":"ok"}`)
	if got.status != 201 {
		t.Fatalf("status %d: %s", got.status, got.body)
	}
	dep := srv.URL + "/api/v3/repos/acme/shop/deployments/1"
	if loc := got.header.Get("Location"); loc != dep+"/statuses/100001" {
		t.Errorf("Location = %q", loc)
	}
	answer := decodeJSON(t, got.body).(map[string]any)
	delete(answer, "creator") // checked with the deployment
	want := map[string]any{
		"url": dep + "/statuses/100001", "id": 100001.0, "node_id": "MDE2OkRlcGxveW1lbnRTdGF0dXMxMDAwMDE=", "state": "success",
		"description": "ok", "environment": "staging", "target_url": "https://ci/1", "log_url": "https://ci/1", "environment_url": "",
		"created_at": "2026-08-01T12:00:00Z", "updated_at": "2026-08-01T12:00:00Z", "deployment_url": dep,
		"repository_url": srv.URL + "/api/v3/repos/acme/shop", "performed_via_github_app": nil,
	}
	if diff := cmp.Diff(want, answer); diff != "" {
		t.Errorf("status answer (-want +got):\n%s", diff)
	}
	ghsend(t, srv, http.MethodPost, fmt.Sprintf("%s/%d/statuses", repoPath, id), `{"state":"inactive"}`)
	list := decodeJSON(t, ghsend(t, srv, http.MethodGet, fmt.Sprintf("%s/%d/statuses", repoPath, id), "").body).([]any)
	var states []any
	for _, s := range list {
		states = append(states, s.(map[string]any)["state"])
	}
	if diff := cmp.Diff([]any{"inactive", "success"}, states); diff != "" {
		t.Errorf("listed statuses, newest first (-want +got):\n%s", diff)
	}
}

func TestGitHubAutoInactive(t *testing.T) {
	t.Parallel()
	seed := []struct {
		name string
		d    Deployment
	}{
		{"old staging success", Deployment{Environment: "staging", Statuses: []Status{{State: "success"}}}},
		{"old staging failure", Deployment{Environment: "staging", Statuses: []Status{{State: "success"}, {State: "failure"}}}},
		{"old staging never finished", Deployment{Environment: "staging"}},
		{"old staging already inactive", Deployment{Environment: "staging", Statuses: []Status{{State: "success"}, {State: "inactive"}}}},
		{"old production success", Deployment{Environment: "production", Statuses: []Status{{State: "success"}}}},
		{"current", Deployment{Environment: "staging"}},
		{"newer staging success", Deployment{Environment: "staging", Statuses: []Status{{State: "success"}}}},
	}
	tests := []struct {
		name    string
		body    string
		retired []string
	}{
		{name: "success retires earlier successes", body: `{"state":"success"}`, retired: []string{"old staging success"}},
		{name: "auto_inactive true", body: `{"state":"success","auto_inactive":true}`, retired: []string{"old staging success"}},
		{name: "auto_inactive false", body: `{"state":"success","auto_inactive":false}`},
		{name: "only success retires", body: `{"state":"in_progress"}`},
		{name: "the environment of the status counts", body: `{"state":"success","environment":"production"}`, retired: []string{"old production success"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGitHub()
			var current int64
			for _, s := range seed {
				if id := g.AddDeployment(s.d); s.name == "current" {
					current = id
				}
			}
			got := ghsend(t, start(t, g), http.MethodPost, fmt.Sprintf("%s/%d/statuses", repoPath, current), tt.body)
			if got.status != 201 {
				t.Fatalf("status %d: %s", got.status, got.body)
			}
			for i, d := range g.Deployments() {
				want := slices.Clone(seed[i].d.Statuses)
				switch {
				case seed[i].name == "current":
					want = []Status{{State: decodeJSON(t, tt.body).(map[string]any)["state"].(string)}}
				case slices.Contains(tt.retired, seed[i].name):
					want = append(want, Status{State: "inactive"})
				}
				if diff := cmp.Diff(want, d.Statuses); diff != "" {
					t.Errorf("%s: statuses (-want +got):\n%s", seed[i].name, diff)
				}
			}
		})
	}
}

func TestGitHubAutoInactiveKeepsTransient(t *testing.T) {
	t.Parallel()
	g := newGitHub()
	srv := start(t, g)
	for _, transient := range []bool{true, false, false} {
		got := ghsend(t, srv, http.MethodPost, repoPath,
			fmt.Sprintf(`{"ref":"main","auto_merge":false,"required_contexts":[],"environment":"review-7","transient_environment":%v}`, transient))
		id := int64(field(t, got.body, "id").(float64))
		if got := ghsend(t, srv, http.MethodPost, fmt.Sprintf("%s/%d/statuses", repoPath, id), `{"state":"success"}`); got.status != 201 {
			t.Fatalf("status %d: %s", got.status, got.body)
		}
	}
	var states [][]string
	for _, d := range g.Deployments() {
		var s []string
		for _, st := range d.Statuses {
			s = append(s, st.State)
		}
		states = append(states, s)
	}
	want := [][]string{{"success"}, {"success", "inactive"}, {"success"}}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
}

func TestGitHubListDeployments(t *testing.T) {
	t.Parallel()
	g := newGitHub()
	srv := start(t, g)
	for i := 1; i <= 75; i++ {
		env := []string{"staging", "production"}[i%2]
		g.AddDeployment(Deployment{Ref: fmt.Sprintf("v%d", i%5), Environment: env, Task: []string{"deploy", "deploy:migrations"}[btoi(i%10 == 0)]})
	}
	g.AddDeployment(Deployment{Ref: sha, Environment: "qa"})
	link := func(query string, rels ...string) string {
		var parts []string
		for i := 0; i < len(rels); i += 2 {
			parts = append(parts, fmt.Sprintf(`<%s/api/v3%s?%s>; rel="%s"`, srv.URL, repoPath, strings.ReplaceAll(query, "PAGE", rels[i]), rels[i+1]))
		}
		return strings.Join(parts, ", ")
	}
	tests := []struct {
		name     string
		query    string
		wantIDs  []int64 // first and last, and the count
		wantLen  int
		wantLink string
	}{
		{name: "first page of 30, newest first", query: "", wantIDs: []int64{76, 47}, wantLen: 30, wantLink: link("page=PAGE", "2", "next", "3", "last")},
		{name: "middle page", query: "?page=2", wantIDs: []int64{46, 17}, wantLen: 30, wantLink: link("page=PAGE", "1", "prev", "3", "next", "3", "last", "1", "first")},
		{name: "last page", query: "?page=3", wantIDs: []int64{16, 1}, wantLen: 16, wantLink: link("page=PAGE", "2", "prev", "1", "first")},
		{name: "past the end", query: "?page=9", wantLen: 0, wantLink: link("page=PAGE", "3", "prev", "1", "first")},
		{name: "per_page capped at 100", query: "?per_page=500", wantIDs: []int64{76, 1}, wantLen: 76},
		{name: "per_page kept in links", query: "?per_page=50", wantIDs: []int64{76, 27}, wantLen: 50, wantLink: link("page=PAGE&per_page=50", "2", "next", "2", "last")},
		{name: "by environment", query: "?environment=qa", wantIDs: []int64{76, 76}, wantLen: 1},
		{name: "by sha", query: "?sha=" + sha, wantIDs: []int64{76, 76}, wantLen: 1},
		{name: "by ref and environment", query: "?ref=v1&environment=staging&per_page=100", wantIDs: []int64{66, 6}, wantLen: 7},
		{name: "by task", query: "?task=deploy:migrations", wantIDs: []int64{70, 10}, wantLen: 7},
		{name: "nothing matches", query: "?environment=nowhere", wantLen: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ghsend(t, srv, http.MethodGet, repoPath+tt.query, "")
			if got.status != 200 {
				t.Fatalf("status %d: %s", got.status, got.body)
			}
			list := decodeJSON(t, got.body).([]any)
			if len(list) != tt.wantLen {
				t.Fatalf("%d deployments, want %d", len(list), tt.wantLen)
			}
			if tt.wantLen > 0 {
				first, last := list[0].(map[string]any)["id"], list[len(list)-1].(map[string]any)["id"]
				if first != float64(tt.wantIDs[0]) || last != float64(tt.wantIDs[1]) {
					t.Errorf("ids %v..%v, want %v", first, last, tt.wantIDs)
				}
			}
			if l := got.header.Get("Link"); l != tt.wantLink {
				t.Errorf("Link =\n%s\nwant\n%s", l, tt.wantLink)
			}
		})
	}
}

func TestGitHubAddDeployment(t *testing.T) {
	t.Parallel()
	g := newGitHub()
	a := g.AddDeployment(Deployment{Ref: "main"})
	b := g.AddDeployment(Deployment{ID: 40, Ref: sha, Task: "deploy:db", Environment: "qa", Payload: map[string]any{"k": "v"}})
	c := g.AddDeployment(Deployment{Ref: "v1"})
	if a != 1 || b != 40 || c != 41 {
		t.Errorf("ids = %d, %d, %d; want 1, 40, 41", a, b, c)
	}
	want := []Deployment{
		{ID: 1, SHA: FakeSHA, Ref: "main", Task: "deploy", Environment: "production", Payload: map[string]any{}},
		{ID: 40, SHA: sha, Ref: sha, Task: "deploy:db", Environment: "qa", Payload: map[string]any{"k": "v"}},
		{ID: 41, SHA: FakeSHA, Ref: "v1", Task: "deploy", Environment: "production", Payload: map[string]any{}},
	}
	got := g.Deployments()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deployments (-want +got):\n%s", diff)
	}
	got[1].Payload["k"] = "changed"
	if g.Deployments()[1].Payload["k"] != "v" {
		t.Error("Deployments returned the fake's own payload map")
	}
}

// TestGitHubJobDeployment: the deployment GitHub makes for a job's environment: key looks like
// GitHub's: made by the GitHub Actions app, empty payload, no description, the branch as ref, and
// statuses that link to the job.
func TestGitHubJobDeployment(t *testing.T) {
	t.Parallel()
	g := newGitHub()
	srv := start(t, g)
	id := g.AddJobDeployment(JobDeployment{RunID: "42", JobID: "7", Environment: "staging", SHA: sha, Ref: "main", EnvironmentURL: "https://staging.example"})
	jobURL := "https://github.com/acme/shop/actions/runs/42/job/7"

	d := decodeJSON(t, ghsend(t, srv, http.MethodGet, fmt.Sprintf("%s/%d", repoPath, id), "").body).(map[string]any)
	got := map[string]any{
		"creator": d["creator"].(map[string]any)["login"], "creator_type": d["creator"].(map[string]any)["type"],
		"app": d["performed_via_github_app"].(map[string]any)["slug"], "task": d["task"], "payload": d["payload"],
		"description": d["description"], "environment": d["environment"], "original_environment": d["original_environment"],
		"ref": d["ref"], "sha": d["sha"],
	}
	want := map[string]any{
		"creator": "github-actions[bot]", "creator_type": "Bot", "app": "github-actions", "task": "deploy", "payload": map[string]any{},
		"description": nil, "environment": "staging", "original_environment": "staging", "ref": "main", "sha": sha,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("job deployment (-want +got):\n%s", diff)
	}

	statuses := func() []map[string]any {
		var out []map[string]any
		for _, s := range decodeJSON(t, ghsend(t, srv, http.MethodGet, fmt.Sprintf("%s/%d/statuses", repoPath, id), "").body).([]any) {
			m := s.(map[string]any)
			app, _ := m["performed_via_github_app"].(map[string]any)
			out = append(out, map[string]any{"state": m["state"], "log_url": m["log_url"], "target_url": m["target_url"],
				"environment_url": m["environment_url"], "creator": m["creator"].(map[string]any)["login"], "via": app["slug"]})
		}
		return out
	}
	runner := func(state string) map[string]any {
		return map[string]any{"state": state, "log_url": jobURL, "target_url": jobURL, "environment_url": "https://staging.example",
			"creator": "github-actions[bot]", "via": "github-actions"}
	}
	if diff := cmp.Diff([]map[string]any{runner("in_progress"), runner("queued")}, statuses()); diff != "" {
		t.Errorf("statuses while the job runs, newest first (-want +got):\n%s", diff)
	}

	// A step posts with the job's token; then the job ends.
	if got := ghsend(t, srv, http.MethodPost, fmt.Sprintf("%s/%d/statuses", repoPath, id), `{"state":"success","log_url":"https://github.com/acme/shop/actions/runs/42"}`); got.status != 201 {
		t.Fatalf("status %d: %s", got.status, got.body)
	}
	if err := g.EndJob(id, "success"); err != nil {
		t.Fatal(err)
	}
	step := map[string]any{"state": "success", "log_url": "https://github.com/acme/shop/actions/runs/42", "target_url": "https://github.com/acme/shop/actions/runs/42",
		"environment_url": "", "creator": "github-actions[bot]", "via": nil}
	if diff := cmp.Diff([]map[string]any{runner("success"), step, runner("in_progress"), runner("queued")}, statuses()); diff != "" {
		t.Errorf("statuses after the job, newest first (-want +got):\n%s", diff)
	}
	if dd := g.Deployments(); len(dd) != 1 || !dd[0].ByRunner || len(dd[0].Statuses) != 4 {
		t.Errorf("deployments = %+v", dd)
	}

	other := g.AddDeployment(Deployment{Ref: "main"})
	for _, bad := range []struct {
		id    int64
		state string
	}{{other, "success"}, {404, "success"}, {id, "in_progress"}} {
		if err := g.EndJob(bad.id, bad.state); err == nil {
			t.Errorf("EndJob(%d, %q) succeeded", bad.id, bad.state)
		}
	}
}

// TestGitHubCreators: a deployment seeded with a person's login shows that person, a User, as
// the creator of it and of its seeded statuses; the statuses the token posts are the bot's.
func TestGitHubCreators(t *testing.T) {
	t.Parallel()
	g := newGitHub()
	srv := start(t, g)
	id := g.AddDeployment(Deployment{Ref: "main", Creator: "octocat", Statuses: []Status{{State: "success"}}})
	ghsend(t, srv, http.MethodPost, fmt.Sprintf("%s/%d/statuses", repoPath, id), `{"state":"inactive"}`)
	d := ghsend(t, srv, http.MethodGet, fmt.Sprintf("%s/%d", repoPath, id), "").body
	if login, kind := field(t, d, "creator", "login"), field(t, d, "creator", "type"); login != "octocat" || kind != "User" {
		t.Errorf("creator = %v (%v), want octocat (User)", login, kind)
	}
	if app := field(t, d, "performed_via_github_app"); app != nil {
		t.Errorf("performed_via_github_app = %v, want null", app)
	}
	var logins []any
	for _, s := range decodeJSON(t, ghsend(t, srv, http.MethodGet, fmt.Sprintf("%s/%d/statuses", repoPath, id), "").body).([]any) {
		logins = append(logins, s.(map[string]any)["creator"].(map[string]any)["login"])
	}
	if diff := cmp.Diff([]any{"github-actions[bot]", "octocat"}, logins); diff != "" {
		t.Errorf("status creators, newest first (-want +got):\n%s", diff)
	}
}
