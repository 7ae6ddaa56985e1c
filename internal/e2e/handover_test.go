package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/deploytrack/deploytrack/internal/fake"
)

// TestBlockedStartIsNotFinished is the README's two-step example when a
// preflight rule blocks the start: the finishing step (if: always(), with
// status ${{ job.status }}, which is failure) records nothing, so no
// failed deploy that never ran inflates the change-failure figures, and
// says why in one line. The same for a start that failed, and for one
// product of several.
func TestBlockedStartIsNotFinished(t *testing.T) {
	t.Parallel()
	t.Run("blocked", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.versioner.RejectPreflight(fake.Rejection{Product: "shop-api", Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "Frozen"})
		j := w.job(nil)
		code(t, jobRun(t, j, w.with(map[string]string{"status": "started"})), 1)
		w.versioner.RejectPreflight(fake.Rejection{Product: "shop-api"}) // lifted: the finish is not refused
		finish := jobRun(t, j, w.with(map[string]string{"status": "failure"}))
		code(t, finish, 0)
		wantContains(t, "stdout", finish.Stdout, "shop-api: nothing recorded: its start was blocked earlier in the job, so the deploy never ran", "NO_DEPLOY_WINDOW")
		if got := finish.Outputs["status"]; got != "skipped" {
			t.Errorf("status output = %q, want skipped", got)
		}
		wantSummary(t, finish.Summary, "⏭️ Skipped: shop-api 1.2.3 → production", "Nothing recorded: its start was blocked earlier in the job")
		if ev := eventStatuses(w); len(ev) != 0 {
			t.Errorf("Versioner recorded %v; the blocked start is refused and the finish records nothing", ev)
		}
		if got := statuses(w); len(got) != 1 || got[0] != "shop-api: failure" {
			t.Errorf("GitHub = %v, want the blocked start's one failure status", got)
		}
	})
	t.Run("failed", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		j := w.job(nil)
		w.versioner.Inject(fake.Fault{PathSuffix: "/deployment-events/", Status: 400, Body: `{"detail":"bad"}`})
		code(t, jobRun(t, j, w.with(map[string]string{"status": "started"})), 1)
		w.versioner.Reset()
		finish := jobRun(t, j, w.with(map[string]string{"status": "failure"}))
		code(t, finish, 0)
		wantContains(t, "stdout", finish.Stdout, "nothing recorded: its start was failed earlier in the job")
		if ev := eventStatuses(w); len(ev) != 0 {
			t.Errorf("Versioner recorded %v after a start that failed", ev)
		}
	})
	t.Run("a new start in the job is finished", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.versioner.RejectPreflight(fake.Rejection{Product: "shop-api", Status: 409, Code: "CONCURRENT_DEPLOYMENT", Message: "busy"})
		j := w.job(nil)
		code(t, jobRun(t, j, w.with(map[string]string{"status": "started"})), 1)
		w.versioner.RejectPreflight(fake.Rejection{Product: "shop-api"})
		code(t, jobRun(t, j, w.with(map[string]string{"status": "started"})), 0)
		code(t, jobRun(t, j, w.with(map[string]string{"status": "success"})), 0)
		if got := strings.Join(eventStatuses(w), ", "); got != "shop-api started, shop-api completed" {
			t.Errorf("Versioner recorded %s", got)
		}
	})
	t.Run("one product of several", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.versioner.RejectPreflight(fake.Rejection{Product: "payments", Status: 428, Code: "APPROVAL_REQUIRED", Message: "needs approval"})
		j := w.job(nil)
		products := "shop-api@1.2.3\npayments@9.9.9"
		code(t, jobRun(t, j, w.with(map[string]string{"product": "", "products": products, "status": "started"})), 1)
		finish := jobRun(t, j, w.with(map[string]string{"product": "", "products": products, "status": "failure"}))
		code(t, finish, 0)
		if got := strings.Join(eventStatuses(w), ", "); got != "shop-api started, shop-api failed" {
			t.Errorf("Versioner recorded %s; payments never started, so it has no outcome", got)
		}
		var results map[string]map[string]any
		if err := json.Unmarshal([]byte(finish.Outputs["results"]), &results); err != nil {
			t.Fatal(err)
		}
		if results["payments"]["status"] != "skipped" || results["shop-api"]["status"] != "failed" {
			t.Errorf("results = %v, want payments skipped and shop-api failed", results)
		}
	})
}

