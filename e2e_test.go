package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/fake"
)

const (
	deployEvents = "POST /deployment-events/"
	buildEvents  = "POST /build-events/"
	ghList       = "GET /api/v3/repos/acme/shop/deployments?environment=production&per_page=100&sha=" + headSHA + "&task=deploy"
	ghCreate     = "POST /api/v3/repos/acme/shop/deployments"
)

func ghStatus(id string) string {
	return "POST /api/v3/repos/acme/shop/deployments/" + id + "/statuses"
}

// body decodes the JSON body of a recorded request.
func body(t *testing.T, r fake.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", r.Method, r.Path, err)
	}
	return m
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

func wantPaths(t *testing.T, who string, reqs []fake.Request, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, paths(reqs)); diff != "" {
		t.Errorf("%s received (-want +got):\n%s", who, diff)
	}
}

func wantContains(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s lacks %q:\n%s", what, p, s)
		}
	}
}

// TestStartedThenCompleted is the workflow of the README: a started step
// before the deploy, a finishing step after it.
func TestStartedThenCompleted(t *testing.T) {
	t.Parallel()
	w := newWorld(t)

	start := w.run(step{id: "__start", with: w.with(map[string]string{"status": "started"})})
	wantCode(t, start, 0)
	wantPaths(t, "Versioner", w.versioner.Requests(), deployEvents)
	wantPaths(t, "GitHub", w.github.Requests(), ghList, ghCreate, ghList, ghStatus("1"))

	v := body(t, w.versioner.Requests()[0])
	want := map[string]any{
		"product_name": "shop-api", "version": "1.2.3", "environment_name": "production", "status": "started",
		"deployed_by": "octocat", "scm_repository": "acme/shop", "scm_sha": headSHA, "scm_branch": "main",
		"source_system": "github", "build_number": "77", "invoke_id": "987654321",
		"deploy_url": "https://github.com/acme/shop/actions/runs/987654321",
		"extra_metadata": map[string]any{
			"vi_gh_workflow": "Deploy", "vi_gh_job": "deploy", "vi_gh_run_attempt": "1",
			"vi_gh_event_name": "push", "vi_gh_ref": "refs/heads/main",
		},
	}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("Versioner body (-want +got):\n%s", diff)
	}
	create := body(t, w.github.Requests()[1])
	wantCreate := map[string]any{
		"ref": headSHA, "task": "deploy", "auto_merge": false, "required_contexts": []any{},
		"environment": "production", "description": "shop-api 1.2.3",
		"payload": map[string]any{"product": "shop-api", "version": "1.2.3", "run_id": "987654321", "run_attempt": "1"},
	}
	if diff := cmp.Diff(wantCreate, create); diff != "" {
		t.Errorf("create deployment body (-want +got):\n%s", diff)
	}
	for i, op := range map[int]string{1: "repos/create-deployment", 3: "repos/create-deployment-status"} {
		if err := fake.ValidateGitHubRequest("testdata/schemas/github-rest-deployments.json", op, w.github.Requests()[i].Body); err != nil {
			t.Errorf("%s body does not match GitHub's schema: %v", op, err)
		}
	}
	wantOut := map[string]string{
		"deployment-id": start.outputs["deployment-id"], "build-id": "", "status": "started",
		"version-id": start.outputs["version-id"], "product-id": start.outputs["product-id"], "environment-id": start.outputs["environment-id"],
		"github-deployment-id": "1", "github-deployment-source": "deploytrack",
		"deployment_id": start.outputs["deployment-id"], "build_id": "",
		"version_id": start.outputs["version-id"], "product_id": start.outputs["product-id"], "environment_id": start.outputs["environment-id"],
		"results": start.outputs["results"],
	}
	var results map[string]map[string]any
	if err := json.Unmarshal([]byte(start.outputs["results"]), &results); err != nil {
		t.Errorf("results output %q: %v", start.outputs["results"], err)
	}
	wantResults := map[string]map[string]any{"shop-api": {
		"status": "started", "version": "1.2.3", "environment": "production", "ok": true, "github_deployment_id": "1",
		"deployment_id": start.outputs["deployment-id"], "version_id": start.outputs["version-id"],
		"product_id": start.outputs["product-id"], "environment_id": start.outputs["environment-id"],
	}}
	if diff := cmp.Diff(wantResults, results); diff != "" {
		t.Errorf("results output (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantOut, start.outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if start.outputs["deployment-id"] == "" || start.outputs["version-id"] == "" {
		t.Errorf("ids missing from outputs: %v", start.outputs)
	}

	w.versioner.Reset()
	w.github.Reset()
	finish := w.run(step{id: "__finish", with: w.with(map[string]string{"status": "success", "environment-url": "https://shop.example.com"})})
	wantCode(t, finish, 0)
	wantPaths(t, "Versioner", w.versioner.Requests(), deployEvents)
	wantPaths(t, "GitHub", w.github.Requests(), ghList, ghStatus("1"))
	if got := body(t, w.versioner.Requests()[0])["status"]; got != "completed" {
		t.Errorf("finish status sent = %v, want completed", got)
	}
	if _, ok := body(t, w.versioner.Requests()[0])["completed_at"]; !ok {
		t.Error("a completed event carries no completed_at")
	}

	deps := w.github.Deployments()
	if len(deps) != 1 {
		t.Fatalf("GitHub has %d deployments, want 1", len(deps))
	}
	var states []string
	for _, s := range deps[0].Statuses {
		states = append(states, s.State)
		if s.LogURL != "https://github.com/acme/shop/actions/runs/987654321" {
			t.Errorf("status %s log_url = %q", s.State, s.LogURL)
		}
	}
	if diff := cmp.Diff([]string{"in_progress", "success"}, states); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got := deps[0].Statuses[1].EnvironmentURL; got != "https://shop.example.com" {
		t.Errorf("environment_url = %q", got)
	}
	if n := len(w.versioner.Events()); n != 2 {
		t.Errorf("Versioner recorded %d events, want 2", n)
	}
	wantContains(t, "summary", finish.summary,
		"shop-api 1.2.3 → production: completed", "| Status | `completed` (given as success) |",
		"[111111111111](https://github.com/acme/shop/commit/"+headSHA+") on main",
		"[\\#77](https://github.com/acme/shop/actions/runs/987654321)",
		"[production](https://github.com/acme/shop/deployments/production)",
		"| Versioner | ✅ recorded deployment event", "| GitHub | ✅ deployment 1 found, status `success` |")
}

