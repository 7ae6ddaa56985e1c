package deployments

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/google/go-github/v62/github"
	"github.com/google/go-querystring/query"

	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/ghapi"
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
	base := ghapi.Base(apiURL) + "repos/" + ev.Repository + "/deployments"
	list := func(sha string) string { return "GET " + base + "?" + encode(listOptions(ev, sha)) }
	all := lookups(ev, w)
	job := slices.Contains(all, findJob) // the list also looks for the job's own
	// A success on a deployment of ours replaces the product's previous
	// version; the job's own (handed over, or known to be it) does not.
	replaces := state == "success" && all[0] != useHandoff && !(all[0] == useKnown && w.KnownJob)
	status := StatusRequest(ev, state, "")
	if replaces {
		status = withoutAutoInactive(status)
	}
	if all[0] == findOurs && w.Started.Deployment > 0 && ev.Status.Terminal() && ev.Product != "" {
		return startedPlan(base, ev, w, list(ev.SHA), status)
	}
	handsOn := all[0] == findOurs && w.HandsOn && ev.Status == event.Started && ev.Product != ""
	var plan []PlannedRequest
	final := func(line string) []PlannedRequest {
		if replaces && job {
			line += " (auto_inactive: false only when it is a deployment of ours; the job's own keeps GitHub's default)"
		}
		plan = append(plan, PlannedRequest{line, status})
		if replaces {
			plan = append(plan, replacePlan(base, ev, job, all[0] == findOurs, firstPage(w.Products))...)
		}
		return plan
	}
	for _, l := range all {
		switch l {
		case useKnown:
			return final(fmt.Sprintf("POST %s/%d/statuses (the deployment the main step posted to; "+
				"only if GitHub answers 404 does the step look for it again)", base, w.Known))
		case useHandoff:
			return final(fmt.Sprintf("POST %s/%d/statuses (the job's own deployment, which an earlier step of this job found and handed over in %s; "+
				"only if GitHub answers 404 does the step look for it again)", base, w.Handoff, HandoffVar(ev)))
		case findOurs:
			line := list(ev.SHA)
			if job {
				line += " (this run's deployment of " + ev.Product + ", else candidates for the job's own: made by " + runnerLogin + " with an empty payload)"
			}
			plan = append(plan, PlannedRequest{Line: line})
		case findRunSHA:
			plan = append(plan, PlannedRequest{Line: list(w.RunSHA) + " (when this run has no deployment of " + ev.Product + ": GitHub's deployment for the job carries GITHUB_SHA)"})
		case findJob:
			plan = append(plan, PlannedRequest{Line: fmt.Sprintf("GET %s/{id}/statuses?%s (for each candidate, newest first, at most %d: the job's own deployment is the first whose statuses link below %s/)", base, encode(statusOptions()), maxCandidates, ev.RunURL)})
		case createOurs:
			when := "only when this run has no deployment of " + ev.Product + " yet"
			if job {
				when = "only when there is neither this run's deployment of " + ev.Product + " nor the job's own"
			}
			plan = append(plan, PlannedRequest{"POST " + base + " (" + when + ")", CreateRequest(ev)})
			if handsOn {
				plan = append(plan, PlannedRequest{Line: "GET " + base + "?" + encode(envListOptions(ev, firstPage(w.Products))) + " (at the same time as the create, or as the status when this run's deployment of " + ev.Product +
					" exists; not when the status goes to the job's own: the newest earlier deployment of " + ev.Product + ", handed on in GITHUB_ENV to the job's finishing step; once for all the step's products in this environment)"})
			}
		case settleOurs:
			plan = append(plan,
				PlannedRequest{Line: list(ev.SHA) + " (only after a create, at the same time as the status below: another step of this run may have created the same deployment at the same moment, and every step keeps the oldest; once for all the step's products at this commit in this environment)"},
				PlannedRequest{"POST " + base + "/{id}/statuses (only when the oldest is another step's: once the status below is in, the one this step created becomes inactive, and the status goes to the oldest too)", supersededRequest(ev, "{oldest}")})
		}
	}
	return final("POST " + base + "/{id}/statuses")
}

