package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deploytrack/deploytrack/internal/fake"
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
	dir, err := os.MkdirTemp("", "deploytrack-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "deploytrack")
	// The release flags, as in the Makefile and the Dockerfile.
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=e2e", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the binary: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
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
	w.context = map[string]string{
		"CI": "true", "GITHUB_ACTIONS": "true", "HOME": "/github/home",
		"GITHUB_REPOSITORY": "acme/shop", "GITHUB_REPOSITORY_OWNER": "acme",
		"GITHUB_RUN_ID": "987654321", "GITHUB_RUN_NUMBER": "77", "GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_ACTOR": "octocat", "GITHUB_TRIGGERING_ACTOR": "octocat",
		"GITHUB_WORKFLOW": "Deploy", "GITHUB_JOB": "deploy",
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_API_URL": w.ghAPI,
		"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": eventFile("push.json"),
		"GITHUB_SHA": headSHA, "GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main", "GITHUB_REF_TYPE": "branch",
		"RUNNER_OS": "Linux", "RUNNER_TEMP": "/github/runner_temp",
		"DEPLOYTRACK_RETRY_WAIT": "5ms",
	}
	return w
}

func eventFile(name string) string {
	p, _ := filepath.Abs(filepath.Join("testdata", "events", name))
	return p
}

// step is one use of the action in a workflow.
type step struct {
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
func (w *world) run(s step) result {
	t := w.t
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{}
	for k, v := range w.context {
		env[k] = v
	}
	// The runner passes every declared input: the workflow's value, or
	// the default from action.yml, or empty.
	for name, in := range readAction(t).Inputs {
		v := ""
		if in.Default != nil {
			v = strings.ReplaceAll(*in.Default, "${{ github.token }}", testToken)
		}
		if got, ok := s.with[name]; ok {
			v = got
		}
		env["INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_"))] = v
	}
	for name := range s.with {
		if _, ok := readAction(t).Inputs[name]; !ok {
			t.Fatalf("step sets input %q, which action.yml does not declare", name)
		}
	}
	env["GITHUB_ACTION"] = s.id
	if s.id == "" {
		env["GITHUB_ACTION"] = "__deploytrack"
	}
	out, sum := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	if !s.noFile {
		env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"] = out, sum
		for _, f := range []string{out, sum} {
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for k, v := range s.env {
		env[k] = v
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = []string{}
	for k, v := range env {
		if v != "" || strings.HasPrefix(k, "INPUT_") {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running the binary: %v", err)
		}
		r.code = ee.ExitCode()
	}
	if !s.noFile {
		r.outputs = parseOutputs(t, out)
		b, _ := os.ReadFile(sum)
		r.summary = string(b)
	}
	if testing.Verbose() {
		t.Logf("exit %d in %s\nstdout:\n%s\nstderr:\n%s", r.code, r.took, r.stdout, r.stderr)
	}
	return r
}

// parseOutputs reads GITHUB_OUTPUT as the runner does: name=value lines
// and name<<DELIMITER blocks.
func parseOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				val = append(val, sc.Text())
			}
			if !closed {
				t.Fatalf("output %s: delimiter %s never closes", name, delim)
			}
			if _, dup := out[name]; dup {
				t.Errorf("output %s written twice", name)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("malformed output line %q", line)
		}
		out[name] = val
	}
	return out
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
