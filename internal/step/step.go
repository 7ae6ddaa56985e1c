// Package step is the action itself: it reads the inputs and the run's context,
// builds the events, records them in both sinks and reports, in the main
// phase (Run) and in auto-finish's post phase (post.go). main wires the
// real process into Run; nothing below this package reads the process
// environment or writes to stdout.
package step

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/ghcontext"
	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/workflow"
)

// RetryWaitEnv shortens the retry backoff (a Go duration for the first
// wait; the longest is 30 times it). The project's end-to-end tests use
// it to run retries in milliseconds; users have no reason to.
const RetryWaitEnv = "DEPLOYTRACK_RETRY_WAIT"

// Run is the whole action. It reads the world only through its arguments
// and returns the exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, now func() time.Time) int {
	// The native variant hands over its inputs in one variable.
	getenv, native, nerr := nativeInputs(getenv)
	masked := config.Secrets(getenv)
	secrets := redact.New(masked...)
	// Both sinks log (retries, with RUNNER_DEBUG) from their goroutines.
	out := &lockedWriter{w: secrets.Writer(stdout)}
	a := githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(out))
	post := false
	if len(args) > 0 {
		switch {
		case args[0] == "--version" || args[0] == "version":
			fmt.Fprintln(stdout, versionLine())
			return ExitOK
		case args[0] == PostFlag && len(args) == 1:
			post = true
		default:
			a.Errorf("unexpected argument %q: deploytrack takes its inputs from INPUT_* variables; see its README", args[0])
			return ExitUsage
		}
	}

	// Mask before anything is printed, even when validation fails below.
	for _, s := range masked {
		a.AddMask(s)
	}
	if nerr != nil {
		a.Errorf("%s", nerr.Error())
		return ExitFailed
	}
	if post {
		return finish(ctx, a, now, secrets)
	}

	cfg, err := config.Load(getenv)
	if native && cfg.AutoFinish {
		err = errors.Join(err, noPostStep)
	}
	src := ghcontext.Load(a)
	var evs []event.Event
	cfgs := cfg.Each()
	if err == nil {
		evs, err = newEvents(cfgs, len(cfg.Products) > 0, src, now())
	} else if _, serr := event.ParseStatus(cfg.Kind, cfg.Status); serr != nil && cfg.Status != "" && len(cfg.Products) == 0 {
		// Report a bad status with the other problems, in one go.
		err = errors.Join(err, serr)
	}
	if err != nil {
		inputErrors(a, err)
		return ExitFailed
	}

	ws := warnings(cfg, src)
	if cfg.AutoFinish && !slices.ContainsFunc(evs, func(ev event.Event) bool { return !ev.Status.Terminal() }) {
		ws = append(ws, fmt.Sprintf("auto-finish applies to a started or pending event; this step records %s, so there is nothing to finish", evs[0].Status))
	}
	skips := earlier(a, evs)
	reps := newReports(cfgs, src, evs, ws, secrets)
	for i, why := range skips {
		if why != "" {
			reps[i].Skipped = why
			workflow.Printf(a, "%s: nothing recorded: %s", evs[i].Product, why)
		}
	}
	if cfg.DryRun {
		recorded := 0 // as recordAll counts them: the environment's first page grows with them
		for _, r := range reps {
			if r.Skipped == "" {
				recorded++
			}
		}
		for i := range evs {
			dryRun(a, cfgs[i], src, evs[i], reps[i], recorded)
		}
	} else {
		ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
		recordAll(ctx, a, newHTTP(a, cfg), cfg, cfgs, src, evs, reps, nil)
		if err := handOn(a, secrets, cfg, reps); err != nil {
			// The events are recorded: their outputs and summary are
			// still written, and the step fails.
			a.Errorf("%s", err.Error())
			leave(a, reps)
			return ExitFailed
		}
	}
	return leave(a, reps)
}

// newEvents builds one event per product. With the products input, an
// entry's problems are reported as the products input's.
func newEvents(cfgs []*config.Config, entries bool, src ghcontext.Source, now time.Time) ([]event.Event, error) {
	evs := make([]event.Event, len(cfgs))
	var errs []error
	for i, c := range cfgs {
		ev, err := event.New(c, src, now)
		if err != nil && entries {
			for _, e := range flatten(err) {
				var ie *config.InputError
				if errors.As(e, &ie) {
					e = &config.InputError{Input: "products", Problem: fmt.Sprintf("entry %d (%s): %s %s", i+1, c.Product, ie.Input, ie.Problem)}
				}
				errs = append(errs, e)
			}
		} else if err != nil {
			errs = append(errs, err)
		}
		evs[i] = ev
	}
	return evs, errors.Join(errs...)
}

// newReports starts one report per event, saying where GitHub stands.
func newReports(cfgs []*config.Config, src ghcontext.Source, evs []event.Event, ws []string, secrets *redact.Secrets) []*report.Report {
	reps := make([]*report.Report, len(evs))
	for i, ev := range evs {
		cfg := cfgs[i]
		rep := &report.Report{
			Event:             ev,
			GivenWord:         cfg.Status,
			ServerURL:         src.ServerURL,
			DryRun:            cfg.DryRun,
			FailOnAPIError:    cfg.FailOnAPIError,
			FailOnGitHubError: cfg.FailOnGitHubError,
			Warnings:          ws,
			Secrets:           secrets,
		}
		switch {
		case ev.Kind != config.Deployment:
			rep.GitHubSkipped = "a build event has no GitHub deployment"
		case cfg.GitHubDeployment == config.GitHubOff:
			rep.GitHubSkipped = "github-deployment is false"
		default:
			rep.GitHub.State = deployments.State(ev.Status)
			rep.GitHub.URL = deployments.URL(src.ServerURL, ev.Repository, ev.Environment)
			rep.GitHub.Auto = cfg.GitHubDeployment == config.GitHubAuto
		}
		reps[i] = rep
	}
	return reps
}

// leave writes the outputs, the summary and the annotations, and returns
// the exit code.
func leave(a *githubactions.Action, reps []*report.Report) int {
	if err := report.WriteAll(a, reps); err != nil {
		a.Errorf("%s", err.Error())
		return ExitFailed
	}
	for _, r := range reps {
		if r.Failed() {
			return ExitFailed
		}
	}
	return ExitOK
}

// lockedWriter serialises the writes of the two sinks' goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
