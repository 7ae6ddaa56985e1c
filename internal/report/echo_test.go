package report_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/redact/redacttest"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/report/summarytest"
	ghrunner "github.com/deploytrack/deploytrack/internal/runner"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

// echoing returns n reports of products whose sinks both failed with an
// answer echoing text, as in an error message, a rule and a note.
func echoing(secrets *redact.Secrets, n int, fail bool, text string) []*report.Report {
	var reps []*report.Report
	for i := range n {
		reps = append(reps, edit(deployed(), func(r *report.Report) {
			r.Event.Product = fmt.Sprintf("shop-%d", i)
			r.Secrets = secrets
			r.FailOnAPIError = fail
			r.VersionerErr = &versioner.APIError{Endpoint: "https://api.versioner.io/deployment-events/", Status: 401, Detail: "Invalid key " + text}
			r.GitHubErr = errors.New("GitHub answered 401 Unauthorized when asked to list deployments in acme/web: Bad credentials " + text)
			r.Versioner.Warnings = []versioner.Rule{{Name: "echo " + text, Status: "report_only", EvaluationResult: "failed", Message: text}}
			r.Versioner.Note = text
		}))
	}
	return reps
}

// writeAll writes reps as the step does, through the redacting writer,
// and returns the runner that got them.
func writeAll(t *testing.T, reps []*report.Report) *runner {
	t.Helper()
	run := newRunner(t)
	a := githubactions.New(githubactions.WithGetenv(func(k string) string { return run.env[k] }),
		githubactions.WithWriter(reps[0].Secrets.Writer(&run.stdout)))
	if err := report.WriteAll(a, reps); err != nil {
		t.Fatalf("WriteAll() error = %v", err)
	}
	return run
}

// leftBehind fails the test on each form of a secret that the runner shows
// of what run got: a line of the log, a message or title of an
// annotation, an output (the results output as JSON and decoded), the
// summary (as written, as GitHub renders it).
func leftBehind(t *testing.T, run *runner, forms []redacttest.Form) {
	t.Helper()
	stdout := run.stdout.String()
	for _, p := range ghrunner.CheckLog(stdout, redacttest.Texts(forms), "warning", "error") {
		t.Error(p)
	}
	for _, line := range strings.Split(stdout, "\n") {
		for _, shown := range redacttest.Shown(line) {
			for _, p := range redacttest.Shows(shown, forms) {
				t.Errorf("the log line %q shows %s", line, p)
			}
		}
	}
	outputs := parseOutputs(t, readFile(t, run.output))
	for name, v := range outputs {
		for _, p := range redacttest.Shows(v, forms) {
			t.Errorf("output %s shows %s", name, p)
		}
	}
	var results map[string]report.Result
	if err := json.Unmarshal([]byte(outputs["results"]), &results); err != nil {
		t.Errorf("results is not JSON: %v\n%s", err, outputs["results"])
	}
	for k, r := range results {
		for _, p := range redacttest.Shows(r.Error+"\n"+r.Version+"\n"+k, forms) {
			t.Errorf("results, decoded, shows %s", p)
		}
	}
	summary := readFile(t, run.summary)
	for _, s := range []string{summary, rendered(summary), summarytest.Shown(summary)} {
		for _, p := range redacttest.Shows(s, forms) {
			t.Errorf("the summary shows %s:\n%s", p, summary)
		}
	}
}

// TestEchoedSecrets: the APIs echo the api-key and the token back in each
// form a server writes them (in a URL, JSON, HTML), or the step's own
// escaping gives them: no form reaches the log, the annotations, the
// outputs (results included) or the summary, whether the step fails or
// warns, with one product or several.
func TestEchoedSecrets(t *testing.T) {
	t.Parallel()
	const key, token = "sk_acme_1+s3cr/t=v4lu3", "ghs_t0k3n+/v4lu3="
	forms := redacttest.Of(key, token)
	for _, f := range forms {
		for _, n := range []int{1, 2} {
			for _, fail := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s of %s, %d products, fail-on-api-error %v", f.Name, f.Secret, n, fail), func(t *testing.T) {
					t.Parallel()
					text := "in GET /v1/auth?api_key=" + f.Text + " (" + f.Text + ")."
					leftBehind(t, writeAll(t, echoing(redact.New(key, token), n, fail, text)), forms)
				})
			}
		}
	}
}

// FuzzWriteEchoes echoes a key and a token drawn from redacttest.Alphabet,
// in one of their forms, inside untrusted text, from both sinks: no form
// of either is left behind.
func FuzzWriteEchoes(f *testing.F) {
	ss := seeds(f)
	for i, s := range append(ss, "", "?api_key=", `{"detail":"`, "%", "&amp;") {
		f.Add(redacttest.Seed("sk_acme_1+s3cr/t=v4lu3"), redacttest.Seed("ghs_t0k3n+/v4lu3="), s, uint8(i), i%2 == 0, i%3 == 0)
	}
	f.Fuzz(func(t *testing.T, keySeed, tokenSeed []byte, text string, which uint8, fail, many bool) {
		key, ok := redacttest.Key(keySeed)
		token, ok2 := redacttest.Key(tokenSeed)
		if !ok || !ok2 {
			return
		}
		forms := redacttest.Of(key, token)
		form := forms[int(which)%len(forms)]
		n := 1
		if many {
			n = 2
		}
		reps := echoing(redact.New(key, token), n, fail, text+form.Text+text)
		leftBehind(t, writeAll(t, reps), forms)
	})
}
