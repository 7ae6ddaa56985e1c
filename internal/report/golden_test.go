package report_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/report/summarytest"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/summary")

// golden compares got with testdata/summary/name.md, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "summary", name+".md")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("Summary() mismatch with %s (-want +got):\n%s", path, diff)
	}
}

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	for _, tt := range goldenCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got string
			if len(tt.reps) == 1 {
				got = tt.reps[0].Summary()
			} else {
				got = report.ManySummary(tt.reps)
			}
			golden(t, tt.name, got)
			checkTables(t, got)
			h := had(tt.reps...)
			h.Markup = tt.name == "hostile"
			for _, p := range summarytest.Check(got, h) {
				t.Errorf("as GitHub renders it: %s\n%s", p, got)
			}
		})
	}
}

type goldenCase struct {
	name string
	reps []*report.Report
}

// goldenCases are the summaries of testdata/summary: one for each outcome a
// deploy can have, each kind of tracking trouble, a build, several products.
func goldenCases() []goldenCase {
	down := errors.New("could not reach Versioner at https://api.versioner.io/deployment-events/: dial tcp 10.0.0.1:443: connect: connection refused: check api-url and that the runner can reach it")
	forbidden := errors.New("GitHub answered 403 Forbidden when asked to list deployments in acme/web: Resource not accessible by integration: add `permissions: deployments: write` to the job (or set github-deployment: false)")
	one := func(name string, r *report.Report) goldenCase {
		return goldenCase{name: name, reps: []*report.Report{r}}
	}
	return []goldenCase{
		one("started", started()),
		one("completed", edit(deployed(), func(r *report.Report) {
			r.Event.Description = "Rolling out 1.2.3 behind the checkout flag"
			r.Event.EnvironmentURL = "https://web.example.com"
			r.Event.Started(r.Event.At.Add(-(4*time.Minute + 12*time.Second)))
			r.GitHub.Created = false
			r.GitHub.Replaced = deployments.Replaced{ID: 41, Version: "1.2.2"}
		})),
		one("failed", edit(deployed(), func(r *report.Report) {
			r.Event.Status, r.GivenWord, r.GitHub.State = event.Failed, "failure", "failure"
			r.Event.Started(r.Event.At.Add(-(2*time.Minute + 3*time.Second)))
		})),
		one("blocked", blockedStart()),
		one("blocked-without-reason", edit(blockedStart(), func(r *report.Report) {
			r.VersionerErr = &versioner.PreflightError{Status: 423, Message: "423 Locked"}
		})),
		one("aborted", edit(deployed(), func(r *report.Report) {
			r.Event.Status, r.GivenWord, r.GitHub.State = event.Aborted, "cancelled", "inactive"
			r.Event.Started(r.Event.At.Add(-40 * time.Second))
		})),
		one("skipped", skipped()),
		one("dry-run", edit(deployed(), func(r *report.Report) {
			r.DryRun = true
			r.Versioner = versioner.Result{}
			r.GitHub = deployments.Result{State: "success", URL: r.GitHub.URL}
		})),
		one("dry-run-auto", edit(deployed(), func(r *report.Report) {
			r.DryRun = true
			r.Versioner = versioner.Result{}
			r.GitHub = deployments.Result{Auto: true, State: "success", URL: r.GitHub.URL}
		})),
		one("versioner-down", edit(deployed(), func(r *report.Report) {
			r.FailOnAPIError, r.FailOnGitHubError = false, false
			r.Versioner, r.VersionerErr = versioner.Result{}, down
		})),
		one("versioner-down-fails-the-start", edit(started(), func(r *report.Report) {
			r.Versioner, r.VersionerErr = versioner.Result{}, down
			r.GitHub.State = "error"
		})),
		one("github-forbidden", edit(deployed(), func(r *report.Report) {
			r.GitHub = deployments.Result{State: "success", URL: r.GitHub.URL}
			r.GitHubErr = forbidden
		})),
		one("warnings", edit(deployed(), func(r *report.Report) {
			r.FailOnAPIError, r.FailOnGitHubError = false, false
			r.Event.RunAttempt = "2"
			r.GitHub = deployments.Result{State: "success", URL: r.GitHub.URL}
			r.GitHubErr = forbidden
			r.Versioner.Warnings = []versioner.Rule{{Name: "Soak time", Status: "report_only", EvaluationResult: "failed", Message: "staging soaked 10m of 1h"}}
			r.Warnings = []string{"input api_key is deprecated: rename it to api-key"}
		})),
		one("build", built()),
		one("empty-answer", edit(built(), func(r *report.Report) {
			r.Versioner = versioner.Result{Note: "Versioner recorded the build event but answered with an empty body, so its ids are unknown"}
		})),
		one("job-deployment", edit(deployed(), func(r *report.Report) {
			r.GitHub.Created, r.GitHub.Job, r.GitHub.Auto = false, true, true
			r.Event.EnvironmentURL = "https://web.example.com"
		})),
		one("hostile", hostile()),
		{name: "several", reps: several()},
		{name: "several-builds", reps: []*report.Report{built(), edit(built(), func(r *report.Report) {
			r.Event.Product, r.Event.Version, r.Versioner.ID = "worker", "2.0.0", "b-2"
		})}},
		{name: "several-dry-run", reps: []*report.Report{
			edit(deployed(), func(r *report.Report) {
				r.DryRun, r.Versioner, r.GitHub = true, versioner.Result{}, deployments.Result{State: "success", URL: r.GitHub.URL}
			}),
			edit(deployed(), func(r *report.Report) {
				r.Event.Product = "worker"
				r.DryRun, r.Versioner, r.GitHub = true, versioner.Result{}, deployments.Result{State: "success", URL: r.GitHub.URL}
			}),
		}},
	}
}

