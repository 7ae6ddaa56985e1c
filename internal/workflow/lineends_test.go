package workflow_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"

	ghrunner "github.com/deploytrack/deploytrack/internal/runner"
	"github.com/deploytrack/deploytrack/internal/workflow"
)

// The native variant runs the binary on Windows too, where two things
// about the runner's files change:
//
//   - go-githubactions ends every file command with "\r\n" there
//     (eof_crlf.go, built for windows) and with "\n" elsewhere (eof_lf.go);
//     our own entries break their lines with "\n" on every system.
//   - The runner reads them (actions/runner src/Runner.Worker/
//     FileCommandManager.cs, SetEnvFileCommand.ReadLine, the same for
//     GITHUB_OUTPUT and GITHUB_STATE) line by line, a line ending at the
//     first "\n"; built for Windows (#if OS_WINDOWS) a "\r" before that
//     "\n" belongs to the line break, elsewhere to the text. A heredoc
//     value is the text between the NAME<<DELIMITER line and the line
//     equal to DELIMITER, less the line break before it, as written.
//
// readFileCommands is that reader, for either system, so that the test
// can read on Linux what the runner reads on Windows. The one value it
// cannot carry on Windows is one that ends in "\r", which the step never
// writes (ids, status words and JSON).
func readFileCommands(text string, windows bool) (map[string]string, error) {
	readLine := func(i *int) (line, newline string, ok bool) {
		if *i >= len(text) {
			return "", "", false
		}
		start := *i
		lf := strings.Index(text[start:], "\n")
		if lf < 0 {
			*i = len(text)
			return text[start:], "", true
		}
		lf += start
		if windows && lf > start && text[lf-1] == '\r' {
			*i = lf + 1
			return text[start : lf-1], "\r\n", true
		}
		*i = lf + 1
		return text[start:lf], "\n", true
	}
	out := map[string]string{}
	i := 0
	for {
		line, _, ok := readLine(&i)
		if !ok {
			return out, nil
		}
		if line == "" {
			continue
		}
		eq, heredoc := strings.Index(line, "="), strings.Index(line, "<<")
		if eq >= 0 && (heredoc < 0 || eq < heredoc) {
			out[line[:eq]] = line[eq+1:]
			continue
		}
		if heredoc < 0 || heredoc == 0 || heredoc+2 == len(line) {
			return nil, fmt.Errorf("invalid line %q", line)
		}
		name, delim := line[:heredoc], line[heredoc+2:]
		start, end := i, i
		for {
			l, newline, ok := readLine(&i)
			if !ok {
				return nil, fmt.Errorf("%s: delimiter %s not found", name, delim)
			}
			if l == delim {
				break
			}
			end = i - len(newline)
		}
		out[name] = text[start:end]
	}
}

