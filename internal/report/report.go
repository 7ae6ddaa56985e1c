// Package report turns what the step did into what it leaves behind:
// step outputs, the job summary and annotations.
package report

import (
	"strconv"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/versioner"
	"github.com/deploytrack/deploytrack/internal/workflow"
)

// Report is everything one step did.
type Report struct {
	Event     event.Event
	GivenWord string // the status input as written
	ServerURL string // for links to the commit
	DryRun    bool

	Versioner    versioner.Result
	VersionerErr error

	GitHub        deployments.Result
	GitHubErr     error
	GitHubSkipped string // why no GitHub deployment was recorded, when none was

	// FailOnAPIError and FailOnGitHubError are the inputs of the same
	// names: when false, that sink's failure is a warning.
	FailOnAPIError    bool
	FailOnGitHubError bool

	// Skipped says why the step recorded nothing for this product (its
	// start was blocked or failed earlier in the job), when it did not.
	Skipped string

	// Warnings gathered on the way (deprecated inputs, a missing payload).
	Warnings []string

	// Secrets are redacted from everything the report leaves behind.
	Secrets *redact.Secrets
}

// Failed reports whether the step should fail: a preflight rejection
// always does, a Versioner failure when fail-on-api-error is true, a
// GitHub failure when fail-on-github-error is.
func (r *Report) Failed() bool {
	if r.Preflight() != nil {
		return true
	}
	return r.FailOnAPIError && r.VersionerErr != nil || r.FailOnGitHubError && r.GitHubErr != nil
}

// Outcome is what happened to the deploy, in Versioner's words: the
// status recorded, "blocked" when a preflight rule stopped it, "skipped"
// when the step recorded nothing for it. The status output says it.
func (r *Report) Outcome() string {
	switch {
	case r.Skipped != "":
		return "skipped"
	case r.Preflight() != nil:
		return "blocked"
	}
	return string(r.Event.Status)
}

// Preflight returns Versioner's preflight rejection, if there was one.
func (r *Report) Preflight() *versioner.PreflightError {
	pe, _ := versioner.AsPreflight(r.VersionerErr)
	return pe
}

// Handoff returns the GITHUB_ENV entry through which a step that posted
// to the job's own deployment hands it to the job's later steps, which
// then post to it without looking it up; ok is false when there is none.
func (r *Report) Handoff() (name, value string, ok bool) {
	g := r.GitHub
	if r.DryRun || !g.Job || g.DeploymentID == 0 || r.GitHubErr != nil {
		return "", "", false
	}
	return deployments.HandoffVar(r.Event), strconv.FormatInt(g.DeploymentID, 10), true
}

// Outputs lists every output, in the order action.yml declares them. The
// underscored names are those of Versioner's own action.
func (r *Report) Outputs() []workflow.Entry {
	var deploymentID, buildID, ghID, ghSource string
	if r.Event.Kind == event.Build {
		buildID = r.Versioner.ID
	} else {
		deploymentID = r.Versioner.ID
	}
	if r.GitHub.DeploymentID != 0 {
		ghID, ghSource = strconv.FormatInt(r.GitHub.DeploymentID, 10), "deploytrack"
		if r.GitHub.Job {
			ghSource = "job"
		}
	}
	v := r.Versioner
	return []workflow.Entry{
		{Name: "deployment-id", Value: deploymentID},
		{Name: "build-id", Value: buildID},
		{Name: "version-id", Value: v.VersionID},
		{Name: "product-id", Value: v.ProductID},
		{Name: "environment-id", Value: v.EnvironmentID},
		{Name: "github-deployment-id", Value: ghID},
		{Name: "github-deployment-source", Value: ghSource},
		{Name: "status", Value: r.Outcome()},
		{Name: "deployment_id", Value: deploymentID},
		{Name: "build_id", Value: buildID},
		{Name: "version_id", Value: v.VersionID},
		{Name: "product_id", Value: v.ProductID},
		{Name: "environment_id", Value: v.EnvironmentID},
	}
}
