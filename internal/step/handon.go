package step

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/workflow"
)

// The post step of auto-finish. action.yml's runs.post-entrypoint is
// /deploytrack-post, a link to the binary in the image; main.go turns that
// name into PostFlag. The main step hands the post step what it recorded
// through GITHUB_STATE (stateName), never through files, and a step that
// records a product's outcome itself tells the post steps through
// GITHUB_ENV (finishedVar) that there is nothing left to do.
const (
	PostFlag  = "--post"
	PostName  = "deploytrack-post"
	stateName = "deploytrack"
)

// finishState is what the main step saves for its post step.
type finishState struct {
	Products []finishProduct `json:"products"`
}

type finishProduct struct {
	Product            string `json:"product"`
	Version            string `json:"version"`
	Environment        string `json:"environment,omitempty"`
	EnvironmentURL     string `json:"environment_url,omitempty"`
	GitHubDeploymentID int64  `json:"github_deployment_id,omitempty"`
	GitHubJob          bool   `json:"github_job,omitempty"` // the job's own deployment
}

// finishedVar names the variable that says a step of this job recorded
// the outcome of a product's event.
func finishedVar(kind config.Kind, product, environment string) string {
	h := sha256.Sum256([]byte(string(kind) + "\x00" + product + "\x00" + environment))
	return "DEPLOYTRACK_FINISHED_" + hex.EncodeToString(h[:8])
}

// handOn leaves for the later steps of the job what they need: the
// products whose outcome this step recorded, and, with auto-finish, what
// the post step is to finish.
//
// The variable finishedVar names is set for a product whose final status
// this step recorded in both sinks, so a post step leaves it alone; and
// cleared for a product handed to this step's post step, so that a final
// status recorded earlier in the job (an abort before a new attempt) does
// not stop it.
func handOn(a *githubactions.Action, secrets *redact.Secrets, cfg *config.Config, reps []*report.Report) error {
	var st finishState
	vars := finished(reps)
	for _, r := range reps {
		ev := r.Event
		switch {
		case ev.Status.Terminal(), !cfg.AutoFinish:
		case r.Failed():
			// It never started: a preflight rule blocked it, or an API
			// failed and the step fails, so the deploy after it does not run.
		default:
			vars = append(vars, workflow.Entry{Name: finishedVar(ev.Kind, ev.Product, ev.Environment)})
			st.Products = append(st.Products, finishProduct{Product: ev.Product, Version: ev.Version, Environment: ev.Environment,
				EnvironmentURL: ev.EnvironmentURL, GitHubDeploymentID: r.GitHub.DeploymentID, GitHubJob: r.GitHub.Job})
		}
	}
	if err := workflow.SetEnv(a, secrets, vars...); err != nil {
		return err
	}
	if len(st.Products) == 0 {
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := workflow.SaveState(a, secrets, stateName, string(b)); err != nil {
		return err
	}
	workflow.Printf(a, "auto-finish: the post step at the end of the job will record the outcome")
	return nil
}

// finished lists the variables that mark each product whose final status
// the step recorded in both sinks.
func finished(reps []*report.Report) []workflow.Entry {
	var vars []workflow.Entry
	for _, r := range reps {
		if ev := r.Event; ev.Status.Terminal() && r.VersionerErr == nil && r.GitHubErr == nil {
			vars = append(vars, workflow.Entry{Name: finishedVar(ev.Kind, ev.Product, ev.Environment), Value: string(ev.Status)})
		}
	}
	return vars
}
