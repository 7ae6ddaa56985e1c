package deployments_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/deployments"
)

// TestPlan: a dry run says which requests each mode sends, and when.
func TestPlan(t *testing.T) {
	t.Parallel()
	const base = "https://api.github.com/repos/acme/web/deployments"
	list := func(s string) string {
		return "GET " + base + "?environment=production&per_page=100&sha=" + s + "&task=deploy"
	}
	tests := []struct {
		name  string
		where deployments.Where
		want  []string // method and URL of each line, then "+body" when it has one
	}{
		{name: "true: list, create, status", where: deployments.Where{RunSHA: sha},
			want: []string{list(sha), "POST " + base + " +body", "POST " + base + "/{id}/statuses +body"}},
		{name: "auto: list, the candidates' statuses, create, status", where: deployments.Where{Auto: true, RunSHA: sha},
			want: []string{list(sha), "GET " + base + "/{id}/statuses?per_page=100", "POST " + base + " +body", "POST " + base + "/{id}/statuses +body"}},
		{name: "auto on a pull request lists GITHUB_SHA too", where: deployments.Where{Auto: true, RunSHA: mergeSHA},
			want: []string{list(sha), list(mergeSHA), "GET " + base + "/{id}/statuses?per_page=100", "POST " + base + " +body", "POST " + base + "/{id}/statuses +body"}},
		{name: "auto, handed over: the status only", where: deployments.Where{Auto: true, RunSHA: sha, Handoff: 42},
			want: []string{"POST " + base + "/42/statuses +body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, r := range deployments.Plan("https://api.github.com/", deployment(), tt.where, "success") {
				f := strings.Fields(r.Line)
				line := f[0] + " " + f[1]
				if r.Body != nil {
					line += " +body"
				}
				got = append(got, line)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Plan() (-want +got):\n%s", diff)
			}
		})
	}
}
