package fake

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// FakeSHA is the commit the fake GitHub reports for a deployment whose ref is a branch or a tag:
// it has no git repository to resolve refs in. A ref that is a 40-hex SHA is reported as itself.
const FakeSHA = "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d"

const (
	docsRoot         = "https://docs.github.com/rest"
	docsDeployments  = "https://docs.github.com/rest/deployments/deployments"
	docsCreateDeploy = docsDeployments + "#create-a-deployment"
	docsCreateStatus = "https://docs.github.com/rest/deployments/statuses#create-a-deployment-status"
	rateLimit        = 5000
)

// GitHub fakes the part of GitHub's REST API that deploytrack uses: deployments and deployment
// statuses of one repository, with GitHub's defaults that surprise clients (auto_merge and
// required_contexts), its error shapes, its rate-limit headers and its pagination. Its responses
// validate against GitHub's own OpenAPI schemas (see the contract tests).
//
// A success status with auto_inactive (default true) adds an inactive status to every earlier,
// non-transient deployment of the same environment whose latest status is success, as GitHub's
// description of auto_inactive says ("only added to deployments that had a success state").
//
// Besides the deployments a client creates, a test can seed those made by others: by a person
// (AddDeployment with a Creator) and the one GitHub itself makes for a job with an `environment:`
// key (AddJobDeployment, and EndJob for the status GitHub posts when the job ends).
type GitHub struct {
	recorder

	// PathPrefix is the API's path on the host: "/api/v3" (the default) like GitHub Enterprise
	// Server, "" like api.github.com. Set the fields before serving.
	PathPrefix string
	// FailingChecks (default true) means the repository's commit checks are failing or pending,
	// so a deployment request that does not send required_contexts: [] gets a 409.
	FailingChecks bool
	// ReadOnly makes every POST answer 403, like a GITHUB_TOKEN without deployments: write.
	ReadOnly bool
	// Now is the fake's clock (default time.Now).
	Now func() time.Time
	// NoActionsRead makes the run's jobs answer 403, like a GITHUB_TOKEN
	// without actions: read.
	NoActionsRead bool

	token, owner, repo string
	mu                 sync.Mutex
	used               int   // requests answered, for x-ratelimit-*
	reset              int64 // x-ratelimit-reset
	lastID, lastStatus int64
	deployments        []*deployment // ascending ID
	jobs               map[[2]int64][]Job
	createDelay        time.Duration // see SetCreateDelay
}

// Job is a workflow job as the Actions API lists it: what the post step of
// auto-finish reads when job.status is not given.
type Job struct {
	ID                                   int64
	Name, RunnerName, Status, Conclusion string // Status: queued, in_progress or completed
	Steps                                []JobStep
}

// JobStep is one step of a Job.
type JobStep struct {
	Name, Status, Conclusion string // Conclusion: success, failure, cancelled, skipped or ""
}

// SetJobs sets the jobs of a run attempt.
func (g *GitHub) SetJobs(runID, attempt int64, jobs []Job) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.jobs == nil {
		g.jobs = map[[2]int64][]Job{}
	}
	g.jobs[[2]int64{runID, attempt}] = jobs
}