func TestCanonicalStatesOnGitHub(t *testing.T) {
	t.Parallel()
	for given, state := range map[string]string{
		"queued": "queued", "in_progress": "in_progress", "success": "success", "failure": "failure",
		"cancelled": "inactive", "skipped": "inactive", "error": "failure", "deploying": "in_progress",
	} {
		t.Run(given, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.run(step{with: w.with(map[string]string{"status": given})})
			wantCode(t, r, 0) // a failed deployment that was recorded is a success of the step
			deps := w.github.Deployments()
			if len(deps) != 1 || len(deps[0].Statuses) != 1 || deps[0].Statuses[0].State != state {
				t.Errorf("GitHub deployments = %+v, want one with status %s", deps, state)
			}
		})
	}
}

func TestTwoProductsOneRunTwoDeployments(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, p := range []string{"api", "web", "api"} {
		wantCode(t, w.run(step{id: "__" + p, with: w.with(map[string]string{"product": p})}), 0)
	}
	deps := w.github.Deployments()
	if len(deps) != 2 {
		t.Fatalf("GitHub has %d deployments, want one per product: %+v", len(deps), deps)
	}
	// GitHub's auto_inactive marks api's deployment inactive when web's
	// succeeds in the same environment; api's second step finds it again.
	var api []string
	for _, s := range deps[0].Statuses {
		api = append(api, s.State)
	}
	if deps[0].Payload["product"] != "api" || deps[1].Payload["product"] != "web" || !cmp.Equal(api, []string{"success", "inactive", "success"}) {
		t.Errorf("deployments = %+v", deps)
	}
}

func TestCommitAndBranchPerEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		env        map[string]string
		sha        string
		branch     string // "" when none is sent
		extra      map[string]any
		productDef string
	}{
		{
			name: "pull_request records the head commit, not the test merge",
			env: map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": eventFile("pull_request.json"),
				"GITHUB_SHA": "5555555555555555555555555555555555555555", "GITHUB_REF": "refs/pull/42/merge", "GITHUB_REF_NAME": "42/merge",
				"GITHUB_HEAD_REF": "feature/login", "GITHUB_BASE_REF": "main"},
			sha: "3333333333333333333333333333333333333333", branch: "feature/login",
			extra: map[string]any{"vi_gh_event_name": "pull_request", "vi_gh_ref": "refs/pull/42/merge", "vi_gh_head_ref": "feature/login", "vi_gh_base_ref": "main"},
		},
		{
			name: "tag push records no branch and the tag ref",
			env: map[string]string{"GITHUB_EVENT_PATH": eventFile("tag.json"), "GITHUB_SHA": "2222222222222222222222222222222222222222",
				"GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_REF_NAME": "v1.2.3", "GITHUB_REF_TYPE": "tag"},
			sha:   "2222222222222222222222222222222222222222",
			extra: map[string]any{"vi_gh_event_name": "push", "vi_gh_ref": "refs/tags/v1.2.3"},
		},
		{
			name: "workflow_run records the triggering run's commit and branch",
			env: map[string]string{"GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": eventFile("workflow_run.json"),
				"GITHUB_SHA": "8888888888888888888888888888888888888888"},
			sha: "6666666666666666666666666666666666666666", branch: "release/2.0",
			extra: map[string]any{"vi_gh_event_name": "workflow_run", "vi_gh_ref": "refs/heads/main"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.run(step{with: w.with(nil), env: tt.env})
			wantCode(t, r, 0)
			v := body(t, w.versioner.Requests()[0])
			if v["scm_sha"] != tt.sha {
				t.Errorf("scm_sha = %v, want %s", v["scm_sha"], tt.sha)
			}
			if got, _ := v["scm_branch"].(string); got != tt.branch {
				t.Errorf("scm_branch = %q, want %q", got, tt.branch)
			}
			for k, want := range tt.extra {
				if got := v["extra_metadata"].(map[string]any)[k]; got != want {
					t.Errorf("extra_metadata.%s = %v, want %v", k, got, want)
				}
			}
			if deps := w.github.Deployments(); len(deps) != 1 || deps[0].SHA != tt.sha {
				t.Errorf("GitHub deployment = %+v, want one at %s", deps, tt.sha)
			}
		})
	}
}

