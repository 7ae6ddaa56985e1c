// Package e2e runs the built binary the way the runner runs a container
// action (INPUT_ variables, the GITHUB_* context, an event payload, the
// runner's files) against the project's fakes of Versioner and GitHub,
// and guards how the action ships: action.yml, the Dockerfile, the release
// build. Its tests are the only ones that build the binary.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/runner"
	"github.com/deploytrack/deploytrack/internal/step"
)

// The end-to-end tests run the built binary the way the runner runs a
// container action: one INPUT_ variable per declared input (its default
// when the workflow does not set it), the GITHUB_* context, an event
// payload file, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, against the
// project's fakes of Versioner and GitHub.

const (
	testKey   = "sk_acme_1_s3cr3tv4lu3"
	testToken = "ghs_t0k3nv4lu3"
	headSHA   = "1111111111111111111111111111111111111111"
)

var binary string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	// The tests read the repository's files (action.yml, testdata/, the
	// Dockerfile) by their paths from its root, as a user reads them.
	if err := os.Chdir(filepath.Join("..", "..")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "deploytrack-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "deploytrack")
	// The release build, as make build and the Dockerfile run it.
	build := exec.Command("tools/build.sh", binary)
	build.Env = append(os.Environ(), "VERSION=e2e")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the binary: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// world is one repository's run: the two fakes and the run's context.
type world struct {
	t         *testing.T
	versioner *fake.Versioner
	github    *fake.GitHub
	vURL      string // Versioner base URL
	ghAPI     string // GITHUB_API_URL
	context   map[string]string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, versioner: fake.NewVersioner(testKey), github: fake.NewGitHub(testToken, "acme", "shop")}
	vs := httptest.NewServer(w.versioner)
	gs := httptest.NewServer(w.github)
	t.Cleanup(vs.Close)
	t.Cleanup(gs.Close)
	w.vURL = vs.URL
	w.ghAPI = gs.URL + w.github.PathPrefix
	w.context = runner.Context(w.ghAPI, headSHA)
	w.context["GITHUB_EVENT_PATH"] = eventFile("push.json")
	w.context["DEPLOYTRACK_RETRY_WAIT"] = "5ms"
	return w
}

func eventFile(name string) string {
	p, _ := filepath.Abs(filepath.Join("testdata", "events", name))
	return p
}

// use is one use of the action in a workflow: a step.
type use struct {
	id     string            // GITHUB_ACTION; default "__deploytrack"
	with   map[string]string // the step's `with:`
	env    map[string]string // extra context, or "" to unset a variable
	noFile bool              // run without GITHUB_OUTPUT and GITHUB_STEP_SUMMARY
}

// result is what a step left behind.
type result struct {
	code    int
	stdout  string
	stderr  string
	outputs map[string]string
	summary string
	env     map[string]string // what the step wrote to GITHUB_ENV
	took    time.Duration
}

// with returns the inputs every deployment step of these tests passes.
func (w *world) with(over map[string]string) map[string]string {
	m := map[string]string{
		"api-key": testKey, "api-url": w.vURL, "product": "shop-api", "version": "1.2.3",
		"environment": "production",
	}
	for k, v := range over {
		m[k] = v
	}
	return m
}

// run runs one step and returns what it left behind.
func (w *world) run(s use) result {
	w.t.Helper()
	return w.runAll(s)[0]
}

// runAll runs the steps at once, each its own process, as jobs of a run
// do, and returns what each left behind.
func (w *world) runAll(steps ...use) []result {
	t := w.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	meta := readAction(t)
	out := make([]result, len(steps))
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, s := range steps {
		env := maps.Clone(w.context)
		if s.id != "" {
			env["GITHUB_ACTION"] = s.id
		}
		maps.Copy(env, s.env)
		dir := t.TempDir()
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := runner.Run(ctx, runner.Step{
				Binary: binary, Metadata: meta, With: s.with, Env: env,
				Token: testToken, Dir: dir, NoFiles: s.noFile,
			})
			out[i] = result{code: r.Code, stdout: r.Stdout, stderr: r.Stderr, outputs: r.Outputs, summary: r.Summary, took: r.Took}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, r := range out {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		env := maps.Clone(w.context)
		maps.Copy(env, steps[i].env)
		checkSummary(t, r.summary, env, steps[i].with, r.outputs)
		if testing.Verbose() {
			t.Logf("exit %d in %s\nstdout:\n%s\nstderr:\n%s", r.code, r.took, r.stdout, r.stderr)
		}
	}
	return out
}

// job starts a job of this run whose steps share GITHUB_ENV, as the
// runner runs them; env is added to the run's context.
func (w *world) job(env map[string]string) *runner.Job {
	w.t.Helper()
	ctx := map[string]string{}
	for k, v := range w.context {
		ctx[k] = v
	}
	for k, v := range env {
		ctx[k] = v
	}
	return &runner.Job{Binary: binary, Metadata: readAction(w.t), Env: ctx, Token: testToken, Dir: w.t.TempDir()}
}

// runIn runs one step of job j and returns what it left behind.
func (w *world) runIn(j *runner.Job, with map[string]string) result {
	t := w.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := j.Run(ctx, with)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		t.Logf("exit %d in %s\nstdout:\n%s\nstderr:\n%s", r.Code, r.Took, r.Stdout, r.Stderr)
	}
	checkSummary(t, r.Summary, j.Env, with, r.Outputs)
	return result{code: r.Code, stdout: r.Stdout, stderr: r.Stderr, outputs: r.Outputs, summary: r.Summary, env: r.Env, took: r.Took}
}