// listJobs answers GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs.
func (g *GitHub) listJobs(base string, parts []string) reply {
	if g.NoActionsRead {
		return ghError(http.StatusForbidden, "Resource not accessible by integration", docsRoot+"/actions/workflow-jobs#list-jobs-for-a-workflow-run-attempt")
	}
	run, err1 := strconv.ParseInt(parts[5], 10, 64)
	attempt, err2 := strconv.ParseInt(parts[7], 10, 64)
	jobs, ok := g.jobs[[2]int64{run, attempt}]
	if err1 != nil || err2 != nil || !ok {
		return ghError(http.StatusNotFound, "Not Found", docsRoot)
	}
	list := []any{}
	for _, j := range jobs {
		var steps []any
		for i, st := range j.Steps {
			var conclusion any
			if st.Conclusion != "" {
				conclusion = st.Conclusion
			}
			steps = append(steps, map[string]any{"name": st.Name, "status": st.Status, "conclusion": conclusion, "number": i + 1})
		}
		var conclusion any
		if j.Conclusion != "" {
			conclusion = j.Conclusion
		}
		list = append(list, map[string]any{
			"id": j.ID, "run_id": run, "run_attempt": attempt, "name": j.Name, "status": j.Status, "conclusion": conclusion,
			"runner_name": j.RunnerName, "steps": steps, "url": base + "/repos/" + g.owner + "/" + g.repo + "/actions/jobs/" + strconv.FormatInt(j.ID, 10),
		})
	}
	return jsonReply(http.StatusOK, map[string]any{"total_count": len(list), "jobs": list})
}

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
}

// Status is one deployment status. Statuses are posted by the deployment's creator when seeded,
// and by github-actions[bot] (the token the fake accepts) when posted through the API.
type Status struct {
	State, Description, LogURL, EnvironmentURL string
}

type deployment struct {
	Deployment            // Statuses is unused: see statuses
	original              string
	transient, production bool
	created, updated      time.Time
	statuses              []status
	// job is the runner's view of a job deployment: its link to the job and the job's URL.
	job *JobDeployment
}

type status struct {
	Status
	id          int64
	environment string
	created     time.Time
	creator     string // login; "" is github-actions[bot]
	byRunner    bool   // posted by the runner, via the GitHub Actions app
}

// NewGitHub returns a fake of the repository owner/repo that accepts token as a Bearer or
// "token" credential.
func NewGitHub(token, owner, repo string) *GitHub {
	return &GitHub{token: token, owner: owner, repo: repo, PathPrefix: "/api/v3", FailingChecks: true, lastStatus: 100000}
}

func (g *GitHub) now() time.Time {
	if g.Now != nil {
		return g.Now().UTC()
	}
	return time.Now().UTC()
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
	dep := &deployment{Deployment: d, original: d.Environment, production: d.Environment == "production", created: now, updated: now}
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

// ServeHTTP implements http.Handler.
func (g *GitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.serve(w, r, g.headers, g.delayCreates(g.handle))
}

// headers sets what every GitHub answer carries; each answer uses one request of the rate limit.
func (g *GitHub) headers(h http.Header) {
	g.mu.Lock()
	g.used++
	if g.reset == 0 {
		g.reset = g.now().Add(time.Hour).Unix()
	}
	used, reset := g.used, g.reset
	g.mu.Unlock()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Ratelimit-Limit", strconv.Itoa(rateLimit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(max(0, rateLimit-used)))
	h.Set("X-Ratelimit-Used", strconv.Itoa(used))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(reset, 10))
	h.Set("X-Ratelimit-Resource", "core")
}

func ghError(status int, message, doc string) reply {
	return jsonReply(status, map[string]any{"message": message, "documentation_url": doc})
}

func validationFailed(doc string, errs ...map[string]any) reply {
	return jsonReply(http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed", "errors": errs, "documentation_url": doc})
}

func (g *GitHub) authorized(r *http.Request) bool {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "token")) && tok == g.token && tok != ""
}

