package e2e

import (
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestConcurrentStartsConverge runs the binary several times at once, as
// jobs of one run that start the same product at the same commit in the
// same environment at the same instant: each lists, finds nothing and
// creates. Every step ends on one deployment, the oldest, and each extra
// one is marked inactive by the step that made it, so the Environments
// page shows one deployment in progress.
func TestConcurrentStartsConverge(t *testing.T) {
	t.Parallel()
	for _, n := range []int{2, 4} {
		t.Run(strconv.Itoa(n)+" jobs", func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			// The fake answers each create a while after storing it, and
			// holds the first n lists until all n steps have listed.
			w.github.SetCreateDelay(200 * time.Millisecond)
			srv := httptest.NewServer(w.github.Racing(n))
			t.Cleanup(srv.Close)
			w.context["GITHUB_API_URL"] = srv.URL + w.github.PathPrefix

			steps := make([]use, n)
			for i := range steps {
				steps[i] = use{with: w.with(map[string]string{"status": "started"}), env: map[string]string{"GITHUB_JOB": fmt.Sprintf("deploy-%d", i)}}
			}
			results := w.runAll(steps...)

			made := w.github.Deployments()
			if len(made) != n {
				t.Fatalf("GitHub holds %d deployments, want %d: the steps did not race", len(made), n)
			}
			oldest := made[0].ID
			for _, d := range made {
				oldest = min(oldest, d.ID)
			}
			for i, r := range results {
				wantCode(t, r, 0)
				if got := r.outputs["github-deployment-id"]; got != strconv.FormatInt(oldest, 10) {
					t.Errorf("step %d posted to deployment %s, want the oldest, %d", i, got, oldest)
				}
			}
			for _, d := range made {
				var states []string
				for _, s := range d.Statuses {
					states = append(states, s.State)
				}
				if d.ID == oldest {
					// One in_progress per step: each posted its status there.
					if len(states) != n || strings.Join(states, " ") != strings.TrimSpace(strings.Repeat("in_progress ", n)) {
						t.Errorf("the oldest deployment %d has statuses %v, want in_progress from each of the %d steps", d.ID, states, n)
					}
					continue
				}
				// A twin gets its step's status while that step looks again
				// (deployments.Deliver), then, last, inactive.
				last := len(d.Statuses) - 1
				if last < 0 || last > 1 || last == 1 && d.Statuses[0].State != "in_progress" ||
					d.Statuses[last].State != "inactive" || !strings.Contains(d.Statuses[last].Description, fmt.Sprintf("superseded by deployment %d", oldest)) {
					t.Errorf("deployment %d has statuses %+v, want its step's in_progress, then inactive saying it was superseded by %d", d.ID, d.Statuses, oldest)
				}
			}
		})
	}
}
