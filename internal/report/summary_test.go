package report_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/report/summarytest"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

// The headline says what happened to the deploy, in Versioner's words,
// with an icon that agrees, whatever happened to its tracking: that is in
// the Tracking section.
func TestSummaryHeadline(t *testing.T) {
	t.Parallel()
	down := errors.New("could not reach Versioner")
	warn := func(r *report.Report) { r.FailOnAPIError, r.FailOnGitHubError = false, false }
	tests := []struct {
		name     string
		r        *report.Report
		want     string
		tracking bool
	}{
		{name: "completed", r: deployed(), want: "### ✅ Completed: web 1.2.3 → production"},
		{name: "completed, given as success", r: edit(deployed(), func(r *report.Report) { r.GivenWord = "success" }), want: "### ✅ Completed: "},
		{name: "started", r: started(), want: "### 🚀 Started: web 1.2.3 → production"},
		{name: "pending", r: edit(deployed(), func(r *report.Report) { r.Event.Status = event.Pending }), want: "### ⏳ Pending: "},
		{name: "failed deploy recorded fine", r: edit(deployed(), func(r *report.Report) { r.Event.Status = event.Failed }), want: "### ❌ Failed: "},
		{name: "aborted", r: edit(deployed(), func(r *report.Report) { r.Event.Status = event.Aborted }), want: "### ⏹️ Aborted: "},
		{name: "completed deploy whose tracking failed the step", r: edit(deployed(), func(r *report.Report) { r.VersionerErr = down }),
			want: "### ✅ Completed: ", tracking: true},
		{name: "completed deploy whose tracking warned", r: edit(deployed(), func(r *report.Report) { r.GitHubErr = down; warn(r) }),
			want: "### ✅ Completed: ", tracking: true},
		{name: "failed deploy whose tracking failed", r: edit(deployed(), func(r *report.Report) { r.Event.Status = event.Failed; r.VersionerErr = down }),
			want: "### ❌ Failed: ", tracking: true},
		{name: "a start whose tracking failed the step did not start", r: edit(started(), func(r *report.Report) { r.VersionerErr = down }),
			want: "### ❌ Not started: ", tracking: true},
		{name: "a start whose tracking warned started", r: edit(started(), func(r *report.Report) { r.VersionerErr = down; warn(r) }),
			want: "### 🚀 Started: ", tracking: true},
		{name: "blocked reads blocked, not started", r: blockedStart(), want: "### ⛔ Blocked: web 1.2.3 → production · by octocat · until Mon 6 May 2024 08:00 UTC\n"},
		{name: "blocked even when API errors are warnings", r: edit(blockedStart(), warn), want: "### ⛔ Blocked: "},
		{name: "skipped", r: skipped(), want: "### ⏭️ Skipped: "},
		{name: "dry run", r: edit(deployed(), func(r *report.Report) { r.DryRun = true }), want: "### 🧪 Dry run (completed): web 1.2.3 → production"},
		{name: "build", r: built(), want: "### ✅ Completed: web 1.2.3 build · by octocat\n"},
		{name: "who, duration", r: edit(deployed(), func(r *report.Report) {
			r.Event.Actor = "mona"
			r.Event.Started(r.Event.At.Add(-(time.Hour + 4*time.Minute + 40*time.Second)))
		}), want: "### ✅ Completed: web 1.2.3 → production · by mona · took 1h 5m\n"},
		{name: "the name when there is no actor", r: edit(deployed(), func(r *report.Report) { r.Event.Actor, r.Event.ActorName = "", "Mona Lisa" }),
			want: "### ✅ Completed: web 1.2.3 → production · by Mona Lisa\n"},
		{name: "no duration for a start", r: edit(started(), func(r *report.Report) { r.Event.Started(r.Event.At.Add(-time.Minute)) }),
			want: "### 🚀 Started: web 1.2.3 → production · by octocat\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.r.Summary()
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("Summary() starts %q, want %q", firstLine(got), tt.want)
			}
			if has := strings.Contains(got, "\n#### Tracking\n"); has != tt.tracking {
				t.Errorf("Summary() has a Tracking section: %v, want %v:\n%s", has, tt.tracking, got)
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestSummaryDuration(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{d: 300 * time.Millisecond, want: "took under 1s"},
		{d: 45*time.Second + 400*time.Millisecond, want: "took 45s"},
		{d: 4*time.Minute + 12*time.Second, want: "took 4m 12s"},
		{d: 59*time.Minute + 59*time.Second + 600*time.Millisecond, want: "took 60m 0s"},
		{d: 2*time.Hour + 29*time.Second, want: "took 2h 0m"},
	} {
		r := deployed()
		r.Event.Started(r.Event.At.Add(-tt.d))
		if got := firstLine(r.Summary()); !strings.HasSuffix(got, " · "+tt.want) {
			t.Errorf("%s: headline %q, want it to end %q", tt.d, got, tt.want)
		}
	}
}

// A sink's trouble is tracking trouble: said in its own section, with what
// it means for the step and the deploy.
func TestSummaryTracking(t *testing.T) {
	t.Parallel()
	forbidden := errors.New("GitHub answered 403 Forbidden: add `permissions: deployments: write` to the job")
	tests := []struct {
		name string
		r    *report.Report
		want []string
	}{
		{
			name: "Versioner down, fail-on-api-error false",
			r: edit(deployed(), func(r *report.Report) {
				r.VersionerErr = errors.New("could not reach Versioner")
				r.FailOnAPIError, r.FailOnGitHubError = false, false
			}),
			want: []string{"- ⚠️ **Recording in Versioner failed**: could not reach Versioner. The deploy itself is unaffected: the step went on, as fail-on-api-error is false.\n"},
		},
		{
			name: "Versioner down fails the step after the deploy",
			r:    edit(deployed(), func(r *report.Report) { r.VersionerErr = errors.New("could not reach Versioner") }),
			want: []string{"- ❌ **Recording in Versioner failed**: could not reach Versioner. The deploy itself is unaffected, but the step failed, as fail-on-api-error is true.\n"},
		},
		{
			name: "Versioner down fails the step before the deploy",
			r:    edit(started(), func(r *report.Report) { r.VersionerErr = errors.New("could not reach Versioner") }),
			want: []string{"- ❌ **Recording in Versioner failed**: could not reach Versioner. The step failed, as fail-on-api-error is true, so the job's steps after it (the deploy itself) do not run.\n"},
		},
		{
			name: "GitHub 403 renders its hint as code",
			r: edit(deployed(), func(r *report.Report) {
				r.GitHub.DeploymentID, r.GitHubErr = 0, forbidden
				r.FailOnGitHubError = false
			}),
			want: []string{"- ⚠️ **Recording on GitHub failed**: GitHub answered 403 Forbidden: add `permissions: deployments: write` to the job. The deploy itself is unaffected: the step went on, as fail-on-github-error is false.\n"},
		},
		{
			name: "a status that could not be posted names the deployment",
			r:    edit(deployed(), func(r *report.Report) { r.GitHubErr = errors.New("timed out") }),
			want: []string{"- ❌ **Posting the status of GitHub deployment 42 failed**: timed out. "},
		},
		{
			name: "an answer without ids",
			r: edit(built(), func(r *report.Report) {
				r.Versioner = versioner.Result{Note: "Versioner recorded the build event but answered with an empty body, so its ids are unknown"}
			}),
			want: []string{"- ⚠️ Versioner recorded the build event but answered with an empty body, so its ids are unknown.\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.r.Summary()
			_, section, ok := strings.Cut(got, "\n#### Tracking\n\n")
			if !ok {
				t.Fatalf("Summary() has no Tracking section:\n%s", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(section, w) {
					t.Errorf("Tracking lacks %q:\n%s", w, got)
				}
			}
			for _, p := range summarytest.Check(got, had(tt.r)) {
				t.Errorf("as GitHub renders it: %s\n%s", p, got)
			}
			// The job shows a failed step: under the headline, whose failure.
			if says := strings.Contains(got, "\nThe step failed on tracking, not on the "); says != tt.r.Failed() {
				t.Errorf("Summary() says the step failed on tracking: %v, want %v:\n%s", says, tt.r.Failed(), got)
			}
		})
	}
	if got := deployed().Summary(); strings.Contains(got, "Tracking") {
		t.Errorf("a summary without trouble has a Tracking section:\n%s", got)
	}
}

func TestSummaryPreflight(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want []string
		not  []string
	}{
		{
			name: "rule, code, message and until",
			err:  blocked(),
			want: []string{
				" · until Mon 6 May 2024 08:00 UTC\n",
				"\nVersioner's rule **Weekend freeze** (`NO_DEPLOY_WINDOW`) stopped it: Deployments to production are frozen.\n",
			},
			not: []string{"2024-05-06T08:00:00Z", "Tracking"},
		},
		{
			name: "without retry_after",
			err:  &versioner.PreflightError{Status: 428, Code: "APPROVAL_REQUIRED", Message: "Needs approval"},
			want: []string{"\nVersioner's rule (`APPROVAL_REQUIRED`) stopped it: Needs approval.\n"},
			not:  []string{"until"},
		},
		{
			name: "a retry_after that is not a time shows as it came",
			err:  &versioner.PreflightError{Status: 423, Message: "m", RetryAfter: "Monday"},
			want: []string{" · until Monday\n"},
		},
		{
			name: "wrapped rejection",
			err:  fmt.Errorf("recording the event: %w", blocked()),
			want: []string{"until Mon 6 May 2024 08:00 UTC"},
		},
		{
			name: "not a rejection",
			err:  errors.New("Versioner answered 503"),
			not:  []string{"Blocked", "⛔"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := started()
			r.VersionerErr = tt.err
			got := r.Summary()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Summary() lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("Summary() contains %q:\n%s", n, got)
				}
			}
		})
	}
}

