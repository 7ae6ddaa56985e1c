package fake

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGitHubCreators: a deployment seeded with a person's login shows that person, a User, as
// the creator of it and of its seeded statuses; the statuses the token posts are the bot's.
func TestGitHubCreators(t *testing.T) {
	t.Parallel()
	g := newGitHub()
	srv := start(t, g)
	id := g.AddDeployment(Deployment{Ref: "main", Creator: "octocat", Statuses: []Status{{State: "success"}}})
	ghsend(t, srv, http.MethodPost, fmt.Sprintf("%s/%d/statuses", repoPath, id), `{"state":"inactive"}`)
	d := ghsend(t, srv, http.MethodGet, fmt.Sprintf("%s/%d", repoPath, id), "").body
	if login, kind := field(t, d, "creator", "login"), field(t, d, "creator", "type"); login != "octocat" || kind != "User" {
		t.Errorf("creator = %v (%v), want octocat (User)", login, kind)
	}
	if app := field(t, d, "performed_via_github_app"); app != nil {
		t.Errorf("performed_via_github_app = %v, want null", app)
	}
	var logins []any
	for _, s := range decodeJSON(t, ghsend(t, srv, http.MethodGet, fmt.Sprintf("%s/%d/statuses", repoPath, id), "").body).([]any) {
		logins = append(logins, s.(map[string]any)["creator"].(map[string]any)["login"])
	}
	if diff := cmp.Diff([]any{"github-actions[bot]", "octocat"}, logins); diff != "" {
		t.Errorf("status creators, newest first (-want +got):\n%s", diff)
	}
}
