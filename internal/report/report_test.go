package report_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/versioner"
	"github.com/deploytrack/deploytrack/internal/workflow"
)

// deployed is a step that recorded a deployment in both sinks.
func deployed() *report.Report {
	return &report.Report{
		Event: event.Event{
			Kind:        config.Deployment,
			Product:     "web",
			Version:     "1.2.3",
			Environment: "production",
			Status:      event.Completed,
			Repository:  "acme/web",
			SHA:         "0123456789abcdef0123456789abcdef01234567",
			Branch:      "main",
			Actor:       "octocat",
			RunURL:      "https://github.com/acme/web/actions/runs/987654321",
			RunID:       "987654321",
			RunNumber:   "77",
			RunAttempt:  "1",
			At:          time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC),
		},
		GivenWord: "success",
		ServerURL: "https://github.com",
		Versioner: versioner.Result{
			ID: "8d1f5c2e-0000-4000-8000-000000000001", ProductID: "p-1", VersionID: "v-1", EnvironmentID: "env-1", Status: "completed",
		},
		GitHub: deployments.Result{
			DeploymentID: 42, Created: true, State: "success", URL: "https://github.com/acme/web/deployments/production",
		},
		FailOnAPIError:    true,
		FailOnGitHubError: true,
	}
}

// built is a step that recorded a build.
func built() *report.Report {
	r := deployed()
	r.Event.Kind = config.Build
	r.Event.Environment = ""
	r.Versioner = versioner.Result{ID: "b-1", ProductID: "p-1", VersionID: "v-1", Status: "completed"}
	r.GitHub = deployments.Result{}
	r.GitHubSkipped = "build events have no GitHub deployment"
	return r
}

func edit(r *report.Report, f func(*report.Report)) *report.Report {
	f(r)
	return r
}

func blocked() *versioner.PreflightError {
	return &versioner.PreflightError{Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "Deployments to production are frozen",
		RetryAfter: "2024-05-06T08:00:00Z", RuleName: "Weekend freeze"}
}

func TestOutputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    *report.Report
		want []workflow.Entry
	}{
		{
			name: "deployment",
			r:    deployed(),
			want: []workflow.Entry{
				{Name: "deployment-id", Value: "8d1f5c2e-0000-4000-8000-000000000001"},
				{Name: "build-id", Value: ""},
				{Name: "version-id", Value: "v-1"},
				{Name: "product-id", Value: "p-1"},
				{Name: "environment-id", Value: "env-1"},
				{Name: "github-deployment-id", Value: "42"},
				{Name: "github-deployment-source", Value: "deploytrack"},
				{Name: "status", Value: "completed"},
				{Name: "deployment_id", Value: "8d1f5c2e-0000-4000-8000-000000000001"},
				{Name: "build_id", Value: ""},
				{Name: "version_id", Value: "v-1"},
				{Name: "product_id", Value: "p-1"},
				{Name: "environment_id", Value: "env-1"},
			},
		},
		{
			name: "build",
			r:    built(),
			want: []workflow.Entry{
				{Name: "deployment-id", Value: ""},
				{Name: "build-id", Value: "b-1"},
				{Name: "version-id", Value: "v-1"},
				{Name: "product-id", Value: "p-1"},
				{Name: "environment-id", Value: ""},
				{Name: "github-deployment-id", Value: ""},
				{Name: "github-deployment-source", Value: ""},
				{Name: "status", Value: "completed"},
				{Name: "deployment_id", Value: ""},
				{Name: "build_id", Value: "b-1"},
				{Name: "version_id", Value: "v-1"},
				{Name: "product_id", Value: "p-1"},
				{Name: "environment_id", Value: ""},
			},
		},
		{
			name: "nothing recorded still names the status",
			r: edit(deployed(), func(r *report.Report) {
				r.Versioner = versioner.Result{}
				r.VersionerErr = errors.New("down")
				r.GitHub = deployments.Result{}
				r.Event.Status = event.Failed
			}),
			want: []workflow.Entry{
				{Name: "deployment-id", Value: ""},
				{Name: "build-id", Value: ""},
				{Name: "version-id", Value: ""},
				{Name: "product-id", Value: ""},
				{Name: "environment-id", Value: ""},
				{Name: "github-deployment-id", Value: ""},
				{Name: "github-deployment-source", Value: ""},
				{Name: "status", Value: "failed"},
				{Name: "deployment_id", Value: ""},
				{Name: "build_id", Value: ""},
				{Name: "version_id", Value: ""},
				{Name: "product_id", Value: ""},
				{Name: "environment_id", Value: ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.r.Outputs()); diff != "" {
				t.Errorf("Outputs() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Outcome says what happened to the deploy: the status recorded, blocked
// by a rule, or skipped; an API failure does not change it.
func TestOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    *report.Report
		want string
	}{
		{name: "recorded", r: deployed(), want: "completed"},
		{name: "blocked", r: edit(deployed(), func(r *report.Report) { r.VersionerErr = blocked() }), want: "blocked"},
		{name: "tracking failed: still the deploy's status", r: edit(deployed(), func(r *report.Report) { r.VersionerErr = errors.New("down") }), want: "completed"},
		{name: "skipped", r: edit(deployed(), func(r *report.Report) { r.Skipped = "its start was blocked" }), want: "skipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.r.Outcome(); got != tt.want {
				t.Errorf("Outcome() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFailed(t *testing.T) {
	t.Parallel()
	down := errors.New("Versioner answered 503")
	tests := []struct {
		name string
		r    *report.Report
		want bool
	}{
		{name: "success", r: deployed(), want: false},
		{name: "Versioner error fails", r: edit(deployed(), func(r *report.Report) { r.VersionerErr = down }), want: true},
		{name: "GitHub error fails", r: edit(deployed(), func(r *report.Report) { r.GitHubErr = down }), want: true},
		{name: "Versioner error is a warning when fail-on-api-error is false",
			r: edit(deployed(), func(r *report.Report) { r.VersionerErr = down; r.FailOnAPIError, r.FailOnGitHubError = false, false }), want: false},
		{name: "GitHub error is a warning when fail-on-api-error is false",
			r: edit(deployed(), func(r *report.Report) { r.GitHubErr = down; r.FailOnAPIError, r.FailOnGitHubError = false, false }), want: false},
		{name: "preflight always fails",
			r: edit(deployed(), func(r *report.Report) {
				r.VersionerErr = blocked()
				r.FailOnAPIError, r.FailOnGitHubError = false, false
			}), want: true},
		{name: "wrapped preflight always fails",
			r: edit(deployed(), func(r *report.Report) {
				r.VersionerErr = fmt.Errorf("recording: %w", blocked())
				r.FailOnAPIError, r.FailOnGitHubError = false, false
			}), want: true},
		{name: "GitHub error is a warning when only fail-on-github-error is false",
			r: edit(deployed(), func(r *report.Report) { r.GitHubErr = down; r.FailOnGitHubError = false }), want: false},
		{name: "Versioner error still fails when only fail-on-github-error is false",
			r: edit(deployed(), func(r *report.Report) { r.VersionerErr = down; r.FailOnGitHubError = false }), want: true},
		{name: "GitHub error fails when only fail-on-api-error is false",
			r: edit(deployed(), func(r *report.Report) { r.GitHubErr = down; r.FailOnAPIError = false }), want: true},
		{name: "warnings do not fail",
			r: edit(deployed(), func(r *report.Report) { r.Warnings = []string{"input api_key is deprecated"} }), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.r.Failed(); got != tt.want {
				t.Errorf("Failed() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	t.Parallel()
	pe := blocked()
	r := edit(deployed(), func(r *report.Report) { r.VersionerErr = fmt.Errorf("x: %w", pe) })
	if got := r.Preflight(); got != pe {
		t.Errorf("Preflight() = %v, want %v", got, pe)
	}
	if got := deployed().Preflight(); got != nil {
		t.Errorf("Preflight() without an error = %v, want nil", got)
	}
}

// github-deployment-source says whose deployment the status went to.
func TestOutputsSource(t *testing.T) {
	t.Parallel()
	for want, r := range map[string]*report.Report{
		"deploytrack": deployed(),
		"job":         edit(deployed(), func(r *report.Report) { r.GitHub.Created, r.GitHub.Job = false, true }),
		"":            built(),
	} {
		for _, o := range r.Outputs() {
			if o.Name == "github-deployment-source" && o.Value != want {
				t.Errorf("github-deployment-source = %q, want %q", o.Value, want)
			}
		}
	}
}

func TestHandoff(t *testing.T) {
	t.Parallel()
	job := func(r *report.Report) { r.GitHub.Created, r.GitHub.Job = false, true }
	tests := []struct {
		name string
		r    *report.Report
		want bool
	}{
		{name: "the job's own deployment is handed on", r: edit(deployed(), job), want: true},
		{name: "a deployment of ours is not", r: deployed()},
		{name: "not when posting failed", r: edit(edit(deployed(), job), func(r *report.Report) { r.GitHubErr = errors.New("GitHub answered 500") })},
		{name: "not in a dry run", r: edit(edit(deployed(), job), func(r *report.Report) { r.DryRun = true })},
		{name: "not without an id", r: edit(edit(deployed(), job), func(r *report.Report) { r.GitHub.DeploymentID = 0 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name, value, ok := tt.r.Handoff()
			if ok != tt.want {
				t.Fatalf("Handoff() ok = %v, want %v", ok, tt.want)
			}
			if ok && (name != deployments.HandoffVar(tt.r.Event) || value != "42") {
				t.Errorf("Handoff() = %s=%s, want %s=42", name, value, deployments.HandoffVar(tt.r.Event))
			}
		})
	}
}
