package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/ghcontext"
	"github.com/deploytrack/deploytrack/internal/httpx"
	"github.com/deploytrack/deploytrack/internal/outcome"
	"github.com/deploytrack/deploytrack/internal/report"
)

// The post step of auto-finish. action.yml's runs.post-entrypoint is
// /deploytrack-post, a link to the binary in the image; main.go turns that
// name into postFlag. The main step hands the post step what it recorded
// through GITHUB_STATE (stateName), never through files, and a step that
// records a product's outcome itself tells the post steps through
// GITHUB_ENV (finishedVar) that there is nothing left to do.
const (
	postFlag  = "--post"
	postName  = "deploytrack-post"
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
func handOn(a *githubactions.Action, cfg *config.Config, reps []*report.Report) error {
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
			vars = append(vars, report.Output{Name: finishedVar(ev.Kind, ev.Product, ev.Environment)})
			st.Products = append(st.Products, finishProduct{Product: ev.Product, Version: ev.Version, Environment: ev.Environment,
				EnvironmentURL: ev.EnvironmentURL, GitHubDeploymentID: r.GitHub.DeploymentID, GitHubJob: r.GitHub.Job})
		}
	}
	if err := report.SetEnv(a, vars...); err != nil {
		return err
	}
	if len(st.Products) == 0 {
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := report.SaveState(a, stateName, string(b)); err != nil {
		return err
	}
	report.Printf(a, "auto-finish: the post step at the end of the job will record the outcome")
	return nil
}

// finished lists the variables that mark each product whose final status
// the step recorded in both sinks.
func finished(reps []*report.Report) []report.Output {
	var vars []report.Output
	for _, r := range reps {
		if ev := r.Event; ev.Status.Terminal() && r.VersionerErr == nil && r.GitHubErr == nil {
			vars = append(vars, report.Output{Name: finishedVar(ev.Kind, ev.Product, ev.Environment), Value: string(ev.Status)})
		}
	}
	return vars
}

// finish is the post step: it records the job's outcome for each product
// the main step started, unless a later step of the job already did.
func finish(ctx context.Context, a *githubactions.Action, now func() time.Time, secrets report.Secrets) int {
	raw := a.Getenv("STATE_" + stateName)
	if raw == "" {
		report.Printf(a, "deploytrack post step: nothing to finish (auto-finish is off, or the main step recorded nothing to finish)")
		return 0
	}
	var st finishState
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		a.Errorf("deploytrack post step: the main step's state (STATE_%s) is not what it saves: %v", stateName, err)
		return 1
	}
	cfg, err := config.Load(a.Getenv)
	if err != nil {
		inputErrors(a, err)
		return 1
	}
	src := ghcontext.Load(a)
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	word, ok := outcome.FromJobStatus(cfg.JobStatus)
	how := "job.status is " + cfg.JobStatus
	if !ok {
		var err error
		if word, err = jobOutcome(ctx, a, cfg, src); err != nil {
			a.WithFieldsMap(map[string]string{"title": "auto-finish"}).Errorf("could not tell how the job went, so no outcome was recorded: %s", err.Error())
			if cfg.FailOnAPIError {
				return 1
			}
			return 0
		}
		how = "the job's steps, as the Actions API lists them"
	}

	var cfgs []*config.Config
	var known []knownDeployment
	inputs := cfg.Each() // the inputs, evaluated again for the post step
	for _, p := range st.Products {
		if v := a.Getenv(finishedVar(cfg.Kind, p.Product, p.Environment)); v != "" {
			report.Printf(a, "%s: another step of the job recorded %s; nothing to finish", p.Product, v)
			continue
		}
		c := *cfg
		c.Products = nil
		c.Product, c.Version, c.Environment, c.EnvironmentURL, c.Status = p.Product, p.Version, p.Environment, p.EnvironmentURL, word
		for _, e := range inputs {
			if e.Product == p.Product && e.Environment == p.Environment {
				c.Metadata = e.Metadata
				c.EnvironmentURL = cmp.Or(e.EnvironmentURL, p.EnvironmentURL)
			}
		}
		cfgs = append(cfgs, &c)
		known = append(known, knownDeployment{ID: p.GitHubDeploymentID, Job: p.GitHubJob})
	}
	if len(cfgs) == 0 {
		return 0
	}
	report.Printf(a, "auto-finish: recording %s (from %s)", word, how)
	evs, err := newEvents(cfgs, false, src, now())
	if err != nil {
		inputErrors(a, err)
		return 1
	}
	reps := newReports(cfgs, src, evs, warnings(cfg, src), secrets)
	recordAll(ctx, a, cfg, cfgs, src, evs, reps, known)
	// The post steps of the job run one after the other: another step's
	// post step that started the same product leaves it alone.
	if err := report.SetEnv(a, finished(reps)...); err != nil {
		a.Errorf("%s", err.Error())
		return 1
	}
	return leave(a, reps)
}

// jobOutcome asks the Actions API how this job's steps went.
func jobOutcome(ctx context.Context, a *githubactions.Action, cfg *config.Config, src ghcontext.Source) (string, error) {
	hc := httpx.New(httpx.Options{Timeout: cfg.Timeout, Debugf: a.Debugf})
	jobs, err := outcome.New(hc.For("GitHub"), src.APIURL, cfg.GitHubToken, src.Repository, "deploytrack/"+version)
	if err != nil {
		return "", err
	}
	return jobs.Outcome(ctx, src.RunID, src.RunAttempt, a.Getenv("RUNNER_NAME"))
}