// started is a step that recorded a deploy's start in both sinks.
func started() *report.Report {
	return edit(deployed(), func(r *report.Report) {
		r.Event.Status, r.GivenWord, r.GitHub.State = event.Started, "started", "in_progress"
	})
}

// blockedStart is a start that a preflight rule blocked.
func blockedStart() *report.Report {
	return edit(started(), func(r *report.Report) {
		r.Versioner, r.VersionerErr = versioner.Result{}, blocked()
		r.GitHub.State = "failure"
	})
}

// skipped is a finishing step after a blocked start.
func skipped() *report.Report {
	return edit(deployed(), func(r *report.Report) {
		r.Skipped = "its start was blocked earlier in the job, so the deploy never ran and there is no outcome to record (" + blocked().Error() + ")"
		r.Versioner, r.GitHub = versioner.Result{}, deployments.Result{State: "success", URL: r.GitHub.URL}
	})
}

// several is a step that recorded four products with mixed outcomes: two
// completed (one of them replacing its previous version), one blocked,
// one whose GitHub deployment failed as a warning; they share a report-only
// rule's warning.
func several() []*report.Report {
	soak := []versioner.Rule{{Name: "soak-time", Status: "report_only", EvaluationResult: "failed", Message: "staging ran 20 minutes; the rule asks for 1 hour"}}
	start := func(r *report.Report) { r.Event.Started(r.Event.At.Add(-(3*time.Minute + 30*time.Second))) }
	return []*report.Report{
		edit(deployed(), func(r *report.Report) {
			start(r)
			r.Event.EnvironmentURL = "https://web.example.com"
			r.Versioner.Warnings = soak
			r.GitHub.Replaced = deployments.Replaced{ID: 40, Version: "1.2.2"}
		}),
		edit(deployed(), func(r *report.Report) {
			r.Event.Product, r.Event.Version = "payments", "3.1.0"
			r.Versioner, r.VersionerErr = versioner.Result{}, blocked()
			r.GitHub.DeploymentID, r.GitHub.State = 43, "failure"
		}),
		edit(deployed(), func(r *report.Report) {
			start(r)
			r.Event.Product, r.Event.Version, r.Event.Environment = "worker", "2.0.1", "production-eu"
			r.Versioner.ID, r.Versioner.Warnings = "8d1f5c2e-0000-4000-8000-000000000003", soak
			r.FailOnAPIError, r.FailOnGitHubError = false, false
			r.GitHub = deployments.Result{State: "success", URL: "https://github.com/acme/web/deployments/production-eu"}
			r.GitHubErr = errors.New("GitHub answered 403 Forbidden when asked to list deployments in acme/web: add `permissions: deployments: write` to the job (or set github-deployment: false)")
		}),
		edit(deployed(), func(r *report.Report) {
			start(r)
			r.Event.Product, r.Event.Version = "search", "0.9.0"
			r.Versioner.ID, r.Versioner.Warnings = "8d1f5c2e-0000-4000-8000-000000000004", soak
			r.GitHub.DeploymentID = 44
		}),
	}
}

// had is what the step had that wrote reps' summary: its links may go to
// the run, the commit, the environment's URL and, only when there is a
// GitHub deployment, the environment's deployments page.
func had(reps ...*report.Report) summarytest.Had {
	var h summarytest.Had
	for _, r := range reps {
		ev := r.Event
		h.URLs = append(h.URLs, ev.RunURL, ev.EnvironmentURL, r.ServerURL+"/"+ev.Repository+"/commit/"+ev.SHA)
		if r.GitHub.DeploymentID != 0 && !r.DryRun {
			h.URLs = append(h.URLs, r.GitHub.URL)
		}
	}
	// A URL holds no line break: the summary drops those of a URL from
	// outside.
	for i, u := range h.URLs {
		h.URLs[i] = strings.NewReplacer("\n", "", "\r", "").Replace(u)
	}
	return h
}
