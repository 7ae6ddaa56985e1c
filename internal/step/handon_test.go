package step

import (
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
)

// TestHandedStart: what a finishing step takes from the started step's
// note in GITHUB_ENV, which any step of the job can write: positive ids
// of a start that went through, else nothing.
func TestHandedStart(t *testing.T) {
	t.Parallel()
	ev := event.Event{Kind: config.Deployment, Product: "web", Environment: "production"}
	tests := []struct {
		name string
		note string
		want deployments.Started
	}{
		{name: "started, both ids", note: `{"outcome":"started","at":"2026-11-29T02:00:00Z","github_deployment":12,"github_previous":7}`,
			want: deployments.Started{Deployment: 12, Previous: 7}},
		{name: "started, no previous version", note: `{"outcome":"started","github_deployment":12}`, want: deployments.Started{Deployment: 12}},
		{name: "started on the job's own deployment: no ids", note: `{"outcome":"started","at":"2026-11-29T02:00:00Z"}`},
		{name: "blocked", note: `{"outcome":"blocked","github_deployment":12,"github_previous":7}`},
		{name: "no note"},
		{name: "not JSON", note: `12`},
		{name: "a negative deployment", note: `{"outcome":"started","github_deployment":-12,"github_previous":7}`},
		{name: "a negative previous version is none", note: `{"outcome":"started","github_deployment":12,"github_previous":-7}`, want: deployments.Started{Deployment: 12}},
		{name: "an id as a string", note: `{"outcome":"started","github_deployment":"12"}`},
		{name: "an id past int64", note: `{"outcome":"started","github_deployment":9223372036854775808}`},
		{name: "a fraction", note: `{"outcome":"started","github_deployment":12.5}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{startVar(ev.Kind, ev.Product, ev.Environment): tt.note}
			a := githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }))
			if got := handedStart(a, ev); got != tt.want {
				t.Errorf("handedStart(%s) = %+v, want %+v", tt.note, got, tt.want)
			}
		})
	}
}

// FuzzHandedStart: whatever GITHUB_ENV holds, a hand-over is a positive
// deployment id with a previous version's id that is none or positive.
func FuzzHandedStart(f *testing.F) {
	for _, s := range []string{`{"outcome":"started","github_deployment":12,"github_previous":7}`, `{"outcome":"started","github_deployment":-1}`, `null`, ``, `{"outcome":"started","github_deployment":1e3}`} {
		f.Add(s)
	}
	ev := event.Event{Kind: config.Deployment, Product: "web", Environment: "production"}
	f.Fuzz(func(t *testing.T, note string) {
		a := githubactions.New(githubactions.WithGetenv(func(string) string { return note }))
		got := handedStart(a, ev)
		if got != (deployments.Started{}) && (got.Deployment <= 0 || got.Previous < 0) {
			t.Errorf("handedStart(%q) = %+v", note, got)
		}
	})
}