func (g *GitHub) handle(r *http.Request, body []byte) reply {
	if !g.authorized(r) {
		return ghError(http.StatusUnauthorized, "Bad credentials", docsRoot)
	}
	notFound := ghError(http.StatusNotFound, "Not Found", docsRoot)
	rest, ok := strings.CutPrefix(r.URL.Path, strings.TrimSuffix(g.PathPrefix, "/"))
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	n := len(parts)
	if ok && n == 9 && parts[0] == "repos" && strings.EqualFold(parts[1], g.owner) && strings.EqualFold(parts[2], g.repo) &&
		parts[3] == "actions" && parts[4] == "runs" && parts[6] == "attempts" && parts[8] == "jobs" && r.Method == http.MethodGet {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.listJobs("http://"+r.Host+strings.TrimSuffix(g.PathPrefix, "/"), parts)
	}
	if !ok || n < 4 || n > 6 || parts[0] != "repos" || !strings.EqualFold(parts[1], g.owner) ||
		!strings.EqualFold(parts[2], g.repo) || parts[3] != "deployments" || (n == 6 && parts[5] != "statuses") {
		return notFound
	}
	post := r.Method == http.MethodPost
	if !(r.Method == http.MethodGet || (post && n != 5)) {
		return notFound // GitHub answers an unsupported method like an unknown route
	}
	if post && g.ReadOnly {
		return ghError(http.StatusForbidden, "Resource not accessible by integration", docsDeployments)
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	base := "http://" + r.Host + strings.TrimSuffix(g.PathPrefix, "/")
	if r.TLS != nil {
		base = "https" + strings.TrimPrefix(base, "http")
	}
	if n == 4 && post {
		return g.createDeployment(base, body)
	}
	if n == 4 {
		return g.listDeployments(r, base)
	}
	id, err := strconv.ParseInt(parts[4], 10, 64)
	i := slices.IndexFunc(g.deployments, func(d *deployment) bool { return d.ID == id })
	if err != nil || i < 0 {
		return notFound
	}
	d := g.deployments[i]
	switch {
	case n == 5:
		return jsonReply(http.StatusOK, g.deploymentJSON(base, d))
	case post:
		return g.createStatus(base, d, body)
	}
	lo, hi, link := paginate(r, len(d.statuses))
	list := []any{}
	for j := len(d.statuses) - 1 - lo; j >= len(d.statuses)-hi; j-- {
		list = append(list, g.statusJSON(base, d, d.statuses[j]))
	}
	rp := jsonReply(http.StatusOK, list)
	rp.header = link
	return rp
}

// decodeBody parses a JSON object and checks the types of the known fields the way GitHub's
// schema validation does; kinds maps a field to its allowed JSON kinds ("string null", ...).
func decodeBody(raw []byte, kinds map[string]string, doc string) (map[string]any, *reply) {
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		rp := ghError(http.StatusBadRequest, "Problems parsing JSON", doc)
		return nil, &rp
	}
	for _, f := range slices.Sorted(maps.Keys(kinds)) {
		v, ok := body[f]
		if !ok {
			continue
		}
		kind := kindOf(v)
		if items, isArray := v.([]any); isArray && kind == "array" {
			for _, it := range items {
				if kindOf(it) != "string" {
					kind = "array of " + kindOf(it)
				}
			}
		}
		if allowed := strings.Fields(kinds[f]); !slices.Contains(allowed, kind) {
			got, _ := json.Marshal(v)
			rp := ghError(http.StatusUnprocessableEntity,
				fmt.Sprintf("Invalid request.\n\nFor 'properties/%s', %s is not %s.", f, got, strings.Join(allowed, " or ")), doc)
			return nil, &rp
		}
	}
	return body, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case []any:
		return "array"
	}
	return "object"
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
	production, ok := body["production_environment"].(bool)
	if !ok {
		production = env == "production"
	}
	g.lastID++
	now := g.now()
	d := &deployment{
		Deployment: Deployment{ID: g.lastID, SHA: shaOf(ref), Ref: ref, Task: cmp.Or(task, "deploy"), Environment: env, Description: desc, Payload: payload},
		original:   env, transient: transient, production: production, created: now, updated: now,
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
// a success retires the earlier successful, non-transient deployments of the same environment by
// adding an inactive status to each.
func (g *GitHub) appendStatus(d *deployment, s status, autoInactive bool) status {
	now := g.now()
	g.lastStatus++
	s.id, s.environment, s.created = g.lastStatus, d.Environment, now
	d.statuses = append(d.statuses, s)
	d.updated = now
	if s.State == "success" && autoInactive {
		for _, o := range g.deployments {
			if o.ID < d.ID && o.Environment == d.Environment && !o.transient && len(o.statuses) > 0 && o.statuses[len(o.statuses)-1].State == "success" {
				g.lastStatus++
				o.statuses = append(o.statuses, status{Status: Status{State: "inactive"}, id: g.lastStatus, environment: o.Environment, created: now})
				o.updated = now
			}
		}
	}
	return s
}

// JobDeployment describes the deployment GitHub makes for a job with an `environment:` key. It
// is created as the GitHub Actions app (creator github-actions[bot], performed_via_github_app
// github-actions) before the job's first step runs, with task deploy, an empty payload, a null
// description, ref = the branch (GITHUB_REF_NAME) and sha = GITHUB_SHA. GitHub posts its statuses
// itself: queued, then in_progress while the job runs, then success or failure when the job ends,
// each with log_url and target_url pointing at the job ($GITHUB_SERVER_URL/OWNER/REPO/actions/
// runs/RUN_ID/job/JOB_ID) and environment_url = the job's environment url, or "".
type JobDeployment struct {
	ServerURL      string // GITHUB_SERVER_URL; default https://github.com
	RunID, JobID   string // GITHUB_RUN_ID, and the job's id (its check run)
	Environment    string // the job's environment name; default production
	SHA            string // GITHUB_SHA
	Ref            string // GITHUB_REF_NAME; default main
	EnvironmentURL string // the job's environment url, if it has one
}

// JobURL is where the runner's statuses link: the job's page in its run.
func (j JobDeployment) JobURL(owner, repo string) string {
	return fmt.Sprintf("%s/%s/%s/actions/runs/%s/job/%s", strings.TrimRight(cmp.Or(j.ServerURL, "https://github.com"), "/"), owner, repo, j.RunID, j.JobID)
}

// AddJobDeployment stores the deployment the runner makes for job j, with the statuses GitHub
// has posted to it by the time the job's first step runs (queued, then in_progress), and
// returns its ID.
func (g *GitHub) AddJobDeployment(j JobDeployment) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	link := j.JobURL(g.owner, g.repo)
	d := g.add(Deployment{SHA: j.SHA, Ref: cmp.Or(j.Ref, "main"), Environment: j.Environment, ByRunner: true, Statuses: []Status{
		{State: "queued", LogURL: link, EnvironmentURL: j.EnvironmentURL},
		{State: "in_progress", LogURL: link, EnvironmentURL: j.EnvironmentURL},
	}})
	d.job = &j
	return d.ID
}