// paths lists the method and path of each request a fake received.
func paths(reqs []fake.Request) []string {
	var out []string
	for _, r := range reqs {
		p := r.Method + " " + r.Path
		if r.RawQuery != "" && r.Method == "GET" {
			p += "?" + r.RawQuery
		}
		out = append(out, p)
	}
	return out
}

// commands returns the workflow commands of one kind a step printed.
func commands(stdout, kind string) []string {
	var out []string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "::"+kind+"::") || strings.HasPrefix(line, "::"+kind+" ") {
			out = append(out, line)
		}
	}
	return out
}

// hostile returns the hostile strings of testdata/hostile.json.
func hostile(t testing.TB) []string {
	t.Helper()
	ss, err := runner.Hostile("testdata/hostile.json")
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// inProcess is a step run by calling run, as main does, with the
// environment the runner gives a container action. Unlike the binary, it
// takes values the kernel would refuse in an environment (over 128 KiB,
// or holding NUL bytes).
type inProcess struct {
	env             map[string]string
	output, summary string
}

// newInProcess sets up a step of a push to main of acme/shop with the
// given inputs, against Versioner at vURL and GitHub at ghAPI.
func newInProcess(t testing.TB, vURL, ghAPI string, inputs map[string]string) *inProcess {
	t.Helper()
	dir := t.TempDir()
	s := &inProcess{env: runner.Context(ghAPI, headSHA), output: filepath.Join(dir, "output"), summary: filepath.Join(dir, "summary")}
	for _, f := range []string{s.output, s.summary} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.env["GITHUB_OUTPUT"], s.env["GITHUB_STEP_SUMMARY"] = s.output, s.summary
	s.env["GITHUB_EVENT_PATH"] = eventFile("push.json")
	s.env[step.RetryWaitEnv] = "1ms"
	defaults := map[string]string{
		"api-key": testKey, "api-url": vURL, "version": "1.2.3", "environment": "production", "status": "completed",
		"github-token": testToken, "github-deployment": "true", "dry-run": "false", "timeout": "10",
	}
	for k, v := range defaults {
		s.env[config.EnvName(k)] = v
	}
	for k, v := range inputs {
		s.env[config.EnvName(k)] = v
	}
	return s
}

// run runs the step and returns its exit code, stdout, outputs and summary.
func (s *inProcess) run(t testing.TB) (int, string, map[string]string, string) {
	t.Helper()
	var stdout bytes.Buffer
	at := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	code := step.Run(context.Background(), nil, func(k string) string { return s.env[k] }, &stdout, func() time.Time { return at })
	f, err := os.Open(s.output)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	outputs, err := runner.ParseOutputs(f)
	if err != nil {
		t.Fatalf("the runner would fail on the output file: %v", err)
	}
	summary, err := os.ReadFile(s.summary)
	if err != nil {
		t.Fatal(err)
	}
	with := map[string]string{}
	for k, v := range s.env {
		if strings.HasPrefix(k, "INPUT_") {
			with[k] = v
		}
	}
	checkSummary(t, string(summary), s.env, with, outputs)
	return code, stdout.String(), outputs, string(summary)
}

// checkStep fails the test on what a step must never leave behind,
// whatever its inputs: a workflow command it did not issue, a secret shown, a
// summary over GitHub's 1 MiB.
func checkStep(t testing.TB, stdout, summary string, secrets ...string) {
	t.Helper()
	for _, p := range runner.CheckLog(stdout, secrets, "add-mask", "warning", "error", "debug", "group", "endgroup") {
		t.Error(p)
	}
	if len(summary) >= 1<<20 {
		t.Errorf("summary is %d bytes, over GitHub's 1 MiB", len(summary))
	}
	for _, s := range secrets {
		if strings.Contains(summary, s) {
			t.Errorf("summary shows the secret %q", s)
		}
	}
}
