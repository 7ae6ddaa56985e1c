package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/ghcontext"
	"github.com/deploytrack/deploytrack/internal/httpx"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

// version and commit are set at build time:
// -ldflags "-X main.version=v1.2.3 -X main.commit=$(git rev-parse HEAD)".
var (
	version = "dev"
	commit  = ""
)

// retryWaitEnv shortens the retry backoff (a Go duration for the first
// wait; the longest is 30 times it). The project's end-to-end tests use
// it to run retries in milliseconds; users have no reason to.
const retryWaitEnv = "DEPLOYTRACK_RETRY_WAIT"

// run is the whole action. It reads the world only through its arguments
// and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, now func() time.Time) int {
	secrets := report.Secrets(config.Secrets(getenv))
	// Both sinks log (retries, with RUNNER_DEBUG) from their goroutines.
	out := &lockedWriter{w: secrets.Writer(stdout)}
	a := githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(out))
	post := false
	if len(args) > 0 {
		switch {
		case args[0] == "--version" || args[0] == "version":
			fmt.Fprintln(stdout, versionLine())
			return 0
		case args[0] == postFlag && len(args) == 1:
			post = true
		default:
			a.Errorf("unexpected argument %q: deploytrack takes its inputs from INPUT_* variables; see its README", args[0])
			return 2
		}
	}

	// Mask before anything is printed, even when validation fails below.
	for _, s := range secrets {
		a.AddMask(s)
	}
	if post {
		return finish(ctx, a, now, secrets)
	}

	cfg, err := config.Load(getenv)
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
		return 1
	}

	ws := warnings(cfg, src)
	if cfg.AutoFinish && !slices.ContainsFunc(evs, func(ev event.Event) bool { return !ev.Status.Terminal() }) {
		ws = append(ws, fmt.Sprintf("auto-finish applies to a started or pending event; this step records %s, so there is nothing to finish", evs[0].Status))
	}
	reps := newReports(cfgs, src, evs, ws, secrets)
	if cfg.DryRun {
		for i := range evs {
			dryRun(a, cfgs[i], src, evs[i], reps[i])
		}
	} else {
		ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
		recordAll(ctx, a, cfg, cfgs, src, evs, reps, nil)
		if err := handOn(a, cfg, reps); err != nil {
			a.Errorf("%s", err.Error())
			return 1
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
func newReports(cfgs []*config.Config, src ghcontext.Source, evs []event.Event, ws []string, secrets report.Secrets) []*report.Report {
	reps := make([]*report.Report, len(evs))
	for i, ev := range evs {
		cfg := cfgs[i]
		rep := &report.Report{
			Event:          ev,
			GivenWord:      cfg.Status,
			ServerURL:      src.ServerURL,
			DryRun:         cfg.DryRun,
			FailOnAPIError: cfg.FailOnAPIError,
			Warnings:       ws,
			Secrets:        secrets,
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
		return 1
	}
	for _, r := range reps {
		if r.Failed() {
			return 1
		}
	}
	return 0
}

// pool bounds how many products are recorded at once: enough to hide the
// APIs' latency, few enough to stay clear of GitHub's secondary limit on
// concurrent requests.
const pool = 10

// recordAll records every product's event under one deadline, at most
// pool at a time; one failing does not stop the others. known holds,
// per product, a GitHub deployment already found (0: find or create it).
func recordAll(ctx context.Context, a *githubactions.Action, cfg *config.Config, cfgs []*config.Config, src ghcontext.Source, evs []event.Event, reps []*report.Report, known []knownDeployment) {
	opts := httpx.Options{Timeout: cfg.Timeout, Debugf: a.Debugf}
	if d, err := time.ParseDuration(a.Getenv(retryWaitEnv)); err == nil && d > 0 {
		opts.WaitMin, opts.WaitMax = d, 30*d
	}
	hc := httpx.New(opts)
	if len(evs) == 1 {
		record(ctx, a, hc, cfgs[0], src, evs[0], reps[0], knownID(known, 0), "")
		return
	}
	sem := make(chan struct{}, pool)
	var wg sync.WaitGroup
	for i := range evs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			record(ctx, a, hc, cfgs[i], src, evs[i], reps[i], knownID(known, i), evs[i].Product+": ")
		}()
	}
	wg.Wait()
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
func record(ctx context.Context, a *githubactions.Action, hc *httpx.Client, cfg *config.Config, src ghcontext.Source, ev event.Event, rep *report.Report, known knownDeployment, prefix string) {
	ua := "deploytrack/" + version

	var gh *deployments.Client
	if rep.GitHubSkipped == "" {
		var err error
		if gh, err = deployments.New(hc.For("GitHub"), src.APIURL, cfg.GitHubToken, ev.Repository, ua); err != nil {
			rep.GitHubErr = err
		}
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

	var wg sync.WaitGroup
	versionerDone := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(versionerDone)
		vs := versioner.New(hc.For("Versioner"), cfg.APIURL, cfg.APIKey, ua)
		res, err := vs.Record(vctx, ev)
		rep.Versioner, rep.VersionerErr = res, timedOut(err, "Versioner", vctx, vtimeout)
	}()
	if gh != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			where := githubWhere(a, cfg, ev)
			where.Known, where.KnownJob = known.ID, known.Job
			t, err := gh.Target(ctx, ev, where)
			rep.GitHub.Set(t)
			if err != nil {
				rep.GitHubErr = err
				return
			}
			state, desc := rep.GitHub.State, ""
			if gated {
				<-versionerDone // closed by vctx's deadline at the latest
				state, desc = gatedState(rep, state)
			}
			rep.GitHub.State = state
			rep.GitHubErr = gh.Post(ctx, ev, where, &t, deployments.StatusRequest(ev, state, desc))
			rep.GitHub.Set(t)
		}()
	}
	wg.Wait()

	rep.GitHubErr = timedOut(rep.GitHubErr, "GitHub", ctx, cfg.Timeout)
	if rep.VersionerErr == nil {
		id := rep.Versioner.ID
		if id == "" {
			id = "with no id in the answer"
		}
		report.Printf(a, "%sVersioner: recorded %s event %s (%s)", prefix, ev.Kind, id, ev.Status)
	}
	if gh != nil && rep.GitHubErr == nil {
		whose := ""
		if rep.GitHub.Job {
			whose = "the job's own "
		}
		report.Printf(a, "%sGitHub: %sdeployment %d, status %s", prefix, whose, rep.GitHub.DeploymentID, rep.GitHub.State)
	}
}