// TestEventPayloadFallback: a payload that is missing, unreadable, not
// JSON or of another event than GITHUB_EVENT_NAME says costs its facts
// and a warning, never the step: the commit comes from GITHUB_SHA.
func TestEventPayloadFallback(t *testing.T) {
	t.Parallel()
	const sha = "5555555555555555555555555555555555555555"
	tests := []struct {
		name    string
		event   string
		payload func(t *testing.T) string // the GITHUB_EVENT_PATH
		want    []string                  // warnings
	}{
		{name: "missing", event: "push", payload: func(t *testing.T) string { return filepath.Join(t.TempDir(), "event.json") },
			want: []string{"event.json) does not exist: using the GITHUB_* variables only"}},
		{name: "unreadable (a directory)", event: "push", payload: func(t *testing.T) string { return t.TempDir() },
			want: []string{"could not use the event payload at GITHUB_EVENT_PATH (could not read event file: ", "is a directory): using the GITHUB_* variables only"}},
		{name: "not JSON", event: "pull_request", payload: func(*testing.T) string { return eventFile("truncated.json") },
			want: []string{"could not use the event payload at GITHUB_EVENT_PATH (failed to unmarshal event payload: unexpected end of JSON input)",
				"the pull_request payload has no pull_request.head.sha: recording GITHUB_SHA, the test merge commit; set scm-sha to the head commit"}},
		{name: "a JSON array", event: "push", payload: func(t *testing.T) string { return writeFile(t, "[1, 2]") },
			want: []string{"could not use the event payload at GITHUB_EVENT_PATH (failed to unmarshal event payload: json: cannot unmarshal array"}},
		{name: "another event's payload", event: "workflow_run", payload: func(*testing.T) string { return eventFile("push.json") },
			want: []string{"the workflow_run payload has no workflow_run.head_sha: recording GITHUB_SHA; set scm-sha to the commit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.run(step{with: w.with(nil), env: map[string]string{"GITHUB_EVENT_NAME": tt.event, "GITHUB_EVENT_PATH": tt.payload(t), "GITHUB_SHA": sha}})
			wantCode(t, r, 0)
			if got := body(t, w.versioner.Requests()[0])["scm_sha"]; got != sha {
				t.Errorf("scm_sha = %v, want GITHUB_SHA %s", got, sha)
			}
			if deps := w.github.Deployments(); len(deps) != 1 || deps[0].SHA != sha {
				t.Errorf("GitHub deployments = %+v, want one at GITHUB_SHA", deps)
			}
			warnings := strings.Join(commands(r.stdout, "warning"), "\n")
			wantContains(t, "warnings", warnings, tt.want...)
			wantContains(t, "summary", r.summary, "**Warnings**")
		})
	}
}

// writeFile writes text to a new file and returns its path.
func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuildEvent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(step{with: map[string]string{"api-key": testKey, "api-url": w.vURL, "version": "2.0.0", "event-type": "build", "status": "building"}})
	wantCode(t, r, 0)
	wantPaths(t, "Versioner", w.versioner.Requests(), buildEvents)
	wantPaths(t, "GitHub", w.github.Requests())
	v := body(t, w.versioner.Requests()[0])
	for k, want := range map[string]any{"product_name": "shop", "status": "started", "built_by": "octocat",
		"build_url": "https://github.com/acme/shop/actions/runs/987654321"} {
		if v[k] != want {
			t.Errorf("%s = %v, want %v", k, v[k], want)
		}
	}
	for _, k := range []string{"environment_name", "deployed_by", "deploy_url", "completed_at"} {
		if _, ok := v[k]; ok {
			t.Errorf("build event carries %s", k)
		}
	}
	if r.outputs["build-id"] == "" || r.outputs["build_id"] != r.outputs["build-id"] || r.outputs["deployment-id"] != "" {
		t.Errorf("outputs = %v", r.outputs)
	}
	wantContains(t, "summary", r.summary, "shop 2.0.0 build: started", "| GitHub | skipped: a build event has no GitHub deployment |")
}

