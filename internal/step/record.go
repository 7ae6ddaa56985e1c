package step

import (
	"context"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/ghcontext"
	"github.com/deploytrack/deploytrack/internal/httpx"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/versioner"
	"github.com/deploytrack/deploytrack/internal/workflow"
)

// pool bounds how many requests go to each API at once: enough to hide
// the APIs' latency, few enough to stay clear of GitHub's secondary limit
// on concurrent requests.
const pool = 10

// recordAll records every product's event under one deadline, all at
// once, with at most pool requests in flight to each API; one failing does
// not stop the others. known holds, per product, a GitHub deployment
// already found (0: find or create it). The products share their lists
// (deployments.Lists): those of one commit and environment list it once,
// and once more after their creates; those of one environment list its
// newest deployments once. They start together so that they list
// together: a product that waited for a slot would list again.
func recordAll(ctx context.Context, a *githubactions.Action, hc *httpx.Client, cfg *config.Config, cfgs []*config.Config, src ghcontext.Source, evs []event.Event, reps []*report.Report, known []knownDeployment) {
	lists := &deployments.Lists{}
	expected := 0
	for i := range evs {
		if reps[i].Skipped == "" {
			expected++
		}
	}
	lists.Expect(expected)
	if len(evs) == 1 {
		if reps[0].Skipped != "" {
			return
		}
		record(ctx, a, hc, lists, cfgs[0], src, evs[0], reps[0], knownID(known, 0), "")
		return
	}
	var wg sync.WaitGroup
	for i := range evs {
		if reps[i].Skipped != "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			record(ctx, a, hc, lists, cfgs[i], src, evs[i], reps[i], knownID(known, i), evs[i].Product+": ")
		}()
	}
	wg.Wait()
}

// newHTTP builds the step's one HTTP client, which both sinks and the
// Actions API share.
func newHTTP(a *githubactions.Action, cfg *config.Config) *httpx.Client {
	opts := httpx.Options{Timeout: cfg.Timeout, Debugf: a.Debugf, MaxInFlight: pool, Getenv: a.Getenv}
	if d, err := time.ParseDuration(a.Getenv(RetryWaitEnv)); err == nil && d > 0 {
		opts.WaitMin, opts.WaitMax = d, 30*d
	}
	return httpx.New(opts)
}

// knownDeployment is a GitHub deployment the main step posted to, as its
// post step gets it.
type knownDeployment struct {
	ID  int64
	Job bool // the job's own, not ours
}

func knownID(known []knownDeployment, i int) knownDeployment {
	if i < len(known) {
		return known[i]
	}
	return knownDeployment{}
}

