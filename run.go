package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"runtime"
	"runtime/debug"
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
	if len(args) > 0 {
		if args[0] == "--version" || args[0] == "version" {
			fmt.Fprintln(stdout, versionLine())
			return 0
		}
		a.Errorf("unexpected argument %q: deploytrack takes its inputs from INPUT_* variables; see its README", args[0])
		return 2
	}

	// Mask before anything is printed, even when validation fails below.
	for _, s := range secrets {
		a.AddMask(s)
	}

	cfg, err := config.Load(getenv)
	src := ghcontext.Load(a)
	var ev event.Event
	if err == nil {
		ev, err = event.New(cfg, src, now())
	} else if _, serr := event.ParseStatus(cfg.Kind, cfg.Status); serr != nil && cfg.Status != "" {
		// Report a bad status with the other problems, in one go.
		err = errors.Join(err, serr)
	}
	if err != nil {
		inputErrors(a, err)
		return 1
	}

	rep := &report.Report{
		Event:          ev,
		GivenWord:      cfg.Status,
		ServerURL:      src.ServerURL,
		DryRun:         cfg.DryRun,
		FailOnAPIError: cfg.FailOnAPIError,
		Warnings:       warnings(cfg, src),
		Secrets:        secrets,
	}
	switch {
	case ev.Kind != config.Deployment:
		rep.GitHubSkipped = "a build event has no GitHub deployment"
	case !cfg.GitHubDeployment:
		rep.GitHubSkipped = "github-deployment is false"
	default:
		rep.GitHub.State = deployments.State(ev.Status)
		rep.GitHub.URL = deployments.URL(src.ServerURL, ev.Repository, ev.Environment)
	}

	if cfg.DryRun {
		dryRun(a, cfg, src, ev, rep)
	} else {
		ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
		record(ctx, a, cfg, src, ev, rep)
	}

	if err := report.Write(a, rep); err != nil {
		a.Errorf("%s", err.Error())
		return 1
	}
	if rep.Failed() {
		return 1
	}
	return 0
}

// record sends the event to both sinks. They run concurrently and neither
// failing stops the other, with one exception: a started or pending
// deployment shows as in progress on GitHub only once Versioner's
// preflight rules have let it through; a rejection marks it failed.
func record(ctx context.Context, a *githubactions.Action, cfg *config.Config, src ghcontext.Source, ev event.Event, rep *report.Report) {
	opts := httpx.Options{Timeout: cfg.Timeout, Debugf: a.Debugf}
	if d, err := time.ParseDuration(a.Getenv(retryWaitEnv)); err == nil && d > 0 {
		opts.WaitMin, opts.WaitMax = d, 30*d
	}
	hc := httpx.New(opts)
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
			id, created, err := gh.Ensure(ctx, ev)
			rep.GitHub.DeploymentID, rep.GitHub.Created = id, created
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
			rep.GitHubErr = gh.SetStatus(ctx, id, deployments.StatusRequest(ev, state, desc))
		}()
	}
	wg.Wait()

	rep.GitHubErr = timedOut(rep.GitHubErr, "GitHub", ctx, cfg.Timeout)
	if rep.VersionerErr == nil {
		id := rep.Versioner.ID
		if id == "" {
			id = "with no id in the answer"
		}
		report.Printf(a, "Versioner: recorded %s event %s (%s)", ev.Kind, id, ev.Status)
	}
	if gh != nil && rep.GitHubErr == nil {
		report.Printf(a, "GitHub: deployment %d, status %s", rep.GitHub.DeploymentID, rep.GitHub.State)
	}
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
	base := src.APIURL + "/repos/" + ev.Repository + "/deployments"
	a.Group("dry run: GitHub requests (not sent)")
	q := url.Values{"sha": {ev.SHA}, "environment": {ev.Environment}, "task": {"deploy"}, "per_page": {"100"}}
	report.Printf(a, "GET %s?%s", base, q.Encode())
	report.Printf(a, "POST %s (only when this run has no deployment of %s yet)", base, ev.Product)
	if b, err := json.Marshal(deployments.CreateRequest(ev)); err == nil {
		printJSON(a, b)
	}
	report.Printf(a, "POST %s/{id}/statuses", base)
	if b, err := json.Marshal(deployments.StatusRequest(ev, rep.GitHub.State, "")); err == nil {
		printJSON(a, b)
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