// TestInvalidInputSendsNothing: every invalid input names itself, fails
// the step and sends nothing to either API.
func TestInvalidInputSendsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		with map[string]string
		env  map[string]string
		want []string
	}{
		{"unknown status", map[string]string{"status": "done"}, nil, []string{"title=Invalid input%3A status::", `"done"`, "completed, ", "success"}},
		{"metadata not an object", map[string]string{"metadata": `["a"]`}, nil, []string{"title=Invalid input%3A metadata::", "not an object"}},
		{"metadata not JSON", map[string]string{"metadata": `{a: 1}`}, nil, []string{"Invalid input%3A metadata", "not valid JSON"}},
		{"missing version", map[string]string{"version": ""}, nil, []string{"Invalid input%3A version", "is required"}},
		{"status expression that gave nothing", map[string]string{"status": ""}, nil, []string{"Invalid input%3A status", "evaluated to nothing"}},
		{"missing environment", map[string]string{"environment": ""}, nil, []string{"Invalid input%3A environment", "required for deployment events"}},
		{"missing api key", map[string]string{"api-key": ""}, nil, []string{"Invalid input%3A api-key", "VERSIONER_API_KEY"}},
		{"newline in a single-line input", map[string]string{"version": "1.2.3\n::warning::forged"}, nil, []string{"Invalid input%3A version", "single line"}},
		{"bad boolean", map[string]string{"dry-run": "yes"}, nil, []string{"Invalid input%3A dry-run"}},
		{"bad event type", map[string]string{"event-type": "release"}, nil, []string{"Invalid input%3A event-type"}},
		{"bad timeout", map[string]string{"timeout": "forever"}, nil, []string{"Invalid input%3A timeout"}},
		{"empty token with GitHub on", map[string]string{"github-token": ""}, nil, []string{"Invalid input%3A github-token", "github-deployment: false"}},
		{"several at once", map[string]string{"version": "", "status": "nope", "metadata": "1"}, nil, []string{"Invalid input%3A version", "Invalid input%3A status", "Invalid input%3A metadata"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.run(step{with: w.with(tt.with), env: tt.env})
			wantCode(t, r, 1)
			wantPaths(t, "Versioner", w.versioner.Requests())
			wantPaths(t, "GitHub", w.github.Requests())
			wantContains(t, "stdout", r.stdout, append(tt.want, "nothing was sent")...)
			for _, line := range strings.Split(r.stdout, "\n") {
				if strings.HasPrefix(line, "::warning::forged") {
					t.Errorf("an input started a workflow command: %q", line)
				}
			}
		})
	}
}

func TestPreflightRejection(t *testing.T) {
	t.Parallel()
	for _, topLevel := range []bool{false, true} {
		t.Run(map[bool]string{false: "under detail", true: "top level"}[topLevel], func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.versioner.RejectPreflight(fake.Rejection{Product: "shop-api", Status: 423, Code: "NO_DEPLOY_WINDOW",
				Message: "Deploys are frozen for the holidays", RetryAfter: "2026-12-27T09:00:00Z", RuleName: "holiday freeze", TopLevel: topLevel})
			r := w.run(step{with: w.with(map[string]string{"status": "started", "fail-on-api-error": "false"})})
			wantCode(t, r, 1) // whatever fail-on-api-error says
			wantPaths(t, "Versioner", w.versioner.Requests(), deployEvents)
			deps := w.github.Deployments()
			if len(deps) != 1 || len(deps[0].Statuses) != 1 || deps[0].Statuses[0].State != "failure" {
				t.Fatalf("GitHub deployments = %+v, want one marked failure and never in_progress", deps)
			}
			wantContains(t, "GitHub status", deps[0].Statuses[0].Description, "Blocked by Versioner: Deploys are frozen")
			wantContains(t, "stdout", r.stdout, "::error title=Deployment blocked by Versioner::Versioner blocked the deployment (NO_DEPLOY_WINDOW) by rule \"holiday freeze\": Deploys are frozen for the holidays; retry after 2026-12-27T09:00:00Z")
			wantContains(t, "summary", r.summary, "Blocked by a Versioner preflight rule", "Retry after: **2026-12-27T09:00:00Z**", "⛔")
		})
	}
}

func TestReportOnlyRuleIsAWarning(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.versioner.ReportOnly("soak time", "staging ran for 10 minutes, the rule wants 1 hour")
	r := w.run(step{with: w.with(nil)})
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, `::warning::Versioner rule "soak time" (report only) failed: staging ran for 10 minutes, the rule wants 1 hour`)
	wantContains(t, "summary", r.summary, "**Warnings**", "soak time")
}

