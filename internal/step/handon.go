package step

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
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
	StartedAt          string `json:"started_at,omitempty"` // RFC 3339: when the main step recorded the start
}

// startVar names the variable that tells the later steps of the job how a
// product's start went: when it started, or that it was blocked or failed
// and so never ran. A finishing step then records the deploy's duration,
// or nothing at all.
func startVar(kind event.Kind, product, environment string) string {
	return event.JobVar("START", string(kind), product, environment)
}

// startNote is the value of startVar.
type startNote struct {
	Outcome string `json:"outcome"`      // started, blocked or failed
	At      string `json:"at,omitempty"` // RFC 3339, when started
	Why     string `json:"why,omitempty"`
	// What the start learnt on GitHub, for the finishing step
	// (deployments.Started): this run's deployment of the product, and
	// the newest earlier one in the environment. Untrusted when read back,
	// like all of GITHUB_ENV: deployments checks them against GitHub.
	GitHubDeployment int64 `json:"github_deployment,omitempty"`
	GitHubPrevious   int64 `json:"github_previous,omitempty"`
}

// readStart reads what the job's earlier steps said of ev's start; ok is
// false when they said nothing readable.
func readStart(a *githubactions.Action, ev event.Event) (note startNote, ok bool) {
	return note, json.Unmarshal([]byte(a.Getenv(startVar(ev.Kind, ev.Product, ev.Environment))), &note) == nil
}

// handedStart is what the job's started step handed over of ev's GitHub
// deployment, for a finishing step.
func handedStart(a *githubactions.Action, ev event.Event) deployments.Started {
	note, ok := readStart(a, ev)
	if !ok || note.Outcome != "started" || note.GitHubDeployment <= 0 {
		return deployments.Started{}
	}
	return deployments.Started{Deployment: note.GitHubDeployment, Previous: max(note.GitHubPrevious, 0)}
}

// starts lists the startVar of each deployment this step started (or
// tried to): a new start replaces what an earlier one of the job said.
func starts(reps []*report.Report) []workflow.Entry {
	var vars []workflow.Entry
	for _, r := range reps {
		ev := r.Event
		if ev.Kind != event.Deployment || ev.Status.Terminal() {
			continue
		}
		note := startNote{Outcome: "started", At: ev.At.Format(time.RFC3339Nano)}
		if r.GitHubErr == nil && !r.GitHub.Job {
			note.GitHubDeployment, note.GitHubPrevious = r.GitHub.DeploymentID, r.GitHub.Previous
		}
		if pe := r.Preflight(); pe != nil {
			note = startNote{Outcome: "blocked", Why: pe.Error()}
		} else if r.Failed() {
			note = startNote{Outcome: "failed", Why: errors.Join(r.VersionerErr, r.GitHubErr).Error()}
		}
		b, _ := json.Marshal(note)
		vars = append(vars, workflow.Entry{Name: startVar(ev.Kind, ev.Product, ev.Environment), Value: r.Secrets.Redact(string(b))})
	}
	return vars
}

// earlier reads what the job's earlier steps said of each deployment's
// start. A final status takes the deploy's start time, for its duration;
// skips says, for each event, why the step records nothing: its start was
// blocked or failed, so the deploy never ran, and a finishing step with
// if: always() must not count a failed deploy that never happened.
func earlier(a *githubactions.Action, evs []event.Event) (skips []string) {
	skips = make([]string, len(evs))
	for i := range evs {
		ev := &evs[i]
		if ev.Kind != event.Deployment || !ev.Status.Terminal() {
			continue
		}
		note, ok := readStart(a, *ev)
		if !ok {
			continue
		}
		switch note.Outcome {
		case "started":
			if at, err := time.Parse(time.RFC3339Nano, note.At); err == nil {
				ev.Started(at)
			}
		case "blocked", "failed":
			skips[i] = fmt.Sprintf("its start was %s earlier in the job, so the deploy never ran and there is no outcome to record (%s)", note.Outcome, note.Why)
		}
	}
	return skips
}

// finishedVar names the variable that says a step of this job recorded
// the outcome of a product's event.
func finishedVar(kind event.Kind, product, environment string) string {
	return event.JobVar("FINISHED", string(kind), product, environment)
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
	vars := append(finished(reps), starts(reps)...)
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
				EnvironmentURL: ev.EnvironmentURL, GitHubDeploymentID: r.GitHub.DeploymentID, GitHubJob: r.GitHub.Job,
				StartedAt: ev.At.Format(time.RFC3339Nano)})
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
