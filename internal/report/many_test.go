package report_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/report/summarytest"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

func TestResults(t *testing.T) {
	t.Parallel()
	eu := edit(deployed(), func(r *report.Report) { r.Event.Environment = "eu"; r.GitHub.DeploymentID = 43 })
	failed := edit(deployed(), func(r *report.Report) {
		r.Event.Product = "payments"
		r.Versioner = versioner.Result{}
		r.VersionerErr = errors.New("Versioner answered 500")
		r.GitHub.DeploymentID = 0
		r.GitHubErr = errors.New("GitHub answered 403")
	})
	got := report.Results([]*report.Report{deployed(), eu, failed})
	want := map[string]report.Result{
		"web@production": {Status: "completed", Version: "1.2.3", Environment: "production", DeploymentID: "8d1f5c2e-0000-4000-8000-000000000001",
			VersionID: "v-1", ProductID: "p-1", EnvironmentID: "env-1", GitHubDeploymentID: "42", OK: true},
		"web@eu": {Status: "completed", Version: "1.2.3", Environment: "eu", DeploymentID: "8d1f5c2e-0000-4000-8000-000000000001",
			VersionID: "v-1", ProductID: "p-1", EnvironmentID: "env-1", GitHubDeploymentID: "43", OK: true},
		"payments": {Status: "completed", Version: "1.2.3", Environment: "production", OK: false, Error: "Versioner answered 500; GitHub answered 403"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Results (-want +got):\n%s", diff)
	}
	if got := report.Results([]*report.Report{built()}); got["web"].BuildID != "b-1" || got["web"].DeploymentID != "" || !got["web"].OK {
		t.Errorf("a build's results = %+v", got)
	}
}

func TestManySummary(t *testing.T) {
	t.Parallel()
	blocked := edit(deployed(), func(r *report.Report) {
		r.Event.Product = "pay|ments"
		r.VersionerErr = &versioner.PreflightError{Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "frozen", RetryAfter: "Monday"}
	})
	secret := edit(deployed(), func(r *report.Report) {
		r.Event.Product = "worker"
		r.Warnings = []string{"input api_key is deprecated: rename it to api-key"}
		r.Secrets = redact.New("sk_acme_1_s3cr3t")
		r.GitHubErr = errors.New("GitHub echoed sk_acme_1_s3cr3t")
		r.FailOnAPIError, r.FailOnGitHubError = false, false
	})
	secret.Warnings = nil
	first := edit(deployed(), func(r *report.Report) {
		r.Warnings = []string{"input api_key is deprecated: rename it to api-key"}
		r.Secrets = redact.New("sk_acme_1_s3cr3t")
	})
	s := report.ManySummary([]*report.Report{first, blocked, secret})
	for _, want := range []string{
		"### ⛔ 3 products → production: 1 blocked, 2 completed\n",
		"| Product | Version | Environment | Outcome |\n",
		"| web | 1.2.3 | production | ✅ completed |\n",
		"| pay\\|ments | 1.2.3 | production | ⛔ blocked |\n",
		"- **pay\\|ments**: Blocked until Monday. Versioner's rule (`NO_DEPLOY_WINDOW`) stopped it: frozen. GitHub [deployment 42]",
		"- input api\\_key is deprecated: rename it to api-key.",
		"- ⚠️ worker: **Posting the status of GitHub deployment 42 failed**: GitHub echoed \\*\\*\\*. The deploy itself is unaffected",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "s3cr3t") {
		t.Errorf("summary shows the secret:\n%s", s)
	}
	if n := strings.Count(s, "deprecated"); n != 1 {
		t.Errorf("the step's warning appears %d times, want once:\n%s", n, s)
	}
}

// What several products have in common is said once, naming them: a
// report-only rule that failed for each, the same tracking trouble.
func TestManySummarySaysItOnce(t *testing.T) {
	t.Parallel()
	soak := []versioner.Rule{{Name: "soak-time", Status: "report_only", EvaluationResult: "failed", Message: "1h"}}
	var reps []*report.Report
	for _, p := range []string{"web", "worker", "search"} {
		reps = append(reps, edit(deployed(), func(r *report.Report) {
			r.Event.Product = p
			r.Versioner.Warnings = soak
			r.VersionerErr = errors.New("could not reach Versioner")
			r.FailOnAPIError, r.FailOnGitHubError = false, false
		}))
	}
	reps[2].Versioner.Warnings = nil
	s := report.ManySummary(reps)
	for _, want := range []string{
		"\n- web, worker: Versioner's rule **soak-time** (report only) failed: 1h.\n",
		"\n- ⚠️ web, worker, search: **Recording in Versioner failed**: could not reach Versioner. The deploy itself is unaffected: the step went on, as fail-on-api-error is false.\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	for _, once := range []string{"soak-time", "could not reach"} {
		if n := strings.Count(s, once); n != 1 {
			t.Errorf("%q appears %d times, want once:\n%s", once, n, s)
		}
	}
}

// The products table fits GitHub's summary pane (about 760 px wide) without
// breaking a word: five short columns at most, and no id, URL or
// sentence in a cell. A column of the pane fits some 90 characters of
// GitHub's font; each cell's padding costs two.
func TestManySummaryFitsThePane(t *testing.T) {
	t.Parallel()
	s := report.ManySummary(several())
	_, tbl, _ := strings.Cut(s, "| Product |")
	tbl, _, _ = strings.Cut("| Product |"+tbl, "\n\n")
	rows := strings.Split(tbl, "\n")
	widths := make([]int, len(strings.Split(rows[0], " | ")))
	if len(widths) > 5 {
		t.Errorf("the products table has %d columns, want at most 5:\n%s", len(widths), tbl)
	}
	for _, row := range rows {
		if strings.HasPrefix(row, "|---") {
			continue
		}
		for i, cell := range strings.Split(strings.Trim(row, "| "), " | ") {
			text := summarytest.Text(cell)
			if strings.Contains(cell, "`") || utf8.RuneCountInString(text) > 20 {
				t.Errorf("cell %q of the products table is long or holds code", cell)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(strings.TrimSpace(text)))
		}
	}
	total := 0
	for _, w := range widths {
		total += w + 2
	}
	if total > 90 {
		t.Errorf("the products table is %d characters wide, want at most 90:\n%s", total, tbl)
	}
}

// TestSummaryRedactsEscapedSecrets covers a secret an API echoes back:
// by the time the summary is whole it is markdown-escaped (sk\_live\_1),
// which renders as the secret itself.
func TestSummaryRedactsEscapedSecrets(t *testing.T) {
	t.Parallel()
	const key = "sk_acme_1_s3cr3t|x(y)"
	r := edit(deployed(), func(r *report.Report) {
		r.Secrets = redact.New(key)
		r.VersionerErr = errors.New("Versioner answered 401: bad key " + key)
		r.Event.EnvironmentURL = "https://shop.example.com/?k=" + key
		r.Warnings = []string{"echo " + key}
	})
	for name, s := range map[string]string{"one product": r.Summary(), "several": report.ManySummary([]*report.Report{r, r})} {
		for _, form := range []string{"s3cr3t", `s3cr3t\|x`} {
			if strings.Contains(s, form) {
				t.Errorf("%s: the summary holds %q:\n%s", name, form, s)
			}
		}
	}
}
