package report_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/report/summarytest"
	ghrunner "github.com/deploytrack/deploytrack/internal/runner"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

// The fuzz targets below feed untrusted text (inputs, API answers, error
// messages) to everything that writes workflow commands, outputs or the
// summary, and check what the runner would make of it: no panic, no
// workflow command the action did not issue, an output file the runner
// reads back exactly, a summary under GitHub's limit with its tables
// intact, and no secret anywhere the runner shows it. `make fuzz` runs
// them for a while; `make test` runs their seeds.

// seeds returns the hostile strings of testdata/hostile.json.
func seeds(f *testing.F) []string {
	f.Helper()
	ss, err := ghrunner.Hostile("../../testdata/hostile.json")
	if err != nil {
		f.Fatal(err)
	}
	return ss
}

// keyLike reports whether s looks like an API key or a token (letters,
// digits and _-.~+/=, four or more), the secrets the summary's property is
// about: markdown can render other text as a secret. Secrets shorter than
// four bytes are masked by the runner, not redacted by the action.
func keyLike(s string) bool {
	if len(s) < 4 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("_-.~+/=", r)) {
			return false
		}
	}
	return true
}

// checkStdout fails the test on what the runner would make of stdout that
// the action must never print (see runner.CheckLog).
func checkStdout(t *testing.T, stdout string, secrets []string, issued ...string) {
	t.Helper()
	for _, p := range ghrunner.CheckLog(stdout, secrets, issued...) {
		t.Error(p)
	}
}

// rendered approximates the text GitHub shows for a summary: markdown
// escapes and HTML entities undone.
func rendered(md string) string {
	var b strings.Builder
	for i := 0; i < len(md); i++ {
		if md[i] == '\\' && i+1 < len(md) && strings.IndexByte("\\`*_[]<>&|~#(){}+-.!", md[i+1]) >= 0 {
			i++
		}
		b.WriteByte(md[i])
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(b.String())
}

// FuzzWrite puts untrusted text in every field of a report that comes from
// outside and writes it as the step does: annotations on stdout (through
// the redacting writer run uses), outputs, summary.
func FuzzWrite(f *testing.F) {
	ss := seeds(f)
	for i, s := range ss {
		f.Add(s, ss[(i+1)%len(ss)], "sk_acme_1_s3cr3tv4lu3", i%2 == 0, i%3 == 0)
	}
	// An id in a code span holding what would end a link's text: code, not
	// a link (a finding of the fuzzer).
	f.Add("0", "](javascript", "0", false, false)
	f.Fuzz(func(t *testing.T, text, id, secret string, fail, outside bool) {
		r := deployed()
		r.Event.Product, r.Event.Version, r.Event.Environment = text, id+text, text+secret
		r.Event.Branch, r.Event.EnvironmentURL, r.Event.RunURL = text, "https://"+text, "https://github.com/"+id
		r.GivenWord = text
		r.Warnings = []string{text, secret}
		r.Versioner = versioner.Result{ID: id, VersionID: id + secret, ProductID: text, EnvironmentID: "\n" + id,
			Warnings: []versioner.Rule{{Name: text, Status: "report_only", EvaluationResult: "failed", Message: id}}, Note: text}
		r.GitHub.URL = "https://github.com/acme/web/deployments/" + text
		if fail {
			r.VersionerErr = errors.New("Versioner answered 401 for key " + secret + ": " + text)
			r.GitHubErr = errors.New(id + secret)
		}
		r.FailOnAPIError, r.FailOnGitHubError = !outside, !outside
		r.Secrets = redact.New(secret)

		run := newRunner(t)
		if outside {
			run.env = map[string]string{}
		}
		var stdout bytes.Buffer
		a := githubactions.New(githubactions.WithGetenv(func(k string) string { return run.env[k] }),
			githubactions.WithWriter(r.Secrets.Writer(&stdout)))
		if err := report.Write(a, r); err != nil {
			t.Fatalf("Write() error = %v", err)
		}
		checkStdout(t, stdout.String(), []string{secret}, "warning", "error")
		if outside {
			return
		}

		want := map[string]string{}
		valid := true
		for _, o := range r.Outputs() {
			want[o.Name] = r.Secrets.Redact(o.Value)
			valid = valid && utf8.ValidString(o.Value)
		}
		got := parseOutputs(t, readFile(t, run.output))
		if diff := cmp.Diff(want, got); valid && diff != "" {
			t.Errorf("outputs as the runner reads them (-want +got):\n%s", diff)
		}

		summary := readFile(t, run.summary)
		if len(summary) >= 1<<20 {
			t.Errorf("summary is %d bytes, over GitHub's 1 MiB", len(summary))
		}
		if utf8.ValidString(text+id+secret) && !utf8.ValidString(summary) {
			t.Errorf("summary is not valid UTF-8")
		}
		checkTables(t, summary)
		if keyLike(secret) && (strings.Contains(rendered(summary), secret) || strings.Contains(summarytest.Shown(summary), secret)) {
			t.Errorf("summary shows the secret %q:\n%s", secret, summary)
		}
	})
}