// TestFileCommandsReadOnEverySystem writes values with every kind of line
// break through SetOutputs, SetEnv and SaveState, and reads the file as
// the runner does on Linux and macOS and as it does on Windows, with the
// command ended as go-githubactions ends it on each.
func TestFileCommandsReadOnEverySystem(t *testing.T) {
	t.Parallel()
	values := []string{
		"", "plain", "  spaces kept  ", "two\nlines", "windows\r\nlines", "ends with a line break\n",
		"ends with a windows line break\r\n", "\n\nblank lines\n\n", "mixed\r\nline\nbreaks\r\n\r\n",
		`{"results": {"api": {"ok": true}}}`, "name<<EOF\nEOF", "x=y",
	}
	hostile, err := ghrunner.Hostile("../../testdata/hostile.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hostile {
		if !strings.HasSuffix(h, "\r") {
			values = append(values, h)
		}
	}
	entries := make([]workflow.Entry, len(values))
	want := map[string]string{}
	for i, v := range values {
		entries[i] = workflow.Entry{Name: fmt.Sprintf("value_%d", i), Value: v}
		want[entries[i].Name] = v
	}
	// Each writer issues file commands: one for all the outputs, one for
	// all the variables, one per state.
	writers := []struct {
		name, file string
		write      func(a *githubactions.Action) []error
	}{
		{"outputs", "GITHUB_OUTPUT", func(a *githubactions.Action) []error {
			return []error{workflow.SetOutputs(a, nil, entries...)}
		}},
		{"env", "GITHUB_ENV", func(a *githubactions.Action) []error { return []error{workflow.SetEnv(a, nil, entries...)} }},
		{"state", "GITHUB_STATE", func(a *githubactions.Action) []error {
			var errs []error
			for _, e := range entries {
				errs = append(errs, workflow.SaveState(a, nil, e.Name, e.Value))
			}
			return errs
		}},
	}
	for _, w := range writers {
		run := newRunner(t)
		run.env[w.file] = run.output
		errs := w.write(run.action())
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		b, err := os.ReadFile(run.output)
		if err != nil {
			t.Fatal(err)
		}
		unix := string(b)
		// The Windows build ends each command with "\r\n" where this one
		// wrote "\n".
		var windows string
		for _, c := range commandsOf(t, w.name, unix, len(errs)) {
			windows += strings.TrimSuffix(c, "\n") + "\r\n"
		}
		for _, tt := range []struct {
			name    string
			text    string
			windows bool
		}{
			{"written on Linux or macOS, read there", unix, false},
			{"written on Windows, read there", windows, true},
			{"written on Linux, read on Windows", unix, true},
		} {
			t.Run(w.name+"/"+tt.name, func(t *testing.T) {
				got, err := readFileCommands(tt.text, tt.windows)
				if err != nil {
					t.Fatalf("the runner would fail on the file: %v", err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("values written (-) and read back (+) differ:\n%s", diff)
				}
			})
		}
	}
}

// commandsOf splits what n file commands wrote into the commands: each is
// NAME<<DELIMITER lines up to the closing DELIMITER and its line break, and
// a command of several entries joins them with "\n".
func commandsOf(t *testing.T, name, text string, n int) []string {
	t.Helper()
	var entries []string
	rest := text
	for rest != "" {
		first, _, _ := strings.Cut(rest, "\n")
		_, delim, ok := strings.Cut(first, "<<")
		if !ok {
			t.Fatalf("%s: %q does not start an entry", name, first)
		}
		end := strings.Index(rest, "\n"+delim+"\n")
		if end < 0 {
			t.Fatalf("%s: entry %s is not closed", name, first)
		}
		end += len(delim) + 2
		entries = append(entries, rest[:end])
		rest = rest[end:]
	}
	if n == 1 {
		return []string{text}
	}
	if len(entries) != n {
		t.Fatalf("%s: %d commands wrote %d entries", name, n, len(entries))
	}
	return entries
}

// TestReadFileCommandsIsTheRunners checks the reader above against what
// the runner's source says, so that the test above tests the step's files
// and not a lenient reader.
func TestReadFileCommandsIsTheRunners(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		windows bool
		want    map[string]string
		wantErr string
	}{
		{"name=value", "a=1\nb=2\n", false, map[string]string{"a": "1", "b": "2"}, ""},
		{"a carriage return is text on Linux", "a=1\r\n", false, map[string]string{"a": "1\r"}, ""},
		{"and part of the line break on Windows", "a=1\r\n", true, map[string]string{"a": "1"}, ""},
		{"a heredoc keeps its inner breaks", "a<<D\nx\r\ny\nD\n", true, map[string]string{"a": "x\r\ny"}, ""},
		{"a CRLF delimiter line closes on Windows", "a<<D\nx\nD\r\n", true, map[string]string{"a": "x"}, ""},
		{"but not on Linux", "a<<D\nx\nD\r\n", false, nil, "delimiter D not found"},
		{"an empty heredoc", "a<<D\nD\n", false, map[string]string{"a": ""}, ""},
		{"no delimiter", "a<<\n", false, nil, "invalid line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := readFileCommands(tt.text, tt.windows)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
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