func TestSummaryWarnings(t *testing.T) {
	t.Parallel()
	r := deployed()
	r.FailOnAPIError, r.FailOnGitHubError = false, false
	r.Warnings = []string{"input api_key is deprecated: use api-key"}
	r.Versioner.Warnings = []versioner.Rule{
		{Name: "Soak time", Status: "report_only", EvaluationResult: "failed", Message: "staging soaked 10m of 1h"},
		{Name: "Flow", Status: "report_only", EvaluationResult: "failed", Message: "skipped staging"},
	}
	r.GitHubErr = errors.New("GitHub answered 500")
	_, list, ok := strings.Cut(r.Summary(), "\n#### Warnings\n\n")
	if !ok {
		t.Fatalf("Summary() has no warnings section:\n%s", r.Summary())
	}
	want := []string{
		`- input api\_key is deprecated: use api-key.`,
		`- Versioner's rule **Soak time** (report only) failed: staging soaked 10m of 1h.`,
		`- Versioner's rule **Flow** (report only) failed: skipped staging.`,
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(list, "\n"), "\n")); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(deployed().Summary(), "Warnings") {
		t.Errorf("Summary() without warnings has a warnings section")
	}
}

func TestSummaryDryRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    *report.Report
		want []string
	}{
		{
			name: "deployment",
			r:    edit(deployed(), func(r *report.Report) { r.DryRun = true; r.Versioner = versioner.Result{} }),
			want: []string{
				"### 🧪 Dry run (completed): web 1.2.3 → production · by octocat\n",
				"\nNothing was sent: the step's log shows the requests a real run would send.\n",
			},
		},
		{
			name: "build",
			r:    edit(built(), func(r *report.Report) { r.DryRun = true; r.Versioner = versioner.Result{} }),
			want: []string{"### 🧪 Dry run (completed): web 1.2.3 build · by octocat\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.r.Summary()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Summary() lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, "recorded") || strings.Contains(got, "deployment 42") {
				t.Errorf("a dry run's summary says something was recorded:\n%s", got)
			}
		})
	}
}