// EndJob posts what GitHub posts to job deployment id when its job ends: state (success or
// failure, the job's conclusion) linking to the job, with the job's environment url, and GitHub's
// default auto_inactive.
func (g *GitHub) EndJob(id int64, state string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.IndexFunc(g.deployments, func(d *deployment) bool { return d.ID == id && d.job != nil })
	if i < 0 {
		return fmt.Errorf("fake GitHub: no job deployment %d", id)
	}
	if state != "success" && state != "failure" {
		return fmt.Errorf("fake GitHub: a job ends in success or failure, not %q", state)
	}
	d := g.deployments[i]
	g.appendStatus(d, status{Status: Status{State: state, LogURL: d.job.JobURL(g.owner, g.repo), EnvironmentURL: d.job.EnvironmentURL}, byRunner: true}, true)
	return nil
}

// paginate picks the page of n items that the per_page and page parameters ask for, like GitHub
// (per_page defaults to 30 and is capped at 100), and returns the Link header pointing at the others.
func paginate(r *http.Request, n int) (lo, hi int, link http.Header) {
	q := r.URL.Query()
	perPage, page := 30, 1
	if p, err := strconv.Atoi(q.Get("per_page")); err == nil && p > 0 {
		perPage = min(p, 100)
	}
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 0 {
		page = p
	}
	last := max(1, (n+perPage-1)/perPage)
	lo = min(n, (page-1)*perPage)
	hi = min(n, lo+perPage)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	at := func(p int, rel string) string {
		q.Set("page", strconv.Itoa(p))
		u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var rels []string
	if page > 1 {
		rels = append(rels, at(min(page-1, last), "prev"))
	}
	if page < last {
		rels = append(rels, at(page+1, "next"), at(last, "last"))
	}
	if page > 1 {
		rels = append(rels, at(1, "first"))
	}
	if len(rels) == 0 {
		return lo, hi, nil
	}
	return lo, hi, http.Header{"Link": {strings.Join(rels, ", ")}}
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
		"transient_environment":    d.transient,
		"production_environment":   d.production,
		"performed_via_github_app": app,
	}
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

// botLogin is the user a workflow's GITHUB_TOKEN acts as, and the creator of the deployments the
// runner makes for jobs with an environment.
const botLogin = "github-actions[bot]"

// user is a creator: login "" is github-actions[bot]; any other login is a person.
func user(base, login string) map[string]any {
	if login == "" || login == botLogin {
		return account(base+"/users/github-actions%5Bbot%5D", botLogin, 41898282, "MDM6Qm90NDE4OTgyODI=",
			"https://avatars.githubusercontent.com/in/15368?v=4", "https://github.com/apps/github-actions", "Bot")
	}
	id := int64(583231) // octocat's
	if login != "octocat" {
		id = int64(crc32.ChecksumIEEE([]byte(login)) % 100000000)
	}
	return account(base+"/users/"+url.PathEscape(login), login, id, nodeID("User", id),
		fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id), "https://github.com/"+url.PathEscape(login), "User")
}

