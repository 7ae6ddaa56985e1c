package fake

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// FakeSHA is the commit the fake GitHub reports for a deployment whose ref is a branch or a tag:
// it has no git repository to resolve refs in. A ref that is a 40-hex SHA is reported as itself.
const FakeSHA = "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d"

// Deployment is a deployment as the fake GitHub stores it, for assertions and pre-seeding.
type Deployment struct {
	ID                                       int64
	SHA, Ref, Task, Environment, Description string
	Payload                                  map[string]any
	Statuses                                 []Status // oldest first
	// Creator is the login of the user who made the deployment: "" is github-actions[bot], the
	// user a workflow's GITHUB_TOKEN acts as (and so deploytrack's own deployments); any other
	// login is a person, as when someone deploys from their laptop with their own token.
	Creator string
	// ByRunner marks the deployment GitHub itself makes for a job with an `environment:` key (see
	// AddJobDeployment): it is performed via the GitHub Actions app and has a null description.
	ByRunner bool
	// Transient and Production are the deployment's transient_environment and
	// production_environment as given; Production nil is GitHub's default, true when the
	// environment is named production (see production). GitHub's auto_inactive skips both kinds.
	Transient  bool
	Production *bool
}

type deployment struct {
	Deployment       // Statuses is unused: see statuses
	original         string
	created, updated time.Time
	statuses         []status
	// job is the runner's view of a job deployment: its link to the job and the job's URL.
	job *JobDeployment
}

// AddDeployment stores d as if an earlier step had created it and returns its ID. A zero ID gets
// the next free one; Task, Environment and SHA get GitHub's defaults when empty.
func (g *GitHub) AddDeployment(d Deployment) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.add(d).ID
}

func (g *GitHub) add(d Deployment) *deployment {
	if d.ID == 0 {
		d.ID = g.lastID + 1
	}
	g.lastID = max(g.lastID, d.ID)
	d.Task = cmp.Or(d.Task, "deploy")
	d.Environment = cmp.Or(d.Environment, "production")
	d.SHA = cmp.Or(d.SHA, shaOf(d.Ref))
	if d.Payload == nil {
		d.Payload = map[string]any{}
	}
	now := g.now()
	dep := &deployment{Deployment: d, original: d.Environment, created: now, updated: now}
	dep.Payload = cloneJSON(d.Payload).(map[string]any)
	for _, s := range d.Statuses {
		g.lastStatus++
		dep.statuses = append(dep.statuses, status{Status: s, id: g.lastStatus, environment: d.Environment, created: now,
			creator: d.Creator, byRunner: d.ByRunner})
	}
	dep.Statuses = nil
	g.deployments = append(g.deployments, dep)
	slices.SortFunc(g.deployments, func(a, b *deployment) int { return cmp.Compare(a.ID, b.ID) })
	return dep
}

// Deployments returns a copy of the stored deployments, oldest first.
func (g *GitHub) Deployments() []Deployment {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Deployment, len(g.deployments))
	for i, d := range g.deployments {
		out[i] = d.Deployment
		out[i].Payload = cloneJSON(d.Payload).(map[string]any)
		for _, s := range d.statuses {
			out[i].Statuses = append(out[i].Statuses, s.Status)
		}
	}
	return out
}

var deploymentKinds = map[string]string{
	"ref": "string", "task": "string", "auto_merge": "boolean", "required_contexts": "array",
	"payload": "object string", "environment": "string", "description": "string null",
	"transient_environment": "boolean", "production_environment": "boolean",
}