// GitHub refuses a step summary over 1 MiB: the summary is cut under it,
// on a rune boundary, and says so.
func TestSummaryCap(t *testing.T) {
	t.Parallel()
	const note = "\n\n*(summary cut to stay under GitHub's 1 MiB limit)*\n"
	tests := []struct {
		name string
		r    *report.Report
		cut  bool
	}{
		{name: "small summary is whole", r: deployed(), cut: false},
		{name: "many warnings", r: edit(deployed(), func(r *report.Report) {
			for i := 0; i < 3000; i++ {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%d: %s", i, strings.Repeat("é|", 200)))
			}
		}), cut: true},
		{name: "huge product name", r: edit(deployed(), func(r *report.Report) {
			r.Event.Product = strings.Repeat("<部署>", 200_000)
		}), cut: true},
		{name: "huge error", r: edit(deployed(), func(r *report.Report) {
			r.VersionerErr = errors.New(strings.Repeat("🚀", 300_000))
		}), cut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.r.Summary()
			if len(got) > report.MaxSummary || len(got) >= 1<<20 {
				t.Errorf("Summary() is %d bytes, want at most %d", len(got), report.MaxSummary)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Summary() is not valid UTF-8 after the cut")
			}
			if cut := strings.HasSuffix(got, note); cut != tt.cut {
				t.Errorf("Summary() ends with the cut note: %v, want %v (ends %q)", cut, tt.cut, got[max(0, len(got)-80):])
			}
			if !strings.HasPrefix(got, "### ") {
				t.Errorf("Summary() lost its title: starts %q", got[:min(len(got), 80)])
			}
		})
	}
}
