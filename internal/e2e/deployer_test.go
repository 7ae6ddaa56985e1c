package e2e

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDeployerNameAndEmail runs the binary as the runner does and reads the
// body the fake Versioner received: the deployer's name and email come from
// the author of the push's head commit (testdata/events/push.json), as
// Versioner's own action sends them; the inputs override them; an event
// whose payload names no author sends none; a build sends them as built_by_*.
func TestDeployerNameAndEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		with map[string]string
		env  map[string]string
		want map[string]any // the who fields of the body, absent ones left out
	}{
		{name: "a push: the head commit's author",
			want: map[string]any{"deployed_by": "octocat", "deployed_by_name": "Mona Lisa", "deployed_by_email": "mona@example.com"}},
		{name: "the inputs override",
			with: map[string]string{"deployed-by": "release-bot", "deployed-by-name": "Release Bot", "deployed-by-email": "release@example.com"},
			want: map[string]any{"deployed_by": "release-bot", "deployed_by_name": "Release Bot", "deployed_by_email": "release@example.com"}},
		{name: "a pull request names no author: the actor only",
			env:  map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": eventFile("pull_request.json"), "GITHUB_HEAD_REF": "feature/login"},
			want: map[string]any{"deployed_by": "octocat"}},
		{name: "a build",
			with: map[string]string{"event-type": "build", "environment": ""},
			want: map[string]any{"built_by": "octocat", "built_by_name": "Mona Lisa", "built_by_email": "mona@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.run(use{with: w.with(tt.with), env: tt.env})
			wantCode(t, r, 0)
			reqs := w.versioner.Requests()
			if len(reqs) != 1 {
				t.Fatalf("Versioner got %d requests, want 1", len(reqs))
			}
			v := body(t, reqs[0])
			got := map[string]any{}
			for _, k := range []string{"deployed_by", "deployed_by_name", "deployed_by_email", "built_by", "built_by_name", "built_by_email"} {
				if x, ok := v[k]; ok {
					got[k] = x
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Versioner body (-want +got):\n%s", diff)
			}
		})
	}
}
