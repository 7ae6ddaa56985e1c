// Package runner starts the action's binary the way the GitHub runner
// starts a container action, for the end-to-end tests, the demo and the
// benchmarks: one INPUT_<NAME> variable per input declared in action.yml
// (the workflow's value, else the declared default, else empty, hyphens
// kept), the GITHUB_* context, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY
// files that it reads back afterwards.
package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
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
		Using string `yaml:"using"`
		Image string `yaml:"image"`
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
	Dir      string            // where the file-command files go
	NoFiles  bool              // no GITHUB_OUTPUT / GITHUB_STEP_SUMMARY, as outside a runner
}

// Result is what a step left behind.
type Result struct {
	Code    int
	Stdout  string
	Stderr  string
	Outputs map[string]string
	Summary string
	Took    time.Duration
	// MaxRSS is the child's peak resident set size in bytes, where the
	// platform reports it.
	MaxRSS int64
}

// Environ returns the environment the runner would give the step, and
// the paths of its output and summary files.
func (s Step) Environ() (env []string, outputFile, summaryFile string, err error) {
	for name := range s.With {
		if _, ok := s.Metadata.Inputs[name]; !ok {
			return nil, "", "", fmt.Errorf("the step sets input %q, which action.yml does not declare", name)
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
		}
		if got, ok := s.With[name]; ok {
			v = got
		}
		m["INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_"))] = v
	}
	if !s.NoFiles {
		outputFile, summaryFile = filepath.Join(s.Dir, "output"), filepath.Join(s.Dir, "step_summary")
		for _, f := range []string{outputFile, summaryFile} {
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				return nil, "", "", err
			}
		}
		m["GITHUB_OUTPUT"], m["GITHUB_STEP_SUMMARY"] = outputFile, summaryFile
	}
	for k, v := range m {
		if v != "" || strings.HasPrefix(k, "INPUT_") {
			env = append(env, k+"="+v)
		}
	}
	sort.Strings(env)
	return env, outputFile, summaryFile, nil
}

// Run runs the step and reads back what it left.
func Run(ctx context.Context, s Step) (Result, error) {
	env, outFile, sumFile, err := s.Environ()
	if err != nil {
		return Result{}, err
	}
	cmd := exec.CommandContext(ctx, s.Binary)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String(), Took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		return r, fmt.Errorf("running %s: %w", s.Binary, err)
	}
	r.MaxRSS = maxRSS(cmd.ProcessState)
	if s.NoFiles {
		return r, nil
	}
	f, err := os.Open(outFile)
	if err != nil {
		return r, err
	}
	defer f.Close()
	if r.Outputs, err = ParseOutputs(f); err != nil {
		return r, err
	}
	b, err := os.ReadFile(sumFile)
	r.Summary = string(b)
	return r, err
}

// ParseOutputs reads a GITHUB_OUTPUT file as the runner does on Linux
// (actions/runner FileCommandManager): lines end at "\n" alone, so a
// carriage return is part of the text; empty lines are skipped; a line is
// name=value, or name<<DELIMITER starting a value that runs to the first
// line equal to DELIMITER, without the line break before it. A name
// written twice is an error: the runner would keep the last, hiding a
// forged value.
func ParseOutputs(r io.Reader) (map[string]string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	set := func(name, v string) error {
		if _, dup := out[name]; dup {
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