// record sends the event to both sinks. They run concurrently and neither
// failing stops the other, with one exception: a started or pending
// deployment shows as in progress on GitHub only once Versioner's
// preflight rules have let it through; a rejection marks it failed.
func record(ctx context.Context, a *githubactions.Action, hc *httpx.Client, lists *deployments.Lists, cfg *config.Config, src ghcontext.Source, ev event.Event, rep *report.Report, known knownDeployment, prefix string) {
	ua := "deploytrack/" + version

	var gh *deployments.Client
	if rep.GitHubSkipped == "" {
		var err error
		if gh, err = deployments.New(hc.For("GitHub"), src.APIURL, cfg.GitHubToken, ev.Repository, ua); err != nil {
			rep.GitHubErr = err
		} else {
			gh.Share(lists)
		}
	}
	if gh == nil {
		lists.Skip() // the others' lists need not wait for this product
	}

	// A started or pending deployment waits for Versioner's preflight
	// answer before GitHub shows it in progress. Versioner then gets a
	// deadline of its own, short of the step's, so that GitHub's status
	// still goes out when Versioner hangs.
	vctx, vtimeout := ctx, cfg.Timeout
	gated := gh != nil && !ev.Status.Terminal()
	if gated {
		vtimeout -= min(10*time.Second, cfg.Timeout/3)
		var cancel context.CancelFunc
		vctx, cancel = context.WithTimeout(ctx, vtimeout)
		defer cancel()
	}

	// A final status whose start no step of the job handed on takes the
	// start from the GitHub deployment the step finds: Versioner's event,
	// which carries the duration, waits for GitHub's first list.
	var started time.Time
	found := make(chan struct{})
	var foundOnce sync.Once
	markFound := func() { foundOnce.Do(func() { close(found) }) }
	fallback := gh != nil && ev.Kind == event.Deployment && ev.Status.Terminal() && ev.StartedAt.IsZero()
	if !fallback {
		markFound()
	}

	var wg sync.WaitGroup
	versionerDone := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(versionerDone)
		vev := ev
		// Never long: one GitHub list, and Versioner is not held up by a
		// GitHub that does not answer (the sinks are independent).
		wait := time.NewTimer(min(2*time.Second, cfg.Timeout/5))
		defer wait.Stop()
		select {
		case <-found:
			if !started.IsZero() {
				vev.Started(started)
				rep.Event.Started(started)
			}
		case <-wait.C:
		case <-vctx.Done():
		}
		vs := versioner.New(hc.For("Versioner"), cfg.APIURL, cfg.APIKey, ua)
		res, err := vs.Record(vctx, vev)
		rep.Versioner, rep.VersionerErr = res, httpx.Stopped(vctx, err, "Versioner", vtimeout)
	}()
	if gh != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			where := githubWhere(a, cfg, ev)
			where.Known, where.KnownJob = known.ID, known.Job
			// Deliver calls status once the deployment is found or
			// created; a gated one waits there for Versioner.
			defer markFound() // when no deployment was found
			t, err := gh.Deliver(ctx, ev, where, func(t deployments.Target) *github.DeploymentStatusRequest {
				if fallback {
					started = t.CreatedAt
					markFound()
				}
				state, desc := rep.GitHub.State, ""
				if gated {
					<-versionerDone // closed by vctx's deadline at the latest
					state, desc = gatedState(rep, state)
				}
				rep.GitHub.State = state
				return deployments.StatusRequest(ev, state, desc)
			})
			rep.GitHub.Set(t)
			rep.GitHubErr = err
		}()
	}
	wg.Wait()

	rep.GitHubErr = httpx.Stopped(ctx, rep.GitHubErr, "GitHub", cfg.Timeout)
	if rep.VersionerErr == nil {
		id := rep.Versioner.ID
		if id == "" {
			id = "with no id in the answer"
		}
		took := ""
		if d := rep.Event.Duration(); d > 0 && ev.Status.Terminal() {
			took = ", " + d.Round(time.Second).String() + " after the start"
		}
		workflow.Printf(a, "%sVersioner: recorded %s event %s (%s%s)", prefix, ev.Kind, id, ev.Status, took)
	}
	if gh != nil && rep.GitHubErr == nil {
		whose := ""
		if rep.GitHub.Job {
			whose = "the job's own "
		}
		workflow.Printf(a, "%sGitHub: %sdeployment %d, status %s", prefix, whose, rep.GitHub.DeploymentID, rep.GitHub.State)
	}
}

// githubWhere says how the step picks its GitHub deployment. With auto,
// GitHub's deployment for the job carries GITHUB_SHA, and an earlier step
// of the job may have handed it over in GITHUB_ENV. A started step hands
// on what it learns of its deployment of ours to a later step of the job
// (not to auto-finish's post step, which is handed the deployment in
// GITHUB_STATE), and a finishing step takes what it handed over.
func githubWhere(a *githubactions.Action, cfg *config.Config, ev event.Event) deployments.Where {
	w := deployments.Where{HandsOn: !cfg.AutoFinish, Started: handedStart(a, ev)}
	if cfg.GitHubDeployment == config.GitHubAuto {
		w.Auto, w.RunSHA, w.Handoff = true, a.Getenv("GITHUB_SHA"), deployments.ParseHandoff(a.Getenv(deployments.HandoffVar(ev)))
	}
	return w
}

// gatedState is the GitHub state of a started or pending deployment once
// Versioner has answered: failure when a rule blocked it, error when
// Versioner did not record it and the step will fail, else as asked.
func gatedState(rep *report.Report, state string) (string, string) {
	switch pe := rep.Preflight(); {
	case pe != nil:
		return "failure", "Blocked by Versioner: " + pe.Message
	case rep.VersionerErr != nil && rep.FailOnAPIError:
		return "error", "Versioner did not record the deployment; the step failed"
	}
	return state, ""
}
