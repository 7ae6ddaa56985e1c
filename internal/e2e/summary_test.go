package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/report/summarytest"
)

// checkSummary is the one check every job summary of these tests goes
// through, whichever way its step ran (the harness's run, runAll and
// runIn, a job's steps and post steps, a step in process, in the image):
// rendered as GitHub renders it, it shows no markup as text (unless an
// input held some), no empty table header, no link but to the run's
// repository or a URL among the inputs, no link to a GitHub deployment
// when the step's outputs name none, and no form of the api-key or the
// token (the tests' own, or those the inputs hold).
func checkSummary(t testing.TB, summary string, env, with, outputs map[string]string) {
	t.Helper()
	if summary == "" {
		return // a step that stopped on its inputs, or ran without the file
	}
	repo := env["GITHUB_SERVER_URL"] + "/" + env["GITHUB_REPOSITORY"] + "/"
	keys := []string{testKey, testToken}
	for k, v := range with {
		if k := strings.ToLower(k); strings.HasSuffix(k, "api-key") || strings.HasSuffix(k, "github-token") || strings.HasSuffix(k, "api_key") {
			keys = append(keys, v) // the step's own secrets
		}
	}
	had := summarytest.Had{Prefixes: []string{repo}, Secrets: keys}
	secrets := redact.New(keys...)
	for _, v := range with {
		if strings.ContainsAny(v, "`\\*") {
			had.Markup = true // the summary shows what the inputs hold
		}
		for _, u := range urls.FindAllString(v, -1) {
			had.URLs = append(had.URLs, u, secrets.Redact(u))
		}
	}
	for _, p := range summarytest.Check(summary, had) {
		t.Errorf("the summary, as GitHub renders it: %s\n%s", p, summary)
	}
	deployed := outputs["github-deployment-id"] != "" || strings.Contains(outputs["results"], `"github_deployment_id"`)
	if strings.Contains(summarytest.Shown(summary), "\n"+repo+"deployments/") && !deployed {
		t.Errorf("the summary links to a GitHub deployment, but the step's outputs name none (%v):\n%s", outputs, summary)
	}
}

// urls finds the URLs an input holds (environment-url, or one in the
// products input).
var urls = regexp.MustCompile(`https?://[^\s"']+`)

// wantSummary fails the test unless the summary, as GitHub shows it (its
// text, markup rendered), holds each of parts.
func wantSummary(t *testing.T, summary string, parts ...string) {
	t.Helper()
	shown := summarytest.Text(summary)
	for _, p := range parts {
		if !strings.Contains(shown, p) {
			t.Errorf("the summary, as GitHub shows it, lacks %q:\n%s", p, summary)
		}
	}
}