// account is GitHub's "simple user" shape of an account at API URL u.
func account(u, login string, id int64, node, avatar, html, kind string) map[string]any {
	return map[string]any{
		"login":               login,
		"id":                  id,
		"node_id":             node,
		"avatar_url":          avatar,
		"gravatar_id":         "",
		"url":                 u,
		"html_url":            html,
		"followers_url":       u + "/followers",
		"following_url":       u + "/following{/other_user}",
		"gists_url":           u + "/gists{/gist_id}",
		"starred_url":         u + "/starred{/owner}{/repo}",
		"subscriptions_url":   u + "/subscriptions",
		"organizations_url":   u + "/orgs",
		"repos_url":           u + "/repos",
		"events_url":          u + "/events{/privacy}",
		"received_events_url": u + "/received_events",
		"type":                kind,
		"site_admin":          false,
	}
}

// actionsApp is the GitHub Actions app, which the runner's deployments and statuses are
// performed via. Its id and slug are GitHub's; the dates, permissions and events only fill in the
// fields the schema requires.
func actionsApp() map[string]any {
	return map[string]any{
		"id":      15368,
		"slug":    "github-actions",
		"node_id": "MDM6QXBwMTUzNjg=",
		"owner": account("https://api.github.com/users/github", "github", 9919, "MDEyOk9yZ2FuaXphdGlvbjk5MTk=",
			"https://avatars.githubusercontent.com/u/9919?v=4", "https://github.com/github", "Organization"),
		"name":         "GitHub Actions",
		"description":  "Automate your workflow from idea to production",
		"external_url": "https://help.github.com/en/actions",
		"html_url":     "https://github.com/apps/github-actions",
		"created_at":   "2018-07-30T09:30:17Z",
		"updated_at":   "2024-04-10T20:33:16Z",
		"permissions": map[string]any{
			"actions": "write", "checks": "write", "contents": "write", "deployments": "write",
			"metadata": "read", "statuses": "write",
		},
		"events": []any{"check_run", "check_suite", "deployment", "deployment_status", "push", "workflow_run"},
	}
}

// shaOf is the commit a ref points at, as far as the fake knows.
func shaOf(ref string) string {
	if len(ref) == 40 && strings.Trim(strings.ToLower(ref), "0123456789abcdef") == "" {
		return strings.ToLower(ref)
	}
	return FakeSHA
}
