package fake

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// Status is one deployment status. Statuses are posted by the deployment's creator when seeded,
// and by github-actions[bot] (the token the fake accepts) when posted through the API.
type Status struct {
	State, Description, LogURL, EnvironmentURL string
}

type status struct {
	Status
	id          int64
	environment string
	created     time.Time
	creator     string // login; "" is github-actions[bot]
	byRunner    bool   // posted by the runner, via the GitHub Actions app
}

var statusKinds = map[string]string{
	"state": "string", "target_url": "string", "log_url": "string", "description": "string",
	"environment": "string", "environment_url": "string", "auto_inactive": "boolean",
}

var states = []string{"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}

func (g *GitHub) createStatus(base string, d *deployment, raw []byte) reply {
	body, bad := decodeBody(raw, statusKinds, docsCreateStatus)
	if bad != nil {
		return *bad
	}
	str := func(f string) string { s, _ := body[f].(string); return s }
	state := str("state")
	switch {
	case state == "":
		return validationFailed(docsCreateStatus, map[string]any{"resource": "DeploymentStatus", "field": "state", "code": "missing_field"})
	case !slices.Contains(states, state):
		return validationFailed(docsCreateStatus, map[string]any{"resource": "DeploymentStatus", "field": "state", "code": "invalid", "value": state})
	case utf8.RuneCountInString(str("description")) > 140:
		return validationFailed(docsCreateStatus, map[string]any{"resource": "DeploymentStatus", "field": "description", "code": "custom",
			"message": "description is too long (maximum is 140 characters)"})
	}
	// An environment on the status moves the deployment; without one it stays where it was.
	if env := str("environment"); env != "" {
		d.Environment = env
	}
	auto, ok := body["auto_inactive"].(bool)
	s := g.appendStatus(d, status{Status: Status{State: state, Description: str("description"),
		LogURL: cmp.Or(str("log_url"), str("target_url")), EnvironmentURL: str("environment_url")}}, !ok || auto)
	rp := jsonReply(http.StatusCreated, g.statusJSON(base, d, s))
	rp.header = http.Header{"Location": {fmt.Sprintf("%s/statuses/%d", g.deploymentURL(base, d), s.id)}}
	return rp
}

// appendStatus stores s as d's newest status and returns it. With autoInactive (GitHub's default),
// a success retires the earlier deployments of the same environment whose latest status is success
// by adding an inactive status to each, but only the non-transient, non-production ones: GitHub
// "adds a new inactive status to all prior non-transient, non-production environment deployments
// with the same repository and environment name as the created status's deployment. An inactive
// status is only added to deployments that had a success state." So in production nothing is
// retired, and in any other environment every product's earlier success is.
func (g *GitHub) appendStatus(d *deployment, s status, autoInactive bool) status {
	now := g.now()
	g.lastStatus++
	s.id, s.environment, s.created = g.lastStatus, d.Environment, now
	d.statuses = append(d.statuses, s)
	d.updated = now
	if s.State == "success" && autoInactive {
		for _, o := range g.deployments {
			if o.ID < d.ID && o.Environment == d.Environment && !o.Transient && !o.production() && o.latest() == "success" {
				g.lastStatus++
				o.statuses = append(o.statuses, status{Status: Status{State: "inactive"}, id: g.lastStatus, environment: o.Environment, created: now})
				o.updated = now
			}
		}
	}
	return s
}

// latest is the state of d's newest status, or "" when it has none.
func (d *deployment) latest() string {
	if len(d.statuses) == 0 {
		return ""
	}
	return d.statuses[len(d.statuses)-1].State
}

func (g *GitHub) statusJSON(base string, d *deployment, s status) map[string]any {
	at := s.created.Format(time.RFC3339)
	var app any
	if s.byRunner {
		app = actionsApp()
	}
	return map[string]any{
		"url":                      fmt.Sprintf("%s/statuses/%d", g.deploymentURL(base, d), s.id),
		"id":                       s.id,
		"node_id":                  nodeID("DeploymentStatus", s.id),
		"state":                    s.State,
		"creator":                  user(base, s.creator),
		"description":              s.Description,
		"environment":              s.environment,
		"target_url":               s.LogURL,
		"log_url":                  s.LogURL,
		"environment_url":          s.EnvironmentURL,
		"created_at":               at,
		"updated_at":               at,
		"deployment_url":           g.deploymentURL(base, d),
		"repository_url":           g.repoURL(base),
		"performed_via_github_app": app,
	}
}
