package e2e

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/fake"
)

// The tests of this file run a job with an `environment:` key: GitHub has
// made the job's deployment (fake.AddJobDeployment) before the first step,
// and the job's steps share GITHUB_ENV, as the runner runs them.

const (
	runID    = "987654321"                                // runner.Context's GITHUB_RUN_ID
	mergeSHA = "5555555555555555555555555555555555555555" // GITHUB_SHA of a pull_request run
)

func ghStatuses(id int64) string {
	return fmt.Sprintf("GET /api/v3/repos/acme/shop/deployments/%d/statuses?per_page=100", id)
}

func ghListAt(sha string) string {
	return "GET /api/v3/repos/acme/shop/deployments?environment=production&per_page=100&sha=" + sha + "&task=deploy"
}

// states lists a deployment's statuses as "state environment_url description".
func states(d fake.Deployment) []string {
	var out []string
	for _, s := range d.Statuses {
		out = append(out, fmt.Sprintf("%s %s %s", s.State, s.EnvironmentURL, s.Description))
	}
	return out
}

// runnerStatuses are what GitHub posts to the job's deployment by the time the first step runs.
var runnerStatuses = []string{"queued  ", "in_progress  "}

func TestJobEnvironment(t *testing.T) {
	t.Parallel()
	started := map[string]string{"status": "started", "environment-url": "https://shop.example.com", "description": "Rolling out 1.2.3"}
	finished := map[string]string{"status": "success", "environment-url": "https://shop.example.com", "description": "1.2.3 is live"}
	ours := []string{"in_progress https://shop.example.com Rolling out 1.2.3", "success https://shop.example.com 1.2.3 is live"}
	tests := []struct {
		name       string
		jobRun     string            // the run whose job GitHub made a deployment for; "" for none
		jobSHA     string            // its commit; default headSHA
		context    map[string]string // the run's context, over the push's
		mode       string            // github-deployment; "" for the default
		wantFirst  []string          // GitHub requests of the started step
		wantLater  []string          // and of the success step, later in the same job
		wantSource string
		wantJob    []string // the job deployment's statuses at the end
		wantOurs   []string // our deployment's statuses at the end; nil when none was created
	}{
		{
			name: "the job's deployment exists: our statuses go to it", jobRun: runID,
			wantFirst:  []string{ghList, ghStatuses(1), ghStatus("1")},
			wantLater:  []string{ghStatus("1")},
			wantSource: "job",
			wantJob:    append(runnerStatuses[:2:2], ours...),
		},
		{
			name:       "no job deployment: ours, as before",
			wantFirst:  []string{ghList, ghCreate, ghEnvList, ghList, ghStatus("1")},
			wantLater:  []string{ghEnvList, ghStatus("1")},
			wantSource: "deploytrack",
			wantOurs:   ours,
		},
		{
			name: "github-deployment true: ours even when the job has one", jobRun: runID, mode: "true",
			wantFirst:  []string{ghList, ghCreate, ghEnvList, ghList, ghStatus("2")},
			wantLater:  []string{ghEnvList, ghStatus("2")},
			wantSource: "deploytrack",
			wantJob:    runnerStatuses,
			wantOurs:   ours,
		},
		{
			name: "another run's job deployment of the same commit and environment is not adopted", jobRun: "111",
			wantFirst:  []string{ghList, ghStatuses(1), ghCreate, ghEnvList, ghList, ghStatus("2")},
			wantLater:  []string{ghEnvList, ghStatus("2")},
			wantSource: "deploytrack",
			wantJob:    runnerStatuses,
			wantOurs:   ours,
		},
		{
			name: "pull request: the job's deployment carries the test merge commit", jobRun: runID, jobSHA: mergeSHA,
			context: map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": eventFile("pull_request.json"),
				"GITHUB_SHA": mergeSHA, "GITHUB_REF": "refs/pull/42/merge", "GITHUB_REF_NAME": "42/merge", "GITHUB_HEAD_REF": "feature/login", "GITHUB_BASE_REF": "main"},
			wantFirst:  []string{ghListAt(prHeadSHA), ghListAt(mergeSHA), ghStatuses(1), ghStatus("1")},
			wantLater:  []string{ghStatus("1")},
			wantSource: "job",
			wantJob:    append(runnerStatuses[:2:2], ours...),
		},
		{
			name: "pull request without a job deployment: GITHUB_SHA is listed too, then ours", jobRun: "",
			context: map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": eventFile("pull_request.json"),
				"GITHUB_SHA": mergeSHA, "GITHUB_REF": "refs/pull/42/merge", "GITHUB_REF_NAME": "42/merge", "GITHUB_HEAD_REF": "feature/login", "GITHUB_BASE_REF": "main"},
			wantFirst:  []string{ghListAt(prHeadSHA), ghListAt(mergeSHA), ghCreate, ghEnvList, ghListAt(prHeadSHA), ghStatus("1")},
			wantLater:  []string{ghEnvList, ghStatus("1")},
			wantSource: "deploytrack",
			wantOurs:   ours,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			var jobID int64
			if tt.jobRun != "" {
				jobID = w.github.AddJobDeployment(fake.JobDeployment{RunID: tt.jobRun, JobID: "555", SHA: cmpOr(tt.jobSHA, headSHA), Ref: "main"})
			}
			j := w.job(tt.context)
			var mode map[string]string
			if tt.mode != "" {
				mode = map[string]string{"github-deployment": tt.mode}
			}

			first := w.runIn(j, w.with(merge(started, mode)))
			wantCode(t, first, 0)
			wantPaths(t, "GitHub (started step)", w.github.Requests(), tt.wantFirst...)
			if got := first.outputs["github-deployment-source"]; got != tt.wantSource {
				t.Errorf("github-deployment-source = %q, want %q", got, tt.wantSource)
			}
			handoff := first.env[deployments.HandoffVar(eventOf(tt.context))]
			if want := map[bool]string{true: fmt.Sprint(jobID), false: ""}[tt.wantSource == "job"]; handoff != want {
				t.Errorf("GITHUB_ENV hands over %q, want %q (all: %v)", handoff, want, first.env)
			}

			w.github.Reset()
			later := w.runIn(j, w.with(merge(finished, mode)))
			wantCode(t, later, 0)
			wantPaths(t, "GitHub (success step)", w.github.Requests(), tt.wantLater...)
			for _, r := range w.github.Requests() {
				if r.Method == "POST" {
					op := map[bool]string{true: "repos/create-deployment", false: "repos/create-deployment-status"}[r.Path == "/api/v3/repos/acme/shop/deployments"]
					if err := fake.ValidateGitHubRequest("testdata/schemas/github-rest-deployments.json", op, r.Body); err != nil {
						t.Errorf("%s: %v", op, err)
					}
				}
			}
			if n := len(w.versioner.Events()); n != 2 {
				t.Errorf("Versioner recorded %d events, want 2", n)
			}

			var job, own []string
			deps := w.github.Deployments()
			for _, d := range deps {
				if d.ByRunner {
					job = states(d)
				} else {
					own = states(d)
				}
			}
			if diff := cmp.Diff(tt.wantJob, job); diff != "" {
				t.Errorf("the job's deployment's statuses (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantOurs, own); diff != "" {
				t.Errorf("our deployment's statuses (-want +got):\n%s", diff)
			}
			if tt.wantSource == "job" {
				if len(deps) != 1 {
					t.Errorf("GitHub has %d deployments, want only the job's: %+v", len(deps), deps)
				}
				for _, s := range deps[0].Statuses[2:] {
					if s.LogURL != "https://github.com/acme/shop/actions/runs/"+runID {
						t.Errorf("our status %s links to %q, want the run", s.State, s.LogURL)
					}
				}
				id := fmt.Sprint(jobID)
				wantSummary(t, later.summary, "\ndeployment "+id+" (the job's)\n")
				wantContains(t, "log", first.stdout, "GitHub: the job's own deployment "+id+", status in_progress")
			}
		})
	}
}

