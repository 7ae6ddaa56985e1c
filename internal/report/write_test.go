package report_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/report"
	ghrunner "github.com/deploytrack/deploytrack/internal/runner"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

// runner is a fake runner: the step's environment with GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files in a temporary directory, and its stdout.
type runner struct {
	env     map[string]string
	stdout  bytes.Buffer
	output  string
	summary string
}

func newRunner(t *testing.T) *runner {
	t.Helper()
	dir := t.TempDir()
	r := &runner{output: filepath.Join(dir, "set_output"), summary: filepath.Join(dir, "step_summary")}
	for _, p := range []string{r.output, r.summary} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.env = map[string]string{"GITHUB_OUTPUT": r.output, "GITHUB_STEP_SUMMARY": r.summary}
	return r
}

func (r *runner) action() *githubactions.Action {
	return githubactions.New(
		githubactions.WithGetenv(func(k string) string { return r.env[k] }),
		githubactions.WithWriter(&r.stdout),
	)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// parseOutputs reads a GITHUB_OUTPUT file as the runner does.
func parseOutputs(t *testing.T, text string) map[string]string {
	t.Helper()
	out, err := ghrunner.ParseOutputs(strings.NewReader(text))
	if err != nil {
		t.Fatalf("the runner would fail on the output file: %v\n%q", err, text)
	}
	return out
}

// wantOutputs is every output of r, as the runner would read them.
func wantOutputs(r *report.Report) map[string]string {
	m := map[string]string{}
	for _, o := range r.Outputs() {
		m[o.Name] = o.Value
	}
	return m
}

func TestWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		r          *report.Report
		wantStdout []string
	}{
		{
			name: "deployment",
			r:    deployed(),
		},
		{
			name: "build",
			r:    built(),
		},
		{
			name: "warnings become annotations",
			r: edit(deployed(), func(r *report.Report) {
				r.Warnings = []string{"input api_key is deprecated: use api-key"}
				r.Versioner.Warnings = []versioner.Rule{{Name: "Soak", Status: "report_only", EvaluationResult: "failed", Message: "10m of 1h"}}
			}),
			wantStdout: []string{
				"::warning::input api_key is deprecated: use api-key",
				`::warning::Versioner rule "Soak" (report only) failed: 10m of 1h`,
			},
		},
		{
			name: "preflight is an error whatever fail-on-api-error says",
			r: edit(deployed(), func(r *report.Report) {
				r.VersionerErr = blocked()
				r.FailOnAPIError, r.FailOnGitHubError = false, false
			}),
			wantStdout: []string{
				`::error title=Deployment blocked by Versioner::Versioner blocked the deployment (NO_DEPLOY_WINDOW) by rule "Weekend freeze": Deployments to production are frozen; retry after 2024-05-06T08:00:00Z`,
			},
		},
		{
			name: "API errors are errors",
			r: edit(deployed(), func(r *report.Report) {
				r.VersionerErr = errors.New("Versioner answered 500")
				r.GitHubErr = errors.New("GitHub answered 403: add `permissions: deployments: write`")
			}),
			wantStdout: []string{
				"::error title=Versioner::Versioner answered 500",
				"::error title=GitHub deployment::GitHub answered 403: add `permissions: deployments: write`",
			},
		},
		{
			name: "API errors are warnings when fail-on-api-error is false",
			r: edit(deployed(), func(r *report.Report) {
				r.VersionerErr = errors.New("Versioner answered 500")
				r.GitHubErr = errors.New("GitHub answered 500")
				r.FailOnAPIError, r.FailOnGitHubError = false, false
			}),
			wantStdout: []string{
				"::warning::Versioner: Versioner answered 500 (fail-on-api-error is false)",
				"::warning::GitHub answered 500 (fail-on-api-error is false)",
			},
		},
		{
			name: "annotation text cannot start a line",
			r: edit(deployed(), func(r *report.Report) {
				r.Warnings = []string{"a\n::error::forged\r\n::add-mask::x 100%"}
			}),
			wantStdout: []string{
				"::warning::a%0A::error::forged%0D%0A::add-mask::x 100%25",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := newRunner(t)
			if err := report.Write(run.action(), tt.r); err != nil {
				t.Fatalf("Write() error = %v", err)
			}
			if diff := cmp.Diff(wantOutputs(tt.r), parseOutputs(t, readFile(t, run.output))); diff != "" {
				t.Errorf("outputs mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.r.Summary()+"\n", readFile(t, run.summary)); diff != "" {
				t.Errorf("summary file mismatch (-want +got):\n%s", diff)
			}
			var got []string
			if s := strings.TrimSuffix(run.stdout.String(), "\n"); s != "" {
				got = strings.Split(s, "\n")
			}
			if diff := cmp.Diff(tt.wantStdout, got); diff != "" {
				t.Errorf("stdout mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Values may hold newlines and lines that look like delimiters: each
// output gets a fresh delimiter, so no value can end its entry early and
// set another output.
func TestSetOutputsCannotForge(t *testing.T) {
	t.Parallel()
	forgeries := []struct {
		name  string
		value string
	}{
		{name: "newline and name=value", value: "dep-1\nproduct-id=forged"},
		{name: "go-githubactions' fixed delimiter", value: "dep-1\n_GitHubActionsFileCommandDelimeter_\nproduct-id=forged\nstatus<<_GitHubActionsFileCommandDelimeter_\nforged"},
		{name: "a guessed random delimiter", value: "dep-1\nghadelimiter_00000000000000000000000000000000\nproduct-id<<EOF\nforged\nEOF"},
		{name: "CRLF lines", value: "dep-1\r\nghadelimiter_00000000000000000000000000000000\r\nproduct-id=forged\r\n"},
		{name: "EOF", value: "EOF\nproduct-id=forged\nEOF"},
		{name: "empty", value: ""},
		{name: "just newlines", value: "\n\n"},
	}
	for _, tt := range forgeries {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := newRunner(t)
			r := deployed()
			r.Versioner.ID = tt.value
			r.Versioner.ProductID = ""
			if err := report.Write(run.action(), r); err != nil {
				t.Fatalf("Write() error = %v", err)
			}
			got := parseOutputs(t, readFile(t, run.output))
			want := wantOutputs(r)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("outputs mismatch (-want +got):\n%s\nfile:\n%s", diff, readFile(t, run.output))
			}
		})
	}
}

// Outside a runner GITHUB_OUTPUT is unset: go-githubactions would panic,
// the action prints the outputs instead and skips the summary.
func TestWriteOutsideRunner(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	a := githubactions.New(githubactions.WithGetenv(func(string) string { return "" }), githubactions.WithWriter(&stdout))
	r := deployed()
	r.Versioner.VersionID = "v-1\n::error::forged"
	if err := report.Write(a, r); err != nil {
		t.Fatalf("Write() error = %v", err)
	}
	want := []string{
		"output deployment-id=8d1f5c2e-0000-4000-8000-000000000001",
		`output version-id=v-1\n::error::forged`,
		"output product-id=p-1",
		"output environment-id=env-1",
		"output github-deployment-id=42",
		"output github-deployment-source=deploytrack",
		"output status=completed",
		"output deployment_id=8d1f5c2e-0000-4000-8000-000000000001",
		`output version_id=v-1\n::error::forged`,
		"output product_id=p-1",
		"output environment_id=env-1",
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")); diff != "" {
		t.Errorf("stdout mismatch (-want +got):\n%s", diff)
	}
}

// GITHUB_OUTPUT is set but GITHUB_STEP_SUMMARY is not: outputs are
// written, the summary skipped.
func TestWriteWithoutSummary(t *testing.T) {
	t.Parallel()
	run := newRunner(t)
	delete(run.env, "GITHUB_STEP_SUMMARY")
	if err := report.Write(run.action(), deployed()); err != nil {
		t.Fatalf("Write() error = %v", err)
	}
	if diff := cmp.Diff(wantOutputs(deployed()), parseOutputs(t, readFile(t, run.output))); diff != "" {
		t.Errorf("outputs mismatch (-want +got):\n%s", diff)
	}
	if got := readFile(t, run.summary); got != "" {
		t.Errorf("summary file = %q, want it untouched", got)
	}
}

// A file the runner gave that cannot be written is an error, not a panic.
func TestWriteUnwritable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     func(run *runner, missing string)
		wantErr string
	}{
		{name: "outputs", env: func(run *runner, missing string) { run.env["GITHUB_OUTPUT"] = missing }, wantErr: "could not write the output file: "},
		{name: "summary", env: func(run *runner, missing string) { run.env["GITHUB_STEP_SUMMARY"] = missing }, wantErr: "could not write the step-summary file: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := newRunner(t)
			tt.env(run, filepath.Join(t.TempDir(), "no", "such", "dir", "file"))
			err := report.Write(run.action(), deployed())
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("Write() error = %v, want it to start %q", err, tt.wantErr)
			}
		})
	}
}

// The step that posted to the job's own deployment hands it to the job's
// later steps in GITHUB_ENV; a step that used its own writes nothing there.
func TestWriteHandoff(t *testing.T) {
	t.Parallel()
	for _, job := range []bool{true, false} {
		run := newRunner(t)
		env := filepath.Join(t.TempDir(), "env")
		if err := os.WriteFile(env, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		run.env["GITHUB_ENV"] = env
		r := edit(deployed(), func(r *report.Report) { r.GitHub.Job = job })
		if err := report.Write(run.action(), r); err != nil {
			t.Fatalf("Write() error = %v", err)
		}
		want := map[string]string{}
		if job {
			want[deployments.HandoffVar(r.Event)] = "42"
		}
		if diff := cmp.Diff(want, parseOutputs(t, readFile(t, env))); diff != "" {
			t.Errorf("job %v: GITHUB_ENV mismatch (-want +got):\n%s", job, diff)
		}
	}
}