func (g *GitHub) createDeployment(base string, raw []byte) reply {
	body, bad := decodeBody(raw, deploymentKinds, docsCreateDeploy)
	if bad != nil {
		return *bad
	}
	ref, _ := body["ref"].(string)
	desc, _ := body["description"].(string)
	switch {
	case ref == "":
		return validationFailed(docsCreateDeploy, map[string]any{"resource": "Deployment", "field": "ref", "code": "missing_field"})
	case utf8.RuneCountInString(desc) > 140:
		return validationFailed(docsCreateDeploy, map[string]any{"resource": "Deployment", "field": "description", "code": "custom",
			"message": "description is too long (maximum is 140 characters)"})
	}
	payload := map[string]any{}
	switch p := body["payload"].(type) {
	case map[string]any:
		payload = p
	case string:
		if p != "" && (json.Unmarshal([]byte(p), &payload) != nil || payload == nil) {
			return validationFailed(docsCreateDeploy, map[string]any{"resource": "Deployment", "field": "payload", "code": "invalid"})
		}
	}
	// GitHub's defaults are the traps: auto_merge merges the default branch into ref instead of
	// deploying, and an omitted required_contexts demands that every check be green.
	if merge, ok := body["auto_merge"].(bool); !ok || merge {
		return jsonReply(http.StatusAccepted, map[string]any{"message": "Auto-merged main into " + ref + " on deployment."})
	}
	if contexts, ok := body["required_contexts"].([]any); g.FailingChecks && (!ok || len(contexts) > 0) {
		failing := []any{map[string]any{"context": "ci/test", "state": "failure"}}
		if ok {
			failing = nil
			for _, c := range contexts {
				failing = append(failing, map[string]any{"context": c, "state": "pending"})
			}
		}
		return jsonReply(http.StatusConflict, map[string]any{
			"message":           "Conflict: Commit status checks failed for " + ref + ".",
			"errors":            []any{map[string]any{"contexts": failing, "resource": "Deployment", "field": "required_contexts", "code": "invalid"}},
			"documentation_url": docsCreateDeploy,
		})
	}
	env, _ := body["environment"].(string)
	env = cmp.Or(env, "production")
	task, _ := body["task"].(string)
	transient, _ := body["transient_environment"].(bool)
	var production *bool
	if p, ok := body["production_environment"].(bool); ok {
		production = &p
	}
	g.lastID++
	now := g.now()
	d := &deployment{
		Deployment: Deployment{ID: g.lastID, SHA: shaOf(ref), Ref: ref, Task: cmp.Or(task, "deploy"), Environment: env, Description: desc, Payload: payload,
			Transient: transient, Production: production},
		original: env, created: now, updated: now,
	}
	g.deployments = append(g.deployments, d)
	rp := jsonReply(http.StatusCreated, g.deploymentJSON(base, d))
	rp.header = http.Header{"Location": {g.deploymentURL(base, d)}}
	return rp
}

func (g *GitHub) listDeployments(r *http.Request, base string) reply {
	q := r.URL.Query()
	var match []*deployment
	for _, d := range slices.Backward(g.deployments) { // newest first
		if q.Get("sha") != "" && q.Get("sha") != d.SHA || q.Get("ref") != "" && q.Get("ref") != d.Ref ||
			q.Get("task") != "" && q.Get("task") != d.Task || q.Get("environment") != "" && q.Get("environment") != d.Environment {
			continue
		}
		match = append(match, d)
	}
	lo, hi, link := paginate(r, len(match))
	list := []any{}
	for _, d := range match[lo:hi] {
		list = append(list, g.deploymentJSON(base, d))
	}
	rp := jsonReply(http.StatusOK, list)
	rp.header = link
	return rp
}

func (g *GitHub) repoURL(base string) string {
	return fmt.Sprintf("%s/repos/%s/%s", base, g.owner, g.repo)
}

func (g *GitHub) deploymentURL(base string, d *deployment) string {
	return fmt.Sprintf("%s/deployments/%d", g.repoURL(base), d.ID)
}

func nodeID(kind string, id int64) string {
	s := fmt.Sprintf("%s%d", kind, id)
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%03d:%s", len(kind), s))
}

func (g *GitHub) deploymentJSON(base string, d *deployment) map[string]any {
	var desc, app any = d.Description, nil
	if d.ByRunner {
		desc, app = nil, actionsApp()
	}
	return map[string]any{
		"url":                      g.deploymentURL(base, d),
		"id":                       d.ID,
		"node_id":                  nodeID("Deployment", d.ID),
		"sha":                      d.SHA,
		"ref":                      d.Ref,
		"task":                     d.Task,
		"payload":                  d.Payload,
		"original_environment":     d.original,
		"environment":              d.Environment,
		"description":              desc,
		"creator":                  user(base, d.Creator),
		"created_at":               d.created.Format(time.RFC3339),
		"updated_at":               d.updated.Format(time.RFC3339),
		"statuses_url":             g.deploymentURL(base, d) + "/statuses",
		"repository_url":           g.repoURL(base),
		"transient_environment":    d.Transient,
		"production_environment":   d.production(),
		"performed_via_github_app": app,
	}
}

// production is the deployment's production_environment: as the create request gave it, else
// GitHub's default, true when the environment it was created in is named production ("Default:
// `true` when `environment` is `production` and `false` otherwise").
func (d *deployment) production() bool {
	if d.Production != nil {
		return *d.Production
	}
	return d.original == "production"
}

// shaOf is the commit a ref points at, as far as the fake knows.
func shaOf(ref string) string {
	if len(ref) == 40 && strings.Trim(strings.ToLower(ref), "0123456789abcdef") == "" {
		return strings.ToLower(ref)
	}
	return FakeSHA
}
