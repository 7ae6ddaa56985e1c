package deployments

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/event"
)

// MaxDescription is GitHub's limit on a deployment's or a status's
// description, in characters; a longer one is refused with a 422.
const MaxDescription = 140

// State maps a canonical status to a deployment status state. An aborted
// deployment becomes inactive, so the environment keeps showing the last
// good deployment as the live one.
func State(s event.Status) string {
	switch s {
	case event.Pending:
		return "queued"
	case event.Started:
		return "in_progress"
	case event.Completed:
		return "success"
	case event.Failed:
		return "failure"
	}
	return "inactive"
}

// StatusRequest is the status the step posts.
func StatusRequest(ev event.Event, state, description string) *github.DeploymentStatusRequest {
	if description == "" {
		description = ev.Description
	}
	if description == "" {
		description = fmt.Sprintf("%s %s: %s", ev.Product, ev.Version, ev.Status)
	}
	r := &github.DeploymentStatusRequest{
		State:       github.String(state),
		Description: github.String(Truncate(description)),
	}
	if ev.RunURL != "" {
		r.LogURL = github.String(ev.RunURL)
	}
	if ev.EnvironmentURL != "" {
		r.EnvironmentURL = github.String(ev.EnvironmentURL)
	}
	return r
}

// Truncate cuts s to GitHub's 140 characters on a rune boundary, marking
// the cut with an ellipsis.
func Truncate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= MaxDescription {
		return s
	}
	r := []rune(s)
	return string(r[:MaxDescription-1]) + "…"
}

// SetStatus posts a status to deployment id, as given: it replaces no
// earlier deployment (see Post).
func (c *Client) SetStatus(ctx context.Context, id int64, r *github.DeploymentStatusRequest) error {
	return c.Post(ctx, event.Event{}, Where{}, &Target{ID: id}, r)
}