// TestDurationRecorded: a final status carries how long the deploy took,
// from the start a step of the job handed on, in Versioner's
// extra_metadata.deployment_duration_seconds; the user's own value wins.
// The post step of auto-finish takes the start from its main step.
func TestDurationRecorded(t *testing.T) {
	t.Parallel()
	last := func(w *world) map[string]any {
		evs := w.versioner.Events()
		m, _ := evs[len(evs)-1].Body["extra_metadata"].(map[string]any)
		return m
	}
	t.Run("finishing step", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		j := w.job(nil)
		code(t, jobRun(t, j, w.with(map[string]string{"status": "started"})), 0)
		time.Sleep(1100 * time.Millisecond)
		finish := jobRun(t, j, w.with(map[string]string{"status": "success"}))
		code(t, finish, 0)
		d, ok := last(w)["deployment_duration_seconds"].(float64)
		if !ok || d < 1 || d > 30 {
			t.Errorf("extra_metadata = %v, want deployment_duration_seconds of about 1", last(w))
		}
		wantContains(t, "stdout", finish.Stdout, "after the start")
		wantSummary(t, finish.Summary, " · took ")
	})
	t.Run("from the GitHub deployment, in another job", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		// Two runs of the binary with no GITHUB_ENV between them, as two
		// jobs: the finishing step takes the start from the deployment.
		wantCode(t, w.run(use{with: w.with(map[string]string{"status": "started"})}), 0)
		time.Sleep(1100 * time.Millisecond)
		finish := w.run(use{with: w.with(map[string]string{"status": "success"})})
		wantCode(t, finish, 0)
		d, ok := last(w)["deployment_duration_seconds"].(float64)
		if !ok || d < 1 || d > 30 {
			t.Errorf("extra_metadata = %v, want deployment_duration_seconds of about 1, from the deployment's created_at", last(w))
		}
		wantContains(t, "stdout", finish.stdout, "after the start")
	})
	t.Run("the user's value wins", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		j := w.job(nil)
		code(t, jobRun(t, j, w.with(map[string]string{"status": "started"})), 0)
		code(t, jobRun(t, j, w.with(map[string]string{"status": "success", "metadata": `{"deployment_duration_seconds": 600}`})), 0)
		if d := last(w)["deployment_duration_seconds"]; d != float64(600) {
			t.Errorf("deployment_duration_seconds = %v, want the user's 600", d)
		}
	})
	t.Run("a start is not timed", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		j := w.job(nil)
		code(t, jobRun(t, j, w.with(map[string]string{"status": "started"})), 0)
		code(t, jobRun(t, j, w.with(map[string]string{"status": "started"})), 0)
		if _, ok := last(w)["deployment_duration_seconds"]; ok {
			t.Errorf("a started event carries a duration: %v", last(w))
		}
	})
	t.Run("auto-finish", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		j := w.job(nil)
		code(t, jobRun(t, j, w.with(map[string]string{"status": "started", "auto-finish": "true", "description": "Rolling out 1.2.3"})), 0)
		for _, r := range jobPost(t, j) {
			code(t, r, 0)
		}
		evs := w.versioner.Events()
		final := evs[len(evs)-1].Body
		if final["status"] != "completed" {
			t.Fatalf("the post step recorded %v", final["status"])
		}
		if _, ok := last(w)["deployment_duration_seconds"].(float64); !ok {
			t.Errorf("the post step's event has no duration: %v", last(w))
		}
		if d, ok := final["description"]; ok {
			t.Errorf("the post step's event reuses the start's description %q", d)
		}
		deps := w.github.Deployments()
		sts := deps[0].Statuses
		if got := sts[len(sts)-1]; got.State != "success" || strings.Contains(got.Description, "Rolling out") {
			t.Errorf("GitHub's final status = %+v, want success without the start's description", got)
		}
	})
}
