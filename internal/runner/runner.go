// Package runner starts the action's binary the way the GitHub runner
// starts a container action, for the end-to-end tests, the demo and the
// benchmarks: one INPUT_<NAME> variable per input declared in action.yml
// (the workflow's value, else the declared default, else empty, hyphens
// kept), the GITHUB_* context, and the GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
// GITHUB_ENV and GITHUB_STATE files that it reads back afterwards. A Job
// carries what one step writes to GITHUB_ENV to the later steps, and runs
// the post steps at its end with the STATE_* their main steps saved.
// With a Container, a step is a docker run of the image, as on a runner.
package runner

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// Input is one input as action.yml declares it.
type Input struct {
	Description        string  `yaml:"description"`
	Default            *string `yaml:"default"`
	DeprecationMessage string  `yaml:"deprecationMessage"`
}

// Metadata is the part of action.yml the runner reads.
type Metadata struct {
	Inputs  map[string]Input `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using          string `yaml:"using"`
		Image          string `yaml:"image"`
		PostEntrypoint string `yaml:"post-entrypoint"`
		PostIf         string `yaml:"post-if"`
	} `yaml:"runs"`
}

// ReadMetadata parses an action.yml.
func ReadMetadata(path string) (*Metadata, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Metadata
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// Context returns the variables the runner sets for a push to main of
// acme/shop, with GITHUB_API_URL pointing at apiURL.
func Context(apiURL, sha string) map[string]string {
	return map[string]string{
		"CI": "true", "GITHUB_ACTIONS": "true", "HOME": "/github/home",
		"GITHUB_REPOSITORY": "acme/shop", "GITHUB_REPOSITORY_OWNER": "acme",
		"GITHUB_RUN_ID": "987654321", "GITHUB_RUN_NUMBER": "77", "GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_ACTOR": "octocat", "GITHUB_TRIGGERING_ACTOR": "octocat",
		"GITHUB_WORKFLOW": "Deploy", "GITHUB_JOB": "deploy", "GITHUB_ACTION": "__deploytrack",
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_API_URL": apiURL,
		"GITHUB_EVENT_NAME": "push",
		"GITHUB_SHA":        sha, "GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main", "GITHUB_REF_TYPE": "branch",
		"RUNNER_OS": "Linux", "RUNNER_TEMP": "/github/runner_temp",
	}
}

// Step is one use of the action.
type Step struct {
	Binary   string
	Metadata *Metadata
	With     map[string]string // the step's with:
	Env      map[string]string // the context; an empty value unsets a variable
	Token    string            // what ${{ github.token }} evaluates to
	// JobStatus is what ${{ job.status }} evaluates to: success, failure
	// or cancelled ("" means success).
	JobStatus string
	Dir       string // where the file-command files go
	NoFiles   bool   // no file-command files, as outside a runner
	// Post runs the post step: the binary is started under the name
	// runs.post-entrypoint gives it, as docker run --entrypoint does, with
	// STATE_<name> for each entry of State.
	Post  bool
	State map[string]string
	// Container, when set, runs the step as a docker run of its image
	// (Binary is then unused).
	Container *Container
}

// Result is what a step left behind.
type Result struct {
	Code    int
	Stdout  string
	Stderr  string
	Outputs map[string]string
	Summary string
	Env     map[string]string // what the step wrote to GITHUB_ENV
	State   map[string]string // what the step wrote to GITHUB_STATE
	Took    time.Duration
	// MaxRSS is the child's ru_maxrss in bytes, where the platform
	// reports it. On Linux it is never below the peak RSS of the process
	// that called Run: the kernel keeps the high-water mark of the address
	// space a child leaves at exec, and Go starts children with vfork. So
	// it is an upper bound of the child's own peak, exact only when the
	// child is the larger; internal/bench measures through a small spawner.
	MaxRSS int64
	// Stopped lists the signals Run sent to stop the step when its
	// context ended, as the runner stops a cancelled step.
	Stopped []os.Signal
}

// Environ returns the environment the runner would give the step, and
// the paths of its output and summary files.
func (s Step) Environ() (env []string, files map[string]string, err error) {
	for name := range s.With {
		if _, ok := s.Metadata.Inputs[name]; !ok {
			return nil, nil, fmt.Errorf("the step sets input %q, which action.yml does not declare", name)
		}
	}
	m := map[string]string{}
	for k, v := range s.Env {
		m[k] = v
	}
	for name, in := range s.Metadata.Inputs {
		v := ""
		if in.Default != nil {
			v = strings.ReplaceAll(*in.Default, "${{ github.token }}", s.Token)
			v = strings.ReplaceAll(v, "${{ job.status }}", cmp.Or(s.JobStatus, "success"))
		}
		if got, ok := s.With[name]; ok {
			v = got
		}
		m["INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_"))] = v
	}
	for k, v := range s.State {
		m["STATE_"+k] = v
	}
	if !s.NoFiles {
		files = map[string]string{}
		for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_STATE"} {
			f := filepath.Join(s.Dir, strings.ToLower(strings.TrimPrefix(name, "GITHUB_")))
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				return nil, nil, err
			}
			files[name], m[name] = f, f
		}
	}
	for k, v := range m {
		if v != "" || strings.HasPrefix(k, "INPUT_") {
			env = append(env, k+"="+v)
		}
	}
	sort.Strings(env)
	return env, files, nil
}

// EnvMap is Environ as a map, for a step run in process (step.Run with
// the map's lookup as its getenv).
func (s Step) EnvMap() (map[string]string, error) {
	environ, _, err := s.Environ()
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m, nil
}

// Run runs the step and reads back what it left.
func Run(ctx context.Context, s Step) (Result, error) {
	env, files, err := s.Environ()
	if err != nil {
		return Result{}, err
	}
	var cmd *exec.Cmd
	switch {
	case s.Container != nil:
		args, cliEnv, err := s.Container.command(s, env)
		if err != nil {
			return Result{}, err
		}
		cmd = exec.Command(s.Container.Docker, args...)
		cmd.Env = cliEnv
	case s.Post:
		bin, err := postEntrypoint(s)
		if err != nil {
			return Result{}, err
		}
		cmd = exec.Command(bin)
		cmd.Env = env
	default:
		cmd = exec.Command(s.Binary)
		cmd.Env = env
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	stopped, err := runStoppable(ctx, cmd, sigintTimeout, sigtermTimeout)
	r := Result{Stdout: stdout.String(), Stderr: stderr.String(), Took: time.Since(start), Stopped: stopped}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		return r, fmt.Errorf("running %s: %w", cmd.Path, err)
	}
	if s.Container == nil {
		r.MaxRSS = maxRSS(cmd.ProcessState)
	}
	if s.NoFiles {
		return r, nil
	}
	for _, f := range []struct {
		name  string
		into  *map[string]string
		dupOK bool
	}{{"GITHUB_OUTPUT", &r.Outputs, false}, {"GITHUB_ENV", &r.Env, true}, {"GITHUB_STATE", &r.State, true}} {
		b, err := os.ReadFile(files[f.name])
		if err != nil {
			return r, err
		}
		if *f.into, err = parseFileCommand(bytes.NewReader(b), f.dupOK); err != nil {
			return r, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	b, err := os.ReadFile(files["GITHUB_STEP_SUMMARY"])
	r.Summary = string(b)
	return r, err
}

// How the runner stops a cancelled step (actions/runner ProcessInvoker):
// SIGINT, SIGTERM when the step still runs 7.5 s later, and SIGKILL 2.5 s
// after that, to the step's process alone. For a container action that
// process is docker run, which passes SIGINT and SIGTERM on to the
// container's entrypoint.
const (
	sigintTimeout  = 7500 * time.Millisecond
	sigtermTimeout = 2500 * time.Millisecond
)

// runStoppable runs cmd; when ctx ends first, it stops cmd as the runner
// stops a cancelled step, SIGINT then SIGTERM and SIGKILL each after its
// grace, and returns the signals it sent.
func runStoppable(ctx context.Context, cmd *exec.Cmd, sigintGrace, sigtermGrace time.Duration) ([]os.Signal, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	sent := make(chan []os.Signal, 1)
	go func() {
		var sigs []os.Signal
		defer func() { sent <- sigs }()
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		for _, st := range []struct {
			sig   os.Signal
			grace time.Duration
		}{{os.Interrupt, sigintGrace}, {syscall.SIGTERM, sigtermGrace}, {os.Kill, 0}} {
			if cmd.Process.Signal(st.sig) == nil {
				sigs = append(sigs, st.sig)
			}
			select {
			case <-done:
				return
			case <-time.After(st.grace):
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	return <-sent, err
}

// postEntrypoint returns a path that starts the binary under the name
// runs.post-entrypoint gives it: a symbolic link, as in the image.
func postEntrypoint(s Step) (string, error) {
	name := path.Base(s.Metadata.Runs.PostEntrypoint)
	if s.Metadata.Runs.PostEntrypoint == "" || name == path.Base(s.Binary) {
		return "", fmt.Errorf("action.yml has no runs.post-entrypoint other than the main entrypoint")
	}
	abs, err := filepath.Abs(s.Binary)
	if err != nil {
		return "", err
	}
	link := filepath.Join(s.Dir, name)
	if err := os.Symlink(abs, link); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	return link, nil
}

// ParseOutputs reads a GITHUB_OUTPUT file as the runner does on Linux
// (actions/runner FileCommandManager): lines end at "\n" alone, so a
// carriage return is part of the text; empty lines are skipped; a line is
// name=value, or name<<DELIMITER starting a value that runs to the first
// line equal to DELIMITER, without the line break before it. A name
// written twice is an error: the runner would keep the last, hiding a
// forged value.
func ParseOutputs(r io.Reader) (map[string]string, error) {
	return parseFileCommand(r, false)
}

// ParseEnv reads a GITHUB_ENV file as the runner does: as ParseOutputs,
// but a later line for a name replaces an earlier one.
func ParseEnv(r io.Reader) (map[string]string, error) {
	return parseFileCommand(r, true)
}

// parseFileCommand reads a GITHUB_OUTPUT, GITHUB_ENV or GITHUB_STATE file;
// in the last two a later line for a name replaces an earlier one.
func parseFileCommand(r io.Reader, dupOK bool) (map[string]string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	set := func(name, v string) error {
		if _, dup := out[name]; dup && !dupOK {
			return fmt.Errorf("output %s written twice", name)
		}
		out[name] = v
		return nil
	}
	lines := strings.SplitAfter(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSuffix(lines[i], "\n")
		if line == "" {
			continue
		}
		eq, heredoc := strings.Index(line, "="), strings.Index(line, "<<")
		if eq >= 0 && (heredoc < 0 || eq < heredoc) {
			if err := set(line[:eq], line[eq+1:]); err != nil {
				return nil, err
			}
			continue
		}
		if heredoc < 0 {
			return nil, fmt.Errorf("malformed output line %q", line)
		}
		name, delim := line[:heredoc], line[heredoc+2:]
		if name == "" || delim == "" {
			return nil, fmt.Errorf("output line %q has no name or no delimiter", line)
		}
		var val strings.Builder
		closed := false
		for i++; i < len(lines); i++ {
			if strings.TrimSuffix(lines[i], "\n") == delim {
				closed = true
				break
			}
			if !strings.HasSuffix(lines[i], "\n") {
				break // the runner fails on a last line without its line break
			}
			val.WriteString(lines[i])
		}
		if !closed {
			return nil, fmt.Errorf("output %s: delimiter %s never closes", name, delim)
		}
		if err := set(name, strings.TrimSuffix(val.String(), "\n")); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Job runs the steps of one job in order, as the runner does: what a
// step writes to GITHUB_ENV reaches every later step, a failed step makes
// ${{ job.status }} failure, and Post runs, last first, the post step of
// every step of the action (its post-if is always()), with the inputs
// evaluated again and the STATE_* its main step saved.
type Job struct {
	Binary   string
	Metadata *Metadata
	Env      map[string]string // the context
	Token    string
	Dir      string
	// Container, when set, runs every step as a docker run of its image.
	Container *Container
	// Status is ${{ job.status }} so far: "" (success), failure or
	// cancelled. Run sets it to failure when a step fails; a test sets
	// cancelled to cancel the job.
	Status string

	steps int
	env   map[string]string // from GITHUB_ENV
	posts []Step
}

// Run runs one step of the action with the given with:.
func (j *Job) Run(ctx context.Context, with map[string]string) (Result, error) {
	s := j.step(with)
	r, err := Run(ctx, s)
	if err != nil {
		return r, err
	}
	j.after(r)
	if j.Metadata.Runs.PostEntrypoint != "" {
		s.Post, s.State = true, r.State
		j.posts = append(j.posts, s)
	}
	return r, nil
}

// Post ends the job: it runs the post steps, last first.
func (j *Job) Post(ctx context.Context) ([]Result, error) {
	var out []Result
	for i := len(j.posts) - 1; i >= 0; i-- {
		s := j.step(j.posts[i].With)
		s.Post, s.State = true, j.posts[i].State
		r, err := Run(ctx, s)
		if err != nil {
			return out, err
		}
		j.after(r)
		out = append(out, r)
	}
	j.posts = nil
	return out, nil
}

// SetEnv writes name=value to GITHUB_ENV as another step of the job (a
// run: step, say) would: the later steps get it.
func (j *Job) SetEnv(name, value string) {
	if j.env == nil {
		j.env = map[string]string{}
	}
	j.env[name] = value
}

func (j *Job) step(with map[string]string) Step {
	j.steps++
	dir := filepath.Join(j.Dir, fmt.Sprintf("step%d", j.steps))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		panic(err) // a test's temporary directory
	}
	env := map[string]string{}
	for k, v := range j.Env {
		env[k] = v
	}
	for k, v := range j.env {
		env[k] = v
	}
	return Step{Binary: j.Binary, Metadata: j.Metadata, With: with, Env: env, Token: j.Token, JobStatus: j.Status, Dir: dir, Container: j.Container}
}

func (j *Job) after(r Result) {
	if j.env == nil {
		j.env = map[string]string{}
	}
	for k, v := range r.Env {
		j.env[k] = v
	}
	if r.Code != 0 && j.Status == "" {
		j.Status = "failure"
	}
}
