package report

import (
	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/workflow"
)

// Write leaves the report behind: annotations on stdout, the outputs in
// GITHUB_OUTPUT, the job's deployment for later steps in GITHUB_ENV (see
// Handoff) and the summary in GITHUB_STEP_SUMMARY. Outside a runner (those
// variables unset) it prints the outputs and skips the rest.
func Write(a *githubactions.Action, r *Report) error { return write(a, r) }

// write is Write with extra outputs, written in the same append.
func write(a *githubactions.Action, r *Report, extra ...workflow.Entry) error {
	for _, w := range r.warnings() {
		a.Warningf("%s", w)
	}
	if pe := r.Preflight(); pe != nil {
		a.WithFieldsMap(map[string]string{"title": "Deployment blocked by Versioner"}).Errorf("%s", pe.Error())
	} else if r.FailOnAPIError && r.VersionerErr != nil {
		a.WithFieldsMap(map[string]string{"title": "Versioner"}).Errorf("%s", r.VersionerErr.Error())
	}
	if r.FailOnGitHubError && r.GitHubErr != nil {
		a.WithFieldsMap(map[string]string{"title": "GitHub deployment"}).Errorf("%s", r.GitHubErr.Error())
	}

	if err := workflow.SetOutputs(a, r.Secrets, append(r.Outputs(), extra...)...); err != nil {
		return err
	}
	if name, value, ok := r.Handoff(); ok {
		if err := workflow.SetEnv(a, r.Secrets, workflow.Entry{Name: name, Value: value}); err != nil {
			return err
		}
	}
	return workflow.AppendSummary(a, r.Secrets, r.Summary())
}