// TestSinksAreIndependent: one API failing never stops or loses the other.
func TestSinksAreIndependent(t *testing.T) {
	t.Parallel()
	t.Run("Versioner rejects the key; GitHub still recorded", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		r := w.run(step{with: w.with(map[string]string{"api-key": "sk_wrong"})})
		wantCode(t, r, 1)
		wantContains(t, "stdout", r.stdout, "::error title=Versioner::Versioner answered 401 Unauthorized", "check the api-key input")
		if deps := w.github.Deployments(); len(deps) != 1 || deps[0].Statuses[0].State != "success" {
			t.Errorf("GitHub deployments = %+v", deps)
		}
		wantContains(t, "summary", r.summary, "| Versioner | ❌ Versioner answered 401", "| GitHub | ✅ deployment 1 created")
	})
	t.Run("GitHub token lacks permission; Versioner still recorded", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.github.ReadOnly = true
		r := w.run(step{with: w.with(nil)})
		wantCode(t, r, 1)
		wantContains(t, "stdout", r.stdout, "GitHub answered 403 Forbidden", "permissions: deployments: write")
		if n := len(w.versioner.Events()); n != 1 {
			t.Errorf("Versioner recorded %d events, want 1", n)
		}
	})
	t.Run("fail-on-api-error false turns an outage into a warning", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		r := w.run(step{with: w.with(map[string]string{"api-url": "http://127.0.0.1:1", "fail-on-api-error": "false"})})
		wantCode(t, r, 0)
		wantContains(t, "stdout", r.stdout, "::warning::Versioner: could not reach Versioner at http://127.0.0.1:1/deployment-events/", "6 attempts", "connection refused", "(fail-on-api-error is false)")
		if len(commands(r.stdout, "error")) != 0 {
			t.Errorf("errors printed: %v", commands(r.stdout, "error"))
		}
		if len(w.github.Deployments()) != 1 {
			t.Error("GitHub deployment not recorded")
		}
		wantContains(t, "summary", r.summary, "⚠️")
	})
	t.Run("deprecated alias fail_on_api_error is honoured", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.github.ReadOnly = true
		r := w.run(step{with: w.with(map[string]string{"fail_on_api_error": "false"})})
		wantCode(t, r, 0)
		wantContains(t, "stdout", r.stdout, "::warning::input fail_on_api_error is deprecated: rename it to fail-on-api-error")
	})
}

func TestRetries(t *testing.T) {
	t.Parallel()
	t.Run("Versioner 503 then 429 then success", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.versioner.Inject(
			fake.Fault{PathSuffix: "/deployment-events/", Status: 503, Body: `{"detail":"maintenance"}`},
			fake.Fault{PathSuffix: "/deployment-events/", Status: 429, Header: http.Header{"Retry-After": {"0"}}},
		)
		r := w.run(step{with: w.with(nil), env: map[string]string{"RUNNER_DEBUG": "1"}})
		wantCode(t, r, 0)
		wantPaths(t, "Versioner", w.versioner.Requests(), deployEvents, deployEvents, deployEvents)
		if n := len(w.versioner.Events()); n != 1 {
			t.Errorf("Versioner recorded %d events, want 1", n)
		}
		keys := map[string]bool{}
		for _, req := range w.versioner.Requests() {
			keys[req.Header.Get("Idempotency-Key")] = true
		}
		if len(keys) != 1 {
			t.Errorf("retries sent %d different idempotency keys, want 1", len(keys))
		}
		wantContains(t, "stdout", r.stdout, "::debug::Versioner: answered 503 Service Unavailable; retry 1 of 5", "::debug::Versioner: answered 429 Too Many Requests (Retry-After 0s); retry 2 of 5")
	})
	t.Run("4xx other than 429 are not retried", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.versioner.Inject(fake.Fault{PathSuffix: "/deployment-events/", Status: 400, Body: `{"detail":"bad"}`})
		r := w.run(step{with: w.with(nil)})
		wantCode(t, r, 1)
		wantPaths(t, "Versioner", w.versioner.Requests(), deployEvents)
	})
}

func TestGitHubOff(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(step{with: w.with(map[string]string{"github-deployment": "false", "github-token": ""})})
	wantCode(t, r, 0)
	wantPaths(t, "GitHub", w.github.Requests())
	wantContains(t, "summary", r.summary, "| GitHub | skipped: github-deployment is false |")
	if r.outputs["github-deployment-id"] != "" {
		t.Errorf("github-deployment-id = %q", r.outputs["github-deployment-id"])
	}
}

