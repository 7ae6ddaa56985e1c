package fake

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
