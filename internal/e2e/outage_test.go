package e2e

import (
	"fmt"
	"testing"
)

// TestOutageTable is the README's table of what an outage of each API does
// to a deploy's started step under each setting: fail-on-api-error governs
// Versioner, and GitHub too unless fail-on-github-error says otherwise. The
// other API records the event whatever happens, and GitHub never shows a
// deploy that Versioner let through as anything but in progress.
func TestOutageTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		down                string // "Versioner" or "GitHub"
		failOnAPI, failOnGH string // the inputs; "" leaves fail-on-github-error out
		wantCode            int
		wantGitHub          string // GitHub's state after the step, when it is up
		wantWarning         string
	}{
		{down: "Versioner", failOnAPI: "true", wantCode: 1, wantGitHub: "error"},
		{down: "Versioner", failOnAPI: "false", wantCode: 0, wantGitHub: "in_progress", wantWarning: "(fail-on-api-error is false)"},
		{down: "Versioner", failOnAPI: "true", failOnGH: "false", wantCode: 1, wantGitHub: "error"},
		{down: "Versioner", failOnAPI: "false", failOnGH: "true", wantCode: 0, wantGitHub: "in_progress", wantWarning: "(fail-on-api-error is false)"},
		{down: "GitHub", failOnAPI: "true", wantCode: 1},
		{down: "GitHub", failOnAPI: "false", wantCode: 0, wantWarning: "(fail-on-api-error is false)"},
		{down: "GitHub", failOnAPI: "true", failOnGH: "false", wantCode: 0, wantWarning: "(fail-on-github-error is false)"},
		{down: "GitHub", failOnAPI: "false", failOnGH: "true", wantCode: 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s down, fail-on-api-error %s, fail-on-github-error %q", tt.down, tt.failOnAPI, tt.failOnGH), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			with := w.with(map[string]string{"status": "started", "fail-on-api-error": tt.failOnAPI})
			if tt.failOnGH != "" {
				with["fail-on-github-error"] = tt.failOnGH
			}
			env := map[string]string{}
			if tt.down == "Versioner" {
				with["api-url"] = refusedURL(t)
			} else {
				env["GITHUB_API_URL"] = refusedURL(t)
			}
			r := w.run(use{with: with, env: env})
			wantCode(t, r, tt.wantCode)
			if tt.wantWarning != "" {
				wantContains(t, "stdout", r.stdout, tt.wantWarning)
				if errs := commands(r.stdout, "error"); len(errs) != 0 {
					t.Errorf("a step that succeeds printed errors: %v", errs)
				}
			}
			if tt.down == "Versioner" {
				deps := w.github.Deployments()
				if len(deps) != 1 || len(deps[0].Statuses) != 1 || deps[0].Statuses[0].State != tt.wantGitHub {
					t.Errorf("GitHub holds %+v; want one deployment, %s", deps, tt.wantGitHub)
				}
			} else if n := len(w.versioner.Events()); n != 1 {
				t.Errorf("Versioner recorded %d events, want 1: an outage of GitHub must not lose it", n)
			}
		})
	}
}
