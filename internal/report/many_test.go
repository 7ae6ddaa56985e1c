package report_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/report"
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
		"### ❌ deploytrack: 3 products, 1 failed",
		"| web | 1.2.3 | [production](https://github.com/acme/web/deployments/production) | `completed` | ✅ recorded deployment event",
		`| pay\|ments | 1.2.3 |`,
		"- pay\\|ments: blocked by a Versioner preflight rule; retry after Monday",
		"- input api\\_key is deprecated: rename it to api-key",
		"- worker: GitHub echoed \\*\\*\\* (fail-on-api-error is false)",
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
