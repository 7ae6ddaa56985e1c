package step

import (
	"cmp"
	"context"
	"encoding/json"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/ghcontext"
	"github.com/deploytrack/deploytrack/internal/httpx"
	"github.com/deploytrack/deploytrack/internal/outcome"
	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/workflow"
)

// finish is the post step: it records the job's outcome for each product
// the main step started, unless a later step of the job already did.
func finish(ctx context.Context, a *githubactions.Action, now func() time.Time, secrets *redact.Secrets) int {
	raw := a.Getenv("STATE_" + stateName)
	if raw == "" {
		workflow.Printf(a, "deploytrack post step: nothing to finish (auto-finish is off, or the main step recorded nothing to finish)")
		return ExitOK
	}
	var st finishState
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		a.Errorf("deploytrack post step: the main step's state (STATE_%s) is not what it saves: %v", stateName, err)
		return ExitFailed
	}
	cfg, err := config.Load(a.Getenv)
	if err != nil {
		inputErrors(a, err)
		return ExitFailed
	}
	src := ghcontext.Load(a)
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	hc := newHTTP(a, cfg) // one client, one reading of the roots, for the Actions API and the recording

	word, ok := outcome.FromJobStatus(cfg.JobStatus)
	how := "job.status is " + cfg.JobStatus
	if !ok {
		var err error
		if word, err = jobOutcome(ctx, a, hc, cfg, src); err != nil {
			msg := "could not tell how the job went, so no outcome was recorded: " + err.Error()
			if cfg.FailOnGitHubError {
				a.WithFieldsMap(map[string]string{"title": "auto-finish"}).Errorf("%s", msg)
				return ExitFailed
			}
			a.WithFieldsMap(map[string]string{"title": "auto-finish"}).Warningf("%s (fail-on-github-error is false)", msg)
			return ExitOK
		}
		how = "the job's steps, as the Actions API lists them"
	}

	var cfgs []*config.Config
	var known []knownDeployment
	var started []string // when the main step recorded each start
	for _, p := range st.Products {
		if v := a.Getenv(finishedVar(cfg.Kind, p.Product, p.Environment)); v != "" {
			workflow.Printf(a, "%s: another step of the job recorded %s; nothing to finish", p.Product, v)
			continue
		}
		// The inputs, evaluated again for the post step; the version is
		// the one the main step started.
		c := *cfg.One(p.Product, p.Environment)
		c.Version, c.Status = p.Version, word
		// The description is the start's ("Rolling out ..."), not the
		// outcome's: the final status has none.
		c.Description = ""
		c.EnvironmentURL = cmp.Or(c.EnvironmentURL, p.EnvironmentURL)
		cfgs = append(cfgs, &c)
		known = append(known, knownDeployment{ID: p.GitHubDeploymentID, Job: p.GitHubJob})
		started = append(started, p.StartedAt)
	}
	if len(cfgs) == 0 {
		return ExitOK
	}
	workflow.Printf(a, "auto-finish: recording %s (from %s)", word, how)
	evs, err := newEvents(cfgs, false, src, now())
	if err != nil {
		inputErrors(a, err)
		return ExitFailed
	}
	for i := range evs {
		if at, err := time.Parse(time.RFC3339Nano, started[i]); err == nil {
			evs[i].Started(at)
		}
	}
	reps := newReports(cfgs, src, evs, warnings(cfg, src), secrets)
	recordAll(ctx, a, hc, cfg, cfgs, src, evs, reps, known)
	// The post steps of the job run one after the other: another step's
	// post step that started the same product leaves it alone.
	if err := workflow.SetEnv(a, secrets, finished(reps)...); err != nil {
		a.Errorf("%s", err.Error())
		return ExitFailed
	}
	return leave(a, reps)
}

// jobOutcome asks the Actions API how this job's steps went.
func jobOutcome(ctx context.Context, a *githubactions.Action, hc *httpx.Client, cfg *config.Config, src ghcontext.Source) (string, error) {
	jobs, err := outcome.New(hc.For("GitHub"), src.APIURL, cfg.GitHubToken, src.Repository, "deploytrack/"+version)
	if err != nil {
		return "", err
	}
	return jobs.Outcome(ctx, src.RunID, src.RunAttempt, a.Getenv("RUNNER_NAME"))
}
