package e2e

import (
	"fmt"
	"testing"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/fake"
)

func ghLatest(id int64) string {
	return fmt.Sprintf("GET /api/v3/repos/acme/shop/deployments/%d/statuses?per_page=1", id)
}

// TestFinishingStepHandedOver: in one job, the started step hands its
// deployment and the product's previous version on through GITHUB_ENV, so
// the finishing step's success lists the environment and reads that
// version's newest status at once, then posts its status and retires it,
// without listing the commit (a failure: the list, then its status). A hand-over that the environment's list
// does not bear out (another product's deployment, one GitHub does not
// have) is looked up as without one, and no status goes to a deployment
// that is not this run's of the product.
func TestFinishingStepHandedOver(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		forged    string // a START value over the started step's, as a later step of the job could write it
		failed    bool   // the deploy failed: the finishing step records failure
		wantLater []string
	}{
		{name: "as handed over", wantLater: []string{ghEnvList, ghLatest(1), ghStatus("3"), ghStatus("1")}},
		{name: "a failure: the environment's list, then the status", failed: true, wantLater: []string{ghEnvList, ghStatus("3")}},
		{name: "another product's deployment named", forged: `{"outcome":"started","github_deployment":2,"github_previous":2}`,
			wantLater: []string{ghEnvList, ghLatest(2), ghList, ghLatest(1), ghStatus("3"), ghStatus("1")}},
		{name: "a deployment GitHub does not have", forged: `{"outcome":"started","github_deployment":99,"github_previous":98}`,
			wantLater: []string{ghEnvList, ghLatest(98), ghList, ghLatest(1), ghStatus("3"), ghStatus("1")}},
		{name: "not numbers: nothing handed over", forged: `{"outcome":"started","github_deployment":"3; rm -rf /"}`,
			wantLater: []string{ghList, ghEnvList, ghLatest(1), ghStatus("3"), ghStatus("1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			// 1: shop-api's live version, 2: another product's live one.
			w.github.AddDeployment(fake.Deployment{Ref: "main", Environment: "production",
				Payload: map[string]any{"product": "shop-api", "version": "1.2.2", "run_id": "1"}, Statuses: []fake.Status{{State: "success"}}})
			w.github.AddDeployment(fake.Deployment{Ref: "main", Environment: "production",
				Payload: map[string]any{"product": "web", "version": "7.0.0", "run_id": "2"}, Statuses: []fake.Status{{State: "success"}}})
			j := w.job(nil)
			start := w.runIn(j, w.with(map[string]string{"status": "started"}))
			wantCode(t, start, 0)
			wantPaths(t, "GitHub (started step)", w.github.Requests(), ghList, ghCreate, ghEnvList, ghList, ghStatus("3"))
			if tt.forged != "" {
				j.SetEnv(event.JobVar("START", string(config.Deployment), "shop-api", "production"), tt.forged)
			}
			w.github.Reset()
			status, want := "success", map[int64]string{1: "inactive", 2: "success", 3: "success"}
			if tt.failed {
				status, want = "failure", map[int64]string{1: "success", 2: "success", 3: "failure"}
			}
			finish := w.runIn(j, w.with(map[string]string{"status": status}))
			wantCode(t, finish, 0)
			wantPaths(t, "GitHub (finishing step)", w.github.Requests(), tt.wantLater...)
			for _, d := range w.github.Deployments() {
				if got := d.Statuses[len(d.Statuses)-1].State; got != want[d.ID] {
					t.Errorf("deployment %d (%v) ends %s, want %s", d.ID, d.Payload["product"], got, want[d.ID])
				}
			}
			if got := finish.outputs["github-deployment-id"]; got != "3" {
				t.Errorf("github-deployment-id = %q, want 3", got)
			}
		})
	}
}
