package workflow_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/redact/redacttest"
	ghrunner "github.com/deploytrack/deploytrack/internal/runner"
	"github.com/deploytrack/deploytrack/internal/workflow"
)

// runner is a fake runner: the step's environment with a GITHUB_OUTPUT
// file in a temporary directory, and its stdout.
type runner struct {
	env    map[string]string
	stdout bytes.Buffer
	output string
}

func newRunner(t *testing.T) *runner {
	t.Helper()
	r := &runner{output: filepath.Join(t.TempDir(), "set_output")}
	if err := os.WriteFile(r.output, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r.env = map[string]string{"GITHUB_OUTPUT": r.output}
	return r
}

func (r *runner) action() *githubactions.Action {
	return githubactions.New(
		githubactions.WithGetenv(func(k string) string { return r.env[k] }),
		githubactions.WithWriter(&r.stdout),
	)
}

// outputs reads the GITHUB_OUTPUT file as the runner does.
func (r *runner) outputs(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(r.output)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, err := ghrunner.ParseOutputs(f)
	if err != nil {
		t.Fatalf("the runner would fail on the output file: %v", err)
	}
	return out
}

// seeds returns the hostile strings of testdata/hostile.json.
func seeds(f *testing.F) []string {
	f.Helper()
	ss, err := ghrunner.Hostile("../../testdata/hostile.json")
	if err != nil {
		f.Fatal(err)
	}
	return ss
}

func TestSetOutputsFreshDelimiter(t *testing.T) {
	t.Parallel()
	run := newRunner(t)
	a := run.action()
	if err := workflow.SetOutputs(a, nil, workflow.Entry{Name: "x", Value: "one"}, workflow.Entry{Name: "y", Value: "two"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(run.output)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	// x<<D1, one, D1, y<<D2, two, D2, ""
	if len(lines) != 7 {
		t.Fatalf("output file has %d lines, want 7:\n%q", len(lines), lines)
	}
	if strings.TrimPrefix(lines[0], "x") == strings.TrimPrefix(lines[3], "y") {
		t.Errorf("two outputs share the delimiter %q", lines[0])
	}
	if diff := cmp.Diff(map[string]string{"x": "one", "y": "two"}, run.outputs(t)); diff != "" {
		t.Errorf("outputs mismatch (-want +got):\n%s", diff)
	}
}

// Printf never lets text start a line, so it cannot start a workflow
// command (the runner reads a command from any line that begins with ::
// after leading spaces).
func TestPrintf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		format string
		args   []any
		want   string
	}{
		{name: "plain", format: "output %s=%s", args: []any{"status", "completed"}, want: "output status=completed\n"},
		{name: "newline command", format: "value: %s", args: []any{"\n::error::x"}, want: `value: \n::error::x` + "\n"},
		{name: "carriage return command", format: "value: %s", args: []any{"\r::error::x"}, want: `value: \r::error::x` + "\n"},
		{name: "CRLF command", format: "value: %s", args: []any{"a\r\n::add-mask::x"}, want: `value: a\r\n::add-mask::x` + "\n"},
		{name: "indented command", format: "value: %s", args: []any{"a\n   ::error::x"}, want: `value: a\n   ::error::x` + "\n"},
		{name: "stop-commands", format: "%s", args: []any{"x\n::stop-commands::tok\n::error::y"}, want: `x\n::stop-commands::tok\n::error::y` + "\n"},
		{name: "text first on the line", format: "%s: recorded", args: []any{"::error::x"}, want: "\\::error::x: recorded\n"},
		{name: "text first after spaces", format: "%s", args: []any{"  \t::warning::x"}, want: "\\  \t::warning::x\n"},
		{name: "legacy command anywhere", format: "product %s", args: []any{"shop##[warning]x"}, want: "product shop##\\[warning]x\n"},
		{name: "percent is kept", format: "%s", args: []any{"100%"}, want: "100%\n"},
		{name: "format verbs in values are not read", format: "%s", args: []any{"%s %d %!"}, want: "%s %d %!\n"},
		{name: "newline in the format", format: "a\n%s", args: []any{"b"}, want: `a\nb` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			a := githubactions.New(githubactions.WithGetenv(func(string) string { return "" }), githubactions.WithWriter(&buf))
			workflow.Printf(a, tt.format, tt.args...)
			got := buf.String()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("workflow.Printf() mismatch (-want +got):\n%s", diff)
			}
			if n := strings.Count(got, "\n"); n != 1 || strings.Contains(got, "\r") {
				t.Errorf("workflow.Printf() wrote %q: want exactly one line", got)
			}
			for _, line := range strings.Split(got, "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "::") {
					t.Errorf("workflow.Printf() wrote a line that starts a workflow command: %q", line)
				}
			}
		})
	}
}