// prHeadSHA is pull_request.head.sha in testdata/events/pull_request.json.
const prHeadSHA = "3333333333333333333333333333333333333333"

// eventOf is enough of the event the steps record to name the handoff variable.
func eventOf(context map[string]string) event.Event {
	ev := event.Event{Product: "shop-api", Environment: "production", SHA: headSHA}
	if context["GITHUB_EVENT_NAME"] == "pull_request" {
		ev.SHA = prHeadSHA
	}
	return ev
}

// TestJobEnvironmentHandoffGone: the deployment an earlier step handed
// over is gone (GitHub answers 404): the step looks for the job's
// deployment again and posts there.
func TestJobEnvironmentHandoffGone(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	id := w.github.AddJobDeployment(fake.JobDeployment{RunID: runID, JobID: "555", SHA: headSHA})
	j := w.job(map[string]string{deployments.HandoffVar(eventOf(nil)): "999"})
	r := w.runIn(j, w.with(map[string]string{"status": "success"}))
	wantCode(t, r, 0)
	wantPaths(t, "GitHub", w.github.Requests(), ghStatus("999"), ghList, ghStatuses(id), ghStatus(fmt.Sprint(id)))
	if got := r.env[deployments.HandoffVar(eventOf(nil))]; got != fmt.Sprint(id) {
		t.Errorf("GITHUB_ENV hands over %q, want %d", got, id)
	}
	if d := w.github.Deployments(); len(d) != 1 || len(d[0].Statuses) != 3 || d[0].Statuses[2].State != "success" {
		t.Errorf("deployments = %+v", d)
	}
}

