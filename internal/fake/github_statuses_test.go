package fake

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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

// TestGitHubAutoInactive checks the fake against GitHub's description of auto_inactive: it "adds
// a new inactive status to all prior non-transient, non-production environment deployments with
// the same repository and environment name as the created status's deployment. An inactive status
// is only added to deployments that had a success state. Default: true".
func TestGitHubAutoInactive(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	seed := []struct {
		name string
		d    Deployment
	}{
		{"old staging success", Deployment{Environment: "staging", Statuses: []Status{{State: "success"}}}},
		{"old staging failure", Deployment{Environment: "staging", Statuses: []Status{{State: "success"}, {State: "failure"}}}},
		{"old staging never finished", Deployment{Environment: "staging"}},
		{"old staging already inactive", Deployment{Environment: "staging", Statuses: []Status{{State: "success"}, {State: "inactive"}}}},
		{"old staging transient success", Deployment{Environment: "staging", Transient: true, Statuses: []Status{{State: "success"}}}},
		{"old staging success marked production", Deployment{Environment: "staging", Production: &yes, Statuses: []Status{{State: "success"}}}},
		{"old production success", Deployment{Environment: "production", Statuses: []Status{{State: "success"}}}},
		{"old production success marked non-production", Deployment{Environment: "production", Production: &no, Statuses: []Status{{State: "success"}}}},
		{"old qa success", Deployment{Environment: "qa", Statuses: []Status{{State: "success"}}}},
		{"current", Deployment{Environment: "staging"}},
		{"newer staging success", Deployment{Environment: "staging", Statuses: []Status{{State: "success"}}}},
	}
	tests := []struct {
		name    string
		body    string
		retired []string
	}{
		{name: "success retires earlier non-production successes", body: `{"state":"success"}`, retired: []string{"old staging success"}},
		{name: "auto_inactive true", body: `{"state":"success","auto_inactive":true}`, retired: []string{"old staging success"}},
		{name: "auto_inactive false", body: `{"state":"success","auto_inactive":false}`},
		{name: "only success retires", body: `{"state":"in_progress"}`},
		{name: "the environment of the status counts", body: `{"state":"success","environment":"qa"}`, retired: []string{"old qa success"}},
		{name: "in production only what is marked non-production", body: `{"state":"success","environment":"production"}`,
			retired: []string{"old production success marked non-production"}},
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

// TestGitHubAutoInactiveSkipsProduction creates deployments through the API: production_environment
// is "true when environment is production and false otherwise" unless the request sets it, and a
// later success retires an earlier one only when it is not a production environment deployment.
func TestGitHubAutoInactiveSkipsProduction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, environment, flag string // flag: the production_environment sent, "" for none
		production, retired     bool
	}{
		{name: "production by its name", environment: "production", production: true},
		{name: "production marked non-production", environment: "production", flag: "false", retired: true},
		{name: "staging by its name", environment: "staging", retired: true},
		{name: "staging marked production", environment: "staging", flag: "true", production: true},
		{name: "Production is another name", environment: "Production", retired: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGitHub()
			srv := start(t, g)
			create := fmt.Sprintf(`{"ref":"main","auto_merge":false,"required_contexts":[],"environment":%q`, tt.environment)
			if tt.flag != "" {
				create += `,"production_environment":` + tt.flag
			}
			for range 2 {
				got := ghsend(t, srv, http.MethodPost, repoPath, create+"}")
				if p := field(t, got.body, "production_environment"); p != tt.production {
					t.Errorf("production_environment = %v, want %v", p, tt.production)
				}
				id := int64(field(t, got.body, "id").(float64))
				if got := ghsend(t, srv, http.MethodPost, fmt.Sprintf("%s/%d/statuses", repoPath, id), `{"state":"success"}`); got.status != 201 {
					t.Fatalf("status %d: %s", got.status, got.body)
				}
			}
			want := [][]string{{"success"}, {"success"}}
			if tt.retired {
				want[0] = append(want[0], "inactive")
			}
			if diff := cmp.Diff(want, stateLists(g.Deployments())); diff != "" {
				t.Errorf("states (-want +got):\n%s", diff)
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
	want := [][]string{{"success"}, {"success", "inactive"}, {"success"}}
	if diff := cmp.Diff(want, stateLists(g.Deployments())); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
}

// stateLists lists each deployment's states, oldest first.
func stateLists(deps []Deployment) [][]string {
	var out [][]string
	for _, d := range deps {
		var s []string
		for _, st := range d.Statuses {
			s = append(s, st.State)
		}
		out = append(out, s)
	}
	return out
}
