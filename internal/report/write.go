package report

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"github.com/sethvargo/go-githubactions"
)

// Write leaves the report behind: annotations on stdout, the outputs in
// GITHUB_OUTPUT and the summary in GITHUB_STEP_SUMMARY. Outside a runner
// (those variables unset) it prints the outputs and skips the summary.
func Write(a *githubactions.Action, r *Report) error {
	for _, w := range r.warnings() {
		a.Warningf("%s", w)
	}
	if pe := r.Preflight(); pe != nil {
		a.WithFieldsMap(map[string]string{"title": "Deployment blocked by Versioner"}).Errorf("%s", pe.Error())
	} else if r.FailOnAPIError && r.VersionerErr != nil {
		a.WithFieldsMap(map[string]string{"title": "Versioner"}).Errorf("%s", r.VersionerErr.Error())
	}
	if r.FailOnAPIError && r.GitHubErr != nil {
		a.WithFieldsMap(map[string]string{"title": "GitHub deployment"}).Errorf("%s", r.GitHubErr.Error())
	}

	for _, o := range r.Outputs() {
		if err := SetOutput(a, o.Name, r.Secrets.Redact(o.Value)); err != nil {
			return err
		}
	}
	if a.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return nil
	}
	return fileCommand(a, "step-summary", r.Summary())
}

// SetOutput writes one output with a fresh random heredoc delimiter, so a
// value can never end its own entry early and forge another output
// (go-githubactions uses one fixed delimiter).
func SetOutput(a *githubactions.Action, name, value string) error {
	if a.Getenv("GITHUB_OUTPUT") == "" {
		if value != "" {
			Printf(a, "output %s=%s", name, value)
		}
		return nil
	}
	delim := delimiter()
	for strings.Contains(value, delim) {
		delim = delimiter()
	}
	return fileCommand(a, "output", name+"<<"+delim+"\n"+value+"\n"+delim)
}

func delimiter() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "ghadelimiter_" + hex.EncodeToString(b)
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