// startedPlan is what a final status sends after a started step of the
// job handed over its deployment and the previous version's (w.Started,
// see deliverStarted); listCommit is the list it falls back on.
func startedPlan(base string, ev event.Event, w Where, listCommit string, status *github.DeploymentStatusRequest) []PlannedRequest {
	s := w.Started
	plan := []PlannedRequest{{Line: "GET " + base + "?" + encode(envListOptions(ev, firstPage(w.Products))) + fmt.Sprintf(" (the environment's newest deployments: they must show deployment %d, which the started step handed over in GITHUB_ENV, as this run's of %s at this commit; once for all the step's products in this environment)", s.Deployment, ev.Product)}}
	if status.GetState() != "success" {
		return append(plan,
			PlannedRequest{Line: listCommit + " (only when the environment's list does not show that deployment: the step then looks for it as without a hand-over, and creates it if GitHub has none)"},
			PlannedRequest{fmt.Sprintf("POST %s/{id}/statuses (this run's deployment, as the environment's list shows it)", base), status})
	}
	prev := "{id}"
	if s.Previous > 0 {
		prev = fmt.Sprint(s.Previous)
		plan = append(plan, PlannedRequest{Line: fmt.Sprintf("GET %s/%d/statuses?%s (at the same time: the newest status of the previous version of %s the started step handed over)", base, s.Previous, encode(latestOptions()), ev.Product)})
	}
	return append(plan,
		PlannedRequest{Line: listCommit + " (only when the environment's list does not show that deployment: the step then looks for it as without a hand-over, and creates it if GitHub has none)"},
		PlannedRequest{fmt.Sprintf("POST %s/{id}/statuses (this run's deployment, as the environment's list shows it)", base), status},
		PlannedRequest{Line: fmt.Sprintf("GET %s/{id}/statuses?%s (only when the one handed over is not the newest earlier deployment of %s in the list, or its newest status is not success: the others, newest first, at most %d, until one is success)", base, encode(latestOptions()), ev.Product, maxReads)},
		PlannedRequest{fmt.Sprintf("POST %s/%s/statuses (at the same time as the success, to the product's previous version when its newest status is success: it becomes inactive; no other product's deployment is touched)", base, prev), replacedRequest(ev, "{ours}")})
}

// replacePlan is what a success on a deployment of ours sends besides its
// status (see supersede); job says the status may go to the job's own
// deployment instead, which needs none of it; listed says the step lists
// the commit's deployments first (Deliver sends the environment's list
// with it), else the deployment is known (auto-finish's post step) and
// the list goes with the success.
func replacePlan(base string, ev event.Event, job, listed bool, page int) []PlannedRequest {
	when := "at the same time as the success"
	if listed {
		when = "at the same time as the first list"
	}
	if job {
		when += ", used only for a success on a deployment of ours"
	}
	return []PlannedRequest{
		{Line: "GET " + base + "?" + encode(envListOptions(ev, page)) + " (" + when + ": the environment's newest deployments, of every commit, for the earlier ones of " + ev.Product +
			"; once for all the step's products in this environment)"},
		{Line: "GET " + base + "?" + encode(envListOptions(ev, widePage)) + " (only if that page is full and its earlier deployments of " + ev.Product +
			" do not settle which one is live: the environment's newest " + strconv.Itoa(widePage) + ", once for all the step's products)"},
		{Line: fmt.Sprintf("GET %s/{id}/statuses?%s (as soon as that list and this step's deployment are known: the newest status of each earlier deployment of %s, newest first, at most %d, until one is success: the version this one replaces)",
			base, encode(latestOptions()), ev.Product, maxReads)},
		{"POST " + base + "/{id}/statuses (to that one, if any, at the same time as the success: it becomes inactive; no other product's deployment is touched)", replacedRequest(ev, "{ours}")},
	}
}

// encode is the query go-github sends for opts, so the plan shows the same
// request that scan and jobDeployment make.
func encode(opts any) string {
	q, err := query.Values(opts)
	if err != nil {
		panic("deployments: encoding list options: " + err.Error()) // only our own option structs are encoded
	}
	return q.Encode()
}
