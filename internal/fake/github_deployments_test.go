package fake

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

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
