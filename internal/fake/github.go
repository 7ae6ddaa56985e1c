package fake

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

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
// non-transient, non-production deployment of the same environment whose latest status is
// success, as GitHub's description of auto_inactive says: in a production environment
// (production_environment, by default true for the one named production) it marks nothing.
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