func TestAPIURLs(t *testing.T) {
	t.Parallel()
	t.Run("Versioner base with a path prefix and trailing slash", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.versioner.PathPrefix = "/versioner"
		wantCode(t, w.run(step{with: w.with(map[string]string{"api-url": w.vURL + "/versioner/"})}), 0)
		wantPaths(t, "Versioner", w.versioner.Requests(), "POST /versioner/deployment-events/")
	})
	t.Run("api.github.com has no /api/v3 prefix", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.github.PathPrefix = ""
		w.context["GITHUB_API_URL"] = strings.TrimSuffix(w.ghAPI, "/api/v3")
		wantCode(t, w.run(step{with: w.with(nil)}), 0)
		if got := paths(w.github.Requests()); len(got) != 4 || !strings.HasPrefix(got[1], "POST /repos/acme/shop/deployments") {
			t.Errorf("GitHub received %v", got)
		}
	})
	t.Run("deprecated aliases of Versioner's action", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		r := w.run(step{with: map[string]string{"api_key": testKey, "api_url": w.vURL, "product_name": "legacy", "event_type": "build", "version": "1"}})
		wantCode(t, r, 0)
		wantPaths(t, "Versioner", w.versioner.Requests(), buildEvents)
		if got := body(t, w.versioner.Requests()[0])["product_name"]; got != "legacy" {
			t.Errorf("product_name = %v", got)
		}
		if n := len(commands(r.stdout, "warning")); n != 4 {
			t.Errorf("%d deprecation warnings, want 4:\n%s", n, r.stdout)
		}
	})
	t.Run("key from VERSIONER_API_KEY", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		r := w.run(step{with: w.with(map[string]string{"api-key": ""}), env: map[string]string{"VERSIONER_API_KEY": testKey}})
		wantCode(t, r, 0)
	})
}

func TestMetadataAndDescription(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	long := strings.Repeat("é", 200)
	r := w.run(step{with: w.with(map[string]string{
		"metadata":    `{"ticket": "OPS-1", "vi_gh_job": "mine", "count": 3, "nested": {"ok": true}}`,
		"description": long,
	})})
	wantCode(t, r, 0)
	meta := body(t, w.versioner.Requests()[0])["extra_metadata"].(map[string]any)
	for k, want := range map[string]any{"ticket": "OPS-1", "vi_gh_job": "mine", "count": float64(3), "nested": map[string]any{"ok": true}, "vi_gh_workflow": "Deploy"} {
		if diff := cmp.Diff(want, meta[k]); diff != "" {
			t.Errorf("extra_metadata.%s (-want +got):\n%s", k, diff)
		}
	}
	desc := w.github.Deployments()[0].Statuses[0].Description
	if n := len([]rune(desc)); n != 140 || !strings.HasSuffix(desc, "…") {
		t.Errorf("description has %d characters: %q", n, desc)
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(step{with: w.with(map[string]string{"dry-run": "true", "status": "started"})})
	wantCode(t, r, 0)
	wantPaths(t, "Versioner", w.versioner.Requests())
	wantPaths(t, "GitHub", w.github.Requests())
	wantContains(t, "stdout", r.stdout, "POST "+w.vURL+"/deployment-events/", "Authorization: Bearer ***",
		`"product_name": "shop-api"`, `"auto_merge": false`, `"required_contexts": []`, `"state": "in_progress"`)
	wantContains(t, "summary", r.summary, "dry run: nothing sent")
}

func TestOutsideARunner(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(step{with: w.with(nil), noFile: true})
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "output status=completed", "output github-deployment-id=1")
}

