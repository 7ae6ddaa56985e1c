package report

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

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

	outs := r.Outputs()
	for i := range outs {
		outs[i].Value = r.Secrets.Redact(outs[i].Value)
	}
	if err := SetOutputs(a, outs...); err != nil {
		return err
	}
	if a.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return nil
	}
	return fileCommand(a, "step-summary", r.Summary())
}

// SetOutputs writes the outputs with a fresh random heredoc delimiter
// each, so a value can never end its own entry early and forge another
// output (go-githubactions uses one fixed delimiter). They go in one
// append to GITHUB_OUTPUT: the library opens and closes the file for every
// command, and a step has a dozen outputs.
func SetOutputs(a *githubactions.Action, outs ...Output) error {
	if a.Getenv("GITHUB_OUTPUT") == "" {
		for _, o := range outs {
			if o.Value != "" {
				Printf(a, "output %s=%s", o.Name, o.Value)
			}
		}
		return nil
	}
	entries := make([]string, len(outs))
	for i, o := range outs {
		delim := delimiter()
		for strings.Contains(o.Value, delim) {
			delim = delimiter()
		}
		entries[i] = o.Name + "<<" + delim + "\n" + o.Value + "\n" + delim
	}
	return fileCommand(a, "output", strings.Join(entries, "\n"))
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

// Printf prints one line of the log. Line breaks in what it prints are
// escaped, so text from outside can never begin a line, and so can never
// start a workflow command.
func Printf(a *githubactions.Action, format string, args ...any) {
	a.Infof("%s", lineEscaper.Replace(fmt.Sprintf(format, args...)))
}

var lineEscaper = strings.NewReplacer("\r", `\r`, "\n", `\n`)