// FuzzSetOutput writes one value and reads the file back as the runner
// does: the value comes back exactly, and no other output appears.
func FuzzSetOutput(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if !utf8.ValidString(value) {
			t.Skip("the runner reads the file as UTF-8; values are API ids, valid UTF-8")
		}
		run := newRunner(t)
		a := run.action()
		for _, name := range []string{"deployment-id", "status"} {
			if err := workflow.SetOutputs(a, nil, workflow.Entry{Name: name, Value: value}); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(map[string]string{"deployment-id": value, "status": value}, run.outputs(t)); diff != "" {
			t.Errorf("outputs as the runner reads them (-want +got):\n%s", diff)
		}
	})
}

// FuzzPrintf prints untrusted text as a line of the log: one line, never
// a workflow command, whatever the text and wherever it sits in the line.
func FuzzPrintf(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, args := range [][]any{{"%s", s}, {"output deployment-id=%s", s}, {"%s%s", s, s}} {
			format := args[0].(string)
			var out bytes.Buffer
			a := githubactions.New(githubactions.WithGetenv(func(string) string { return "" }), githubactions.WithWriter(&out))
			workflow.Printf(a, format, args[1:]...)
			if n := strings.Count(out.String(), "\n"); n != 1 {
				t.Fatalf("workflow.Printf(%q, %q) wrote %d lines: %q", format, s, n, out.String())
			}
			for _, p := range ghrunner.CheckLog(out.String(), nil) {
				t.Error(p)
			}
		}
	})
}

// TestFilesRedactSecrets writes a value echoing a secret, in each form an
// API may echo it in, to each runner file: the files hold none of its
// forms, the summary shows the markdown mask, and the other text stays.
func TestFilesRedactSecrets(t *testing.T) {
	t.Parallel()
	const key, token = "sk_acme_1+s3cr/t=v4lu3", "ghs_t0k3n+/v4lu3="
	ss := redact.New(key, token)
	forms := redacttest.Of(key, token)
	for _, f := range forms {
		t.Run(f.Name+" of "+f.Secret, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := map[string]string{}
			for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"} {
				env[name] = filepath.Join(dir, name)
				if err := os.WriteFile(env[name], nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			a := githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }), githubactions.WithWriter(io.Discard))
			value := "https://shop.example.com/?key=" + f.Text + "&x=1"
			for _, err := range []error{
				workflow.SetOutputs(a, ss, workflow.Entry{Name: "results", Value: value}),
				workflow.SetEnv(a, ss, workflow.Entry{Name: "DEPLOYTRACK_X", Value: value}),
				workflow.SaveState(a, ss, "deploytrack", value),
				workflow.AppendSummary(a, ss, "| Environment URL | "+value+" |"),
			} {
				if err != nil {
					t.Fatal(err)
				}
			}
			for file, name := range map[string]string{"GITHUB_OUTPUT": "results", "GITHUB_ENV": "DEPLOYTRACK_X", "GITHUB_STATE": "deploytrack"} {
				b, err := os.ReadFile(env[file])
				if err != nil {
					t.Fatal(err)
				}
				got, err := ghrunner.ParseOutputs(bytes.NewReader(b))
				if err != nil {
					t.Fatalf("the runner would fail on %s: %v", file, err)
				}
				if want := "https://shop.example.com/?key=***&x=1"; got[name] != want {
					t.Errorf("%s: %s = %q, want %q", file, name, got[name], want)
				}
				for _, p := range redacttest.Shows(string(b), forms) {
					t.Errorf("%s shows %s", file, p)
				}
			}
			b, err := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
			if err != nil {
				t.Fatal(err)
			}
			if want := "| Environment URL | https://shop.example.com/?key=\\*\\*\\*&x=1 |\n"; string(b) != want {
				t.Errorf("summary = %q, want %q", b, want)
			}
		})
	}
}

// TestSetOutputsOutsideRunnerRedacts: outside a runner the outputs are
// printed, redacted even when stdout is not.
func TestSetOutputsOutsideRunnerRedacts(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	a := githubactions.New(githubactions.WithGetenv(func(string) string { return "" }), githubactions.WithWriter(&out))
	if err := workflow.SetOutputs(a, redact.New("sk_acme_1+s3cr/t=v4lu3"), workflow.Entry{Name: "results", Value: `{"error":"bad key sk_acme_1%2Bs3cr%2Ft%3Dv4lu3"}`}); err != nil {
		t.Fatal(err)
	}
	if want := `output results={"error":"bad key ***"}` + "\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
}
