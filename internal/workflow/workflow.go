// Package workflow writes what a step gives the runner: its outputs
// (GITHUB_OUTPUT), the variables and state it hands on (GITHUB_ENV,
// GITHUB_STATE), its summary (GITHUB_STEP_SUMMARY) and lines of its log
// that the runner can never read as a workflow command. It goes through
// go-githubactions, with a fresh delimiter for every value and one append
// per file, and redacts the step's secrets from every value it writes to a
// file: the runner masks a secret in the log only as written, and later
// steps read these files and show the variables in their logs.
package workflow

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/redact"
)

// Entry is one name and value for a runner file: an output, a variable or
// a state.
type Entry struct{ Name, Value string }

// SetOutputs writes the outputs with a fresh random heredoc delimiter
// each, so a value can never end its own entry early and forge another
// output (go-githubactions uses one fixed delimiter). They go in one
// append to GITHUB_OUTPUT: the library opens and closes the file for every
// command, and a step has a dozen outputs. Every value is redacted of ss,
// as in SaveState and SetEnv.
func SetOutputs(a *githubactions.Action, ss *redact.Secrets, outs ...Entry) error {
	if a.Getenv("GITHUB_OUTPUT") == "" {
		for _, o := range outs {
			if o.Value != "" {
				Printf(a, "output %s=%s", o.Name, ss.Redact(o.Value))
			}
		}
		return nil
	}
	entries := make([]string, len(outs))
	for i, o := range outs {
		entries[i] = fileEntry(ss, o.Name, o.Value)
	}
	return fileCommand(a, "output", strings.Join(entries, "\n"))
}

// SaveState hands a value to the step's post phase, which reads it as
// STATE_<name>. Outside a runner it does nothing.
func SaveState(a *githubactions.Action, ss *redact.Secrets, name, value string) error {
	if a.Getenv("GITHUB_STATE") == "" {
		return nil
	}
	return fileCommand(a, "state", fileEntry(ss, name, value))
}

// SetEnv sets variables for the later steps of the job, in one append
// to GITHUB_ENV. Outside a runner it does nothing.
func SetEnv(a *githubactions.Action, ss *redact.Secrets, vars ...Entry) error {
	if a.Getenv("GITHUB_ENV") == "" || len(vars) == 0 {
		return nil
	}
	entries := make([]string, len(vars))
	for i, v := range vars {
		entries[i] = fileEntry(ss, v.Name, v.Value)
	}
	return fileCommand(a, "env", strings.Join(entries, "\n"))
}

// fileEntry is name<<DELIMITER, the value with the secrets redacted and
// the delimiter, as the runner's files take them, with a delimiter the
// value does not hold.
func fileEntry(ss *redact.Secrets, name, value string) string {
	value = ss.Redact(value)
	delim := delimiter()
	for strings.Contains(value, delim) {
		delim = delimiter()
	}
	return name + "<<" + delim + "\n" + value + "\n" + delim
}

func delimiter() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "ghadelimiter_" + hex.EncodeToString(b)
}

// AppendSummary adds markdown to the job summary, with the secrets
// redacted as markdown shows them (\*\*\*). Outside a runner it does
// nothing.
func AppendSummary(a *githubactions.Action, ss *redact.Secrets, markdown string) error {
	if a.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return nil
	}
	return fileCommand(a, "step-summary", ss.Markdown(markdown))
}

// fileCommand appends to a runner file, turning the library's panic on a
// write failure into an error.
func fileCommand(a *githubactions.Action, name, msg string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("could not write the %s file: %v", name, p)
		}
	}()
	a.IssueFileCommand(&githubactions.Command{Name: name, Message: msg})
	return nil
}

// Printf prints one line of the log, which the runner never reads as a
// workflow command, whatever text from outside it holds: line breaks are
// escaped, so no text begins a line of its own; a line that would start
// with "::" (white space aside) starts with a backslash instead; and
// "##[", the older command syntax the runner finds anywhere in a line,
// becomes "##\[".
func Printf(a *githubactions.Action, format string, args ...any) {
	line := lineEscaper.Replace(fmt.Sprintf(format, args...))
	if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") {
		line = `\` + line
	}
	a.Infof("%s", line)
}

var lineEscaper = strings.NewReplacer("\r", `\r`, "\n", `\n`, "##[", `##\[`)