// githubWhere says how the step picks its GitHub deployment. With auto,
// GitHub's deployment for the job carries GITHUB_SHA, and an earlier step
// of the job may have handed it over in GITHUB_ENV.
func githubWhere(a *githubactions.Action, cfg *config.Config, ev event.Event) deployments.Where {
	if cfg.GitHubDeployment != config.GitHubAuto {
		return deployments.Where{}
	}
	return deployments.Where{Auto: true, RunSHA: a.Getenv("GITHUB_SHA"), Handoff: deployments.ParseHandoff(a.Getenv(deployments.HandoffVar(ev)))}
}

// gatedState is the GitHub state of a started or pending deployment once
// Versioner has answered: failure when a rule blocked it, error when
// Versioner did not record it and the step will fail, else as asked.
func gatedState(rep *report.Report, state string) (string, string) {
	var pe *versioner.PreflightError
	switch {
	case errors.As(rep.VersionerErr, &pe):
		return "failure", "Blocked by Versioner: " + pe.Message
	case rep.VersionerErr != nil && rep.FailOnAPIError:
		return "error", "Versioner did not record the deployment; the step failed"
	}
	return state, ""
}

// timedOut says what stopped a call when the context did and no layer
// below said it (go-github returns the bare context error): the step's
// timeout, or the job's cancellation.
func timedOut(err error, api string, ctx context.Context, after time.Duration) error {
	var te *httpx.TimeoutError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		return &httpx.TimeoutError{API: te.API, After: after, Attempts: te.Attempts}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &httpx.TimeoutError{API: api, After: after}
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return fmt.Errorf("%s: stopped before it answered: the step was cancelled", api)
	}
	return err
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

// dryRun prints the exact requests the step would send, and sends nothing.
func dryRun(a *githubactions.Action, cfg *config.Config, src ghcontext.Source, ev event.Event, rep *report.Report) {
	body, err := versioner.Body(ev)
	if err != nil {
		rep.VersionerErr = err
		return
	}
	vs := versioner.New(nil, cfg.APIURL, "", "")
	a.Group("dry run: Versioner request (not sent)")
	report.Printf(a, "POST %s", vs.Endpoint(ev.Kind))
	report.Printf(a, "Authorization: Bearer ***")
	report.Printf(a, "Idempotency-Key: %s", ev.IdempotencyKey)
	printJSON(a, body)
	a.EndGroup()

	if rep.GitHubSkipped != "" {
		return
	}
	if ev.Repository == "" {
		report.Printf(a, "GitHub: GITHUB_REPOSITORY is not set, so a real run could not record the deployment (set github-deployment: false outside GitHub Actions)")
		return
	}
	a.Group("dry run: GitHub requests (not sent)")
	for _, r := range deployments.Plan(src.APIURL, ev, githubWhere(a, cfg, ev), rep.GitHub.State) {
		report.Printf(a, "%s", r.Line)
		if b, err := json.Marshal(r.Body); err == nil && r.Body != nil {
			printJSON(a, b)
		}
	}
	a.EndGroup()
}

func printJSON(a *githubactions.Action, b []byte) {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		out.Reset()
		out.Write(b)
	}
	for _, line := range bytes.Split(out.Bytes(), []byte("\n")) {
		report.Printf(a, "%s", line)
	}
}

// inputErrors prints one error annotation per invalid input.
func inputErrors(a *githubactions.Action, err error) {
	for _, e := range flatten(err) {
		title := "Invalid input"
		var ie *config.InputError
		if errors.As(e, &ie) {
			title += ": " + ie.Input
		}
		a.WithFieldsMap(map[string]string{"title": title}).Errorf("%s", e.Error())
	}
	report.Printf(a, "deploytrack: nothing was sent: fix the input(s) above")
}

// flatten lists the errors inside nested errors.Join results.
func flatten(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}

// warnings are the problems worth telling that do not stop the step.
func warnings(cfg *config.Config, src ghcontext.Source) []string {
	var ws []string
	for _, alias := range cfg.Deprecated {
		for _, in := range config.Inputs {
			if in.Alias == alias {
				ws = append(ws, fmt.Sprintf("input %s is deprecated: rename it to %s", alias, in.Name))
			}
		}
	}
	ws = append(ws, src.Warnings...)
	if u := cfg.APIURL; u.Scheme == "http" && !loopback(u.Hostname()) {
		ws = append(ws, fmt.Sprintf("api-url %s is plain http: the api-key crosses the network in clear text; use https", u.Redacted()))
	}
	return ws
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func versionLine() string {
	c := commit
	if info, ok := debug.ReadBuildInfo(); ok && c == "" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				c = s.Value
			}
		}
	}
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("deploytrack %s (commit %s, %s)", version, c, runtime.Version())
}
