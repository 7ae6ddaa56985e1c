package deployments

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/deploytrack/deploytrack/internal/event"
)

// PlannedRequest is one request a dry run shows.
type PlannedRequest struct {
	Line string // method, URL, and when it is sent
	Body any    // the JSON body, if any
}

// Plan lists the requests a step would send to GitHub, for a dry run,
// which cannot know what GitHub holds: each says when it is sent. apiURL
// is GITHUB_API_URL; state is the status to post.
func Plan(apiURL string, ev event.Event, w Where, state string) []PlannedRequest {
	base := strings.TrimRight(apiURL, "/") + "/repos/" + ev.Repository + "/deployments"
	list := func(sha string) string {
		q := url.Values{"sha": {sha}, "environment": {ev.Environment}, "task": {"deploy"}, "per_page": {"100"}}
		return "GET " + base + "?" + q.Encode()
	}
	status := PlannedRequest{"POST " + base + "/{id}/statuses", StatusRequest(ev, state, "")}
	create := PlannedRequest{"POST " + base + " (only when this run has no deployment of " + ev.Product + " yet)", CreateRequest(ev)}
	if !w.Auto {
		return []PlannedRequest{{Line: list(ev.SHA)}, create, status}
	}
	if w.Handoff > 0 {
		return []PlannedRequest{{fmt.Sprintf("POST %s/%d/statuses (the job's own deployment, which an earlier step of this job found and handed over in %s; "+
			"only if GitHub answers 404 does the step look for it again)", base, w.Handoff, HandoffVar(ev)), status.Body}}
	}
	plan := []PlannedRequest{{Line: list(ev.SHA) + " (this run's deployment of " + ev.Product + ", else candidates for the job's own: made by " + runnerLogin + " with an empty payload)"}}
	if w.RunSHA != "" && !strings.EqualFold(w.RunSHA, ev.SHA) {
		plan = append(plan, PlannedRequest{Line: list(w.RunSHA) + " (when this run has no deployment of " + ev.Product + ": GitHub's deployment for the job carries GITHUB_SHA)"})
	}
	plan = append(plan,
		PlannedRequest{Line: fmt.Sprintf("GET %s/{id}/statuses?per_page=100 (for each candidate, newest first, at most %d: the job's own deployment is the first whose statuses link below %s/)", base, maxCandidates, ev.RunURL)},
		PlannedRequest{"POST " + base + " (only when there is neither this run's deployment of " + ev.Product + " nor the job's own)", create.Body},
		status)
	return plan
}
