package runner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOutputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{"plain lines", "a=1\nb=x=y\n", map[string]string{"a": "1", "b": "x=y"}, ""},
		{"heredoc", "a<<EOF\nline 1\nline 2\nEOF\nb=2\n", map[string]string{"a": "line 1\nline 2", "b": "2"}, ""},
		{"empty heredoc", "a<<D\n\nD\n", map[string]string{"a": ""}, ""},
		{"unclosed heredoc", "a<<EOF\nvalue\n", nil, "never closes"},
		{"duplicate name", "a=1\na=2\n", nil, "written twice"},
		{"malformed", "garbage\n", nil, "malformed"},
		{"a carriage return is part of a value", "a<<D\none\r\nD\r\nD\n", map[string]string{"a": "one\r\nD\r"}, ""},
		{"a delimiter line with a carriage return does not close", "a<<D\nx\nD\r\n", nil, "never closes"},
		{"lines of newlines", "a<<D\n\n\n\nD\n", map[string]string{"a": "\n\n"}, ""},
		{"the delimiter may end the file", "a<<D\nx\nD", map[string]string{"a": "x"}, ""},
		{"a value line must end with its line break", "a<<D\nx", nil, "never closes"},
		{"heredoc without a name", "<<D\nx\nD\n", nil, "no name"},
		{"heredoc without a delimiter", "a<<\nx\n\n", nil, "no delimiter"},
		{"= before << is a plain line", "a=b<<c\n", map[string]string{"a": "b<<c"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseOutputs(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnviron(t *testing.T) {
	t.Parallel()
	def := "completed"
	tok := "${{ github.token }}"
	m := &Metadata{Inputs: map[string]Input{"api-key": {}, "status": {Default: &def}, "github-token": {Default: &tok}}}
	js := "${{ job.status }}"
	m.Inputs["job-status"] = Input{Default: &js}
	env, files, err := Step{Metadata: m, With: map[string]string{"api-key": "k"}, Env: map[string]string{"GITHUB_SHA": "s", "UNSET": ""},
		Token: "t", JobStatus: "cancelled", State: map[string]string{"k": "v"}, Dir: t.TempDir()}.Environ()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"GITHUB_ENV=" + files["GITHUB_ENV"], "GITHUB_OUTPUT=" + files["GITHUB_OUTPUT"], "GITHUB_SHA=s", "GITHUB_STATE=" + files["GITHUB_STATE"],
		"GITHUB_STEP_SUMMARY=" + files["GITHUB_STEP_SUMMARY"], "INPUT_API-KEY=k", "INPUT_GITHUB-TOKEN=t", "INPUT_JOB-STATUS=cancelled", "INPUT_STATUS=completed", "STATE_k=v"}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("Environ() (-want +got):\n%s", diff)
	}
	if _, _, err := (Step{Metadata: m, With: map[string]string{"nope": "x"}}).Environ(); err == nil {
		t.Error("an undeclared input was accepted")
	}
}