// TestSecretsStayMasked runs steps that succeed and fail and checks that
// neither secret appears anywhere but in the ::add-mask:: commands.
func TestSecretsStayMasked(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.versioner.Inject(fake.Fault{PathSuffix: "/deployment-events/", Status: 401, Body: `{"detail":"Invalid authentication credentials ` + testKey + `"}`})
	steps := []step{
		{with: w.with(nil)},
		{with: w.with(map[string]string{"dry-run": "true"})},
		{with: w.with(map[string]string{"status": "nope"})},
		{with: w.with(map[string]string{"api-url": "http://127.0.0.1:1", "timeout": "1"})},
	}
	for i, s := range steps {
		r := w.run(s)
		masks := 0
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(line, "::add-mask::") {
				masks++
				continue
			}
			for _, secret := range []string{testKey, testToken} {
				if strings.Contains(line, secret) {
					t.Errorf("step %d printed a secret: %q", i, line)
				}
			}
		}
		if masks != 2 {
			t.Errorf("step %d: %d ::add-mask:: lines, want 2", i, masks)
		}
		if !strings.HasPrefix(r.stdout, "::add-mask::") {
			t.Errorf("step %d printed before masking:\n%s", i, r.stdout)
		}
		for _, secret := range []string{testKey, testToken} {
			if strings.Contains(r.stderr, secret) || strings.Contains(r.summary, secret) || strings.Contains(strings.Join(values(r.outputs), "\n"), secret) {
				t.Errorf("step %d leaked a secret to stderr, summary or outputs", i)
			}
		}
	}
}

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binary, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "deploytrack e2e (commit ") {
		t.Errorf("--version = %q, %v", out, err)
	}
}

// TestHungVersionerOnStart: GitHub's status for a started deployment
// waits for Versioner's preflight answer, but not past the deadline: the
// deployment is marked error, and the message blames Versioner.
func TestHungVersionerOnStart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.versioner.Inject(fake.Fault{PathSuffix: "/deployment-events/", Hang: true})
	r := w.run(step{with: w.with(map[string]string{"status": "started", "timeout": "3"})})
	wantCode(t, r, 1)
	if r.took > 6*time.Second {
		t.Errorf("took %s with a 3 s timeout", r.took)
	}
	wantContains(t, "stdout", r.stdout, "::error title=Versioner::timed out after 2s waiting for Versioner")
	deps := w.github.Deployments()
	if len(deps) != 1 || len(deps[0].Statuses) != 1 || deps[0].Statuses[0].State != "error" {
		t.Fatalf("GitHub deployments = %+v, want one marked error", deps)
	}
	if len(commands(r.stdout, "error")) != 1 {
		t.Errorf("want one error, for Versioner only:\n%s", r.stdout)
	}
}

// TestBuildConflictIsNotABlock: a 409 for an immutable version is an API
// error that fail-on-api-error governs, not a preflight rejection.
func TestBuildConflictIsNotABlock(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	with := map[string]string{"api-key": testKey, "api-url": w.vURL, "version": "1.0.0", "event-type": "build", "fail-on-api-error": "false"}
	wantCode(t, w.run(step{id: "__a", with: with}), 0)
	w.context["GITHUB_SHA"] = "9999999999999999999999999999999999999999"
	r := w.run(step{id: "__b", with: with})
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "::warning::Versioner: Versioner answered 409 Conflict", "versions are immutable")
}

// TestNoTokenAfterCrossHostRedirect: a redirect to another host is not
// followed, so the token never reaches it.
func TestNoTokenAfterCrossHostRedirect(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var got []string
	var mu sync.Mutex
	other := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		rw.WriteHeader(http.StatusOK)
		_, _ = rw.Write([]byte(`[]`))
	}))
	defer other.Close()
	w.github.Inject(fake.Fault{Method: "GET", PathSuffix: "/deployments", Status: 307, Header: http.Header{"Location": {other.URL + "/steal"}}})
	r := w.run(step{with: w.with(nil)})
	wantCode(t, r, 1)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 0 {
		t.Errorf("the other host received %d requests (Authorization %q)", len(got), got)
	}
	wantContains(t, "stdout", r.stdout, "GitHub answered 307")
}