// TestJobEnvironmentDryRun: a dry run says what auto would do, and sends nothing.
func TestJobEnvironmentDryRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.github.AddJobDeployment(fake.JobDeployment{RunID: runID, JobID: "555", SHA: headSHA})
	r := w.run(use{with: w.with(map[string]string{"dry-run": "true"})})
	wantCode(t, r, 0)
	wantPaths(t, "GitHub", w.github.Requests())
	wantContains(t, "stdout", r.stdout, "GET "+w.ghAPI+"/repos/acme/shop/deployments/{id}/statuses?per_page=100 (for each candidate, newest first, at most 3: "+
		"the job's own deployment is the first whose statuses link below https://github.com/acme/shop/actions/runs/"+runID+"/)",
		"(only when there is neither this run's deployment of shop-api nor the job's own)")
	wantSummary(t, r.summary, "🧪 Dry run (completed): shop-api 1.2.3 → production", "Nothing was sent")
}

func merge(a, b map[string]string) map[string]string {
	m := map[string]string{}
	for _, src := range []map[string]string{a, b} {
		for k, v := range src {
			m[k] = v
		}
	}
	return m
}

func cmpOr(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// TestJobEnvironmentTwoProducts: two products recorded in one job with an
// environment both post to the job's deployment (README, monorepo).
func TestJobEnvironmentTwoProducts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	id := w.github.AddJobDeployment(fake.JobDeployment{RunID: runID, JobID: "555", SHA: headSHA})
	j := w.job(nil)
	for _, p := range []string{"api", "web"} {
		r := w.runIn(j, w.with(map[string]string{"product": p}))
		wantCode(t, r, 0)
		if r.outputs["github-deployment-id"] != fmt.Sprint(id) || r.outputs["github-deployment-source"] != "job" {
			t.Errorf("%s: outputs %v", p, r.outputs)
		}
	}
	deps := w.github.Deployments()
	if diff := cmp.Diff(append(runnerStatuses[:2:2], "success  api 1.2.3: completed", "success  web 1.2.3: completed"), states(deps[0])); len(deps) != 1 || diff != "" {
		t.Errorf("deployments = %+v\n(-want +got):\n%s", deps, diff)
	}
}
