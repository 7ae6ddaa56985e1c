// Package deployments records an Event on GitHub as a Deployment with
// Deployment Statuses, so the repository's Environments page shows what
// runs where. One deployment stands for one product at one commit in one
// environment within one workflow run; every step of the run that records
// that product posts its statuses to it.
//
// A job with an `environment:` key already has a deployment: GitHub makes
// one for the job and posts its statuses itself. With github-deployment:
// auto the step posts its statuses to that one instead of making a second
// (see Target), so the Environments page shows the deployment once.
package deployments

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/httpx"
)

// MaxDescription is GitHub's limit on a deployment's or a status's
// description, in characters; a longer one is refused with a 422.
const MaxDescription = 140

// maxPages bounds the search for this run's deployment: a page is 100
// deployments of one commit in one environment, so more is rare.
const maxPages = 3

// maxCandidates bounds how many deployments GitHub made for jobs have
// their statuses read, newest first, in search of this job's. GitHub
// makes the job's deployment when the job starts, so it is the newest of
// its commit and environment unless another job or run deploys the same
// commit to the same environment at the same time.
const maxCandidates = 3

// runnerLogin is who GitHub's own deployment for a job is created by (the
// GitHub Actions app). A workflow's GITHUB_TOKEN acts as the same user, so
// deploytrack's own deployments, and other actions', are created by it too:
// the payload tells them apart (see jobCandidate).
const runnerLogin = "github-actions[bot]"

// Client talks to one repository's Deployments API.
type Client struct {
	gh          *github.Client
	owner, repo string
}

// New returns a client for repository ("owner/name") at apiURL, the
// runner's GITHUB_API_URL (https://api.github.com, or https://HOST/api/v3
// on GitHub Enterprise Server), taken as given.
func New(hc *http.Client, apiURL, token, repository, userAgent string) (*Client, error) {
	owner, repo, ok := strings.Cut(repository, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name: run the step in GitHub Actions, or set github-deployment: false", repository)
	}
	gh, err := APIClient(hc, apiURL, token, userAgent)
	if err != nil {
		return nil, err
	}
	return &Client{gh: gh, owner: owner, repo: repo}, nil
}

// APIClient returns a go-github client for the runner's GITHUB_API_URL.
func APIClient(hc *http.Client, apiURL, token, userAgent string) (*github.Client, error) {
	base, err := url.Parse(strings.TrimRight(apiURL, "/") + "/")
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("GITHUB_API_URL %q is not a URL: the runner sets it; check that the workflow does not override it, or set github-deployment: false", apiURL)
	}
	gh := github.NewClient(hc).WithAuthToken(token)
	gh.BaseURL = base
	gh.UserAgent = userAgent
	return gh, nil
}

// Result is what the step did on GitHub.
type Result struct {
	DeploymentID int64
	Created      bool   // false: an earlier step of the run made it
	Job          bool   // the deployment GitHub made for the job's environment: key
	Auto         bool   // github-deployment: auto, which looks for the job's deployment
	State        string // the status posted
	URL          string // the environment's page
}

// Set records where the status goes.
func (r *Result) Set(t Target) {
	r.DeploymentID, r.Created, r.Job = t.ID, t.Created, t.Job
}

// Where says how a step picks the deployment its status goes to.
type Where struct {
	// Auto is github-deployment: auto: post to the job's own deployment
	// when GitHub made one for the job's environment: key.
	Auto bool
	// RunSHA is GITHUB_SHA, the commit GitHub's deployment for the job
	// carries. It differs from the event's commit on a pull request (the
	// test merge, not the head) or a workflow_run, and when scm-sha is set.
	RunSHA string
	// Handoff is the job's deployment as an earlier step of the job found
	// it (the value of HandoffVar), or 0.
	Handoff int64
	// Known is the deployment the step's main phase posted to, as the post
	// step of auto-finish gets it (0: none); KnownJob says it is the job's.
	// Like a handed-over one, it is looked up again if GitHub answers 404.
	Known    int64
	KnownJob bool
}

// Target is the deployment a step posts its status to.
type Target struct {
	ID      int64
	Created bool // this step created it
	Job     bool // GitHub made it for the job's environment: key
	handed  bool // taken from Where.Handoff without asking GitHub
}

// HandoffVar names the variable through which the step that finds the
// job's deployment hands it to the job's later steps (through GITHUB_ENV,
// which reaches the later steps of the same job only), so that they post
// to it straight away. The name is keyed by product, environment and
// commit, so a step that records another of them does not pick it up.
func HandoffVar(ev event.Event) string {
	h := sha256.Sum256([]byte(ev.Product + "\x00" + ev.Environment + "\x00" + ev.SHA))
	return "DEPLOYTRACK_GITHUB_DEPLOYMENT_" + strings.ToUpper(hex.EncodeToString(h[:6]))
}

// ParseHandoff reads the value of HandoffVar: a deployment id, else 0.
func ParseHandoff(s string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

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

// payload is stored with the deployment; product and run_id find it again.
type payload struct {
	Product    string `json:"product"`
	Version    string `json:"version"`
	RunID      string `json:"run_id"`
	RunAttempt string `json:"run_attempt"`
}

// CreateRequest is the deployment the step creates when the run has none.
// auto_merge is off because GitHub would otherwise merge the default
// branch into the ref first; required_contexts is empty because omitting
// it makes GitHub refuse the deployment until every status check passes.
func CreateRequest(ev event.Event) *github.DeploymentRequest {
	return &github.DeploymentRequest{
		Ref:              github.String(ev.SHA),
		Task:             github.String("deploy"),
		AutoMerge:        github.Bool(false),
		RequiredContexts: &[]string{},
		Payload:          payload{Product: ev.Product, Version: ev.Version, RunID: ev.RunID, RunAttempt: ev.RunAttempt},
		Environment:      github.String(ev.Environment),
		Description:      github.String(Truncate(ev.Product + " " + ev.Version)),
	}
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

// Ensure returns the id of this run's deployment of ev, creating it when
// no earlier step did. When the answer to a create is lost, GitHub may
// have made the deployment all the same: the list is read again before
// another create, so a retry never makes a second one.
func (c *Client) Ensure(ctx context.Context, ev event.Event) (id int64, created bool, err error) {
	id, _, err = c.scan(ctx, ev, ev.SHA)
	if err != nil || id != 0 {
		return id, false, err
	}
	return c.create(ctx, ev)
}

// Target picks the deployment the step posts to. With w.Auto, in order:
//
//  1. the deployment an earlier step of this job handed over (w.Handoff),
//     without a request: Post looks again if GitHub no longer knows it;
//  2. this run's own deployment of the product (its payload names the
//     product and run), so that a run that started with one keeps it;
//  3. the job's own deployment: among the deployments of the commit
//     (the event's, or GITHUB_SHA when that differs) and environment
//     made by github-actions[bot] with an empty payload, newest first and
//     at most maxCandidates, the first whose statuses (the newest page)
//     link into this run (GitHub's link to the job is the run URL followed
//     by /job/<id>);
//  4. else a deployment of ours, created as Ensure does.
//
// Without w.Auto it is Ensure: the step's own deployment, always.
func (c *Client) Target(ctx context.Context, ev event.Event, w Where) (Target, error) {
	if w.Known > 0 {
		return Target{ID: w.Known, Job: w.KnownJob, handed: true}, nil
	}
	if !w.Auto {
		id, created, err := c.Ensure(ctx, ev)
		return Target{ID: id, Created: created}, err
	}
	if w.Handoff > 0 {
		return Target{ID: w.Handoff, Job: true, handed: true}, nil
	}
	id, candidates, err := c.scan(ctx, ev, ev.SHA)
	if err != nil || id != 0 {
		return Target{ID: id}, err
	}
	if w.RunSHA != "" && !strings.EqualFold(w.RunSHA, ev.SHA) {
		_, more, err := c.scan(ctx, ev, w.RunSHA)
		if err != nil {
			return Target{}, err
		}
		candidates = append(candidates, more...)
	}
	if id, err = c.jobDeployment(ctx, ev, candidates); err != nil || id != 0 {
		return Target{ID: id, Job: id != 0}, err
	}
	id, created, err := c.create(ctx, ev)
	return Target{ID: id, Created: created}, err
}

// Post posts r to t. When t was handed over by an earlier step and GitHub
// answers 404 (the deployment is gone), the step looks it up again as if
// nothing had been handed over, and posts there; t says where it went.
func (c *Client) Post(ctx context.Context, ev event.Event, w Where, t *Target, r *github.DeploymentStatusRequest) error {
	_, resp, err := c.gh.Repositories.CreateDeploymentStatus(ctx, c.owner, c.repo, t.ID, r)
	var er *github.ErrorResponse
	if t.handed && errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
		w.Handoff, w.Known = 0, 0
		nt, ferr := c.Target(ctx, ev, w)
		if ferr != nil {
			return ferr
		}
		*t = nt
		_, resp, err = c.gh.Repositories.CreateDeploymentStatus(ctx, c.owner, c.repo, t.ID, r)
	}
	if err != nil {
		return c.explain(ctx, fmt.Sprintf("post a status to deployment %d", t.ID), resp, err)
	}
	return nil
}

// create makes this run's deployment of ev. After a lost answer it lists
// again, and creates again only when GitHub did not make it.
func (c *Client) create(ctx context.Context, ev event.Event) (id int64, created bool, err error) {
	const tries = 3
	for try := 1; ; try++ {
		d, resp, err := c.gh.Repositories.CreateDeployment(httpx.NoReplay(ctx), c.owner, c.repo, CreateRequest(ev))
		if err == nil && d.GetID() != 0 {
			return d.GetID(), true, nil
		}
		if err == nil {
			// A success without the deployment in it (an empty body):
			// GitHub made it, most likely, so look for it again.
			err = fmt.Errorf("GitHub answered %s without the deployment", resp.Status)
		}
		if try == tries || !lost(ctx, err) {
			return 0, false, c.explain(ctx, "create a deployment", resp, err)
		}
		if id, _, err = c.scan(ctx, ev, ev.SHA); err != nil || id != 0 {
			return id, false, err
		}
	}
}

// scan lists the deployments of sha in ev's environment, newest first,
// until it finds this run's deployment of ev. It returns that one's id (or
// 0) and the candidates for the job's own deployment it saw on the way.
func (c *Client) scan(ctx context.Context, ev event.Event, sha string) (int64, []*github.Deployment, error) {
	var candidates []*github.Deployment
	opts := &github.DeploymentsListOptions{SHA: sha, Environment: ev.Environment, Task: "deploy", ListOptions: github.ListOptions{PerPage: 100}}
	for page := 0; page < maxPages; page++ {
		list, resp, err := c.gh.Repositories.ListDeployments(ctx, c.owner, c.repo, opts)
		if err != nil {
			return 0, nil, c.explain(ctx, "list deployments", resp, err)
		}
		for _, d := range list {
			if ours(d, ev) {
				return d.GetID(), candidates, nil
			}
			if jobCandidate(d) {
				candidates = append(candidates, d)
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return 0, candidates, nil
}

// jobCandidate reports whether d may be the deployment GitHub made for a
// job's environment: key: made by the GitHub Actions bot, with an empty
// payload. Ours carry a payload, and so do most other actions'.
func jobCandidate(d *github.Deployment) bool {
	if d.GetCreator().GetLogin() != runnerLogin {
		return false
	}
	p, ok := decodePayload(d.Payload)
	return ok && len(p) == 0
}

// jobDeployment returns the newest of the candidates (at most
// maxCandidates are read) whose statuses link into this run, or 0. Only
// a link below the run URL counts (GitHub's link to the job,
// .../actions/runs/<id>/job/<job id>): a step's own statuses, ours
// included, link to the run URL itself.
func (c *Client) jobDeployment(ctx context.Context, ev event.Event, candidates []*github.Deployment) (int64, error) {
	if ev.RunURL == "" {
		return 0, nil // outside a run nothing can link to it
	}
	// Ids grow with time: newest first across both lists.
	slices.SortStableFunc(candidates, func(a, b *github.Deployment) int { return cmp.Compare(b.GetID(), a.GetID()) })
	prefix := strings.TrimRight(ev.RunURL, "/") + "/"
	for i, d := range candidates {
		if i == maxCandidates {
			break
		}
		statuses, resp, err := c.gh.Repositories.ListDeploymentStatuses(ctx, c.owner, c.repo, d.GetID(), &github.ListOptions{PerPage: 100})
		if err != nil {
			return 0, c.explain(ctx, fmt.Sprintf("list the statuses of deployment %d", d.GetID()), resp, err)
		}
		for _, s := range statuses {
			if strings.HasPrefix(s.GetLogURL(), prefix) || strings.HasPrefix(s.GetTargetURL(), prefix) {
				return d.GetID(), nil
			}
		}
	}
	return 0, nil
}

// lost reports whether err may hide a create that succeeded: the
// connection failed after the request was sent, or a success came back
// unreadable. GitHub's refusals are not, nor is a rate limit the step
// gave up waiting for.
func lost(ctx context.Context, err error) bool {
	var er *github.ErrorResponse
	var ae *github.AcceptedError
	var ge *httpx.GiveUpError
	return ctx.Err() == nil && !errors.As(err, &er) && !errors.As(err, &ae) && !errors.As(err, &ge)
}

// ours reports whether d is this run's deployment of ev's product.
func ours(d *github.Deployment, ev event.Event) bool {
	p, ok := decodePayload(d.Payload)
	return ok && p != nil && fmt.Sprint(p["product"]) == ev.Product && fmt.Sprint(p["run_id"]) == ev.RunID
}

// decodePayload reads a deployment's payload: a JSON object, or a JSON
// string holding one (as some clients store it). Nothing, null and ""
// are an empty payload; anything else is not ok.
func decodePayload(raw json.RawMessage) (map[string]any, bool) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" || string(t) == `""` {
		return map[string]any{}, true
	}
	var p map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&p) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		dec = json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if dec.Decode(&p) != nil {
			return nil, false
		}
	}
	return p, p != nil
}

// SetStatus posts a status to deployment id.
func (c *Client) SetStatus(ctx context.Context, id int64, r *github.DeploymentStatusRequest) error {
	return c.Post(ctx, event.Event{}, Where{}, &Target{ID: id}, r)
}

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

// URL is the environment's page, where the deployment shows.
func URL(serverURL, repository, environment string) string {
	return strings.TrimRight(serverURL, "/") + "/" + repository + "/deployments/" + url.PathEscape(environment)
}

// explain turns go-github's errors into messages that say what to do.
// resp is the answer, when there was one.
func (c *Client) explain(ctx context.Context, what string, resp *github.Response, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		// go-github returns the bare context error when the deadline
		// passes; the caller names the timeout.
		return fmt.Errorf("GitHub: could not %s: %w", what, err)
	}
	if body := notJSON(resp, err); body != "" {
		return fmt.Errorf("GitHub answered %s when asked to %s in %s/%s, but with %s: check that GITHUB_API_URL (%s) is GitHub's API, and that no proxy between the runner and GitHub answers in its place",
			resp.Status, what, c.owner, c.repo, body, strings.TrimSuffix(c.gh.BaseURL.String(), "/"))
	}
	var ae *github.AcceptedError
	if errors.As(err, &ae) {
		return fmt.Errorf("GitHub: could not %s: GitHub merged the default branch into the ref instead (202): %s", what, oneLine(string(ae.Raw)))
	}
	var arl *github.AbuseRateLimitError
	if errors.As(err, &arl) {
		return fmt.Errorf("GitHub: could not %s: secondary rate limit: %s: raise the timeout input to wait it out, or space out the jobs that call the API", what, oneLine(arl.Message))
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		return fmt.Errorf("GitHub: could not %s: rate limit exhausted until %s", what, rl.Rate.Reset.UTC().Format("15:04:05 MST"))
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		code := er.Response.StatusCode
		msg := fmt.Sprintf("GitHub answered %d %s when asked to %s in %s/%s", code, http.StatusText(code), what, c.owner, c.repo)
		if er.Message != "" {
			msg += ": " + oneLine(er.Message)
		}
		for _, e := range er.Errors {
			var parts []string
			for _, p := range []string{e.Resource, e.Field, e.Code, oneLine(e.Message)} {
				if p != "" && p != "custom" {
					parts = append(parts, p)
				}
			}
			if len(parts) > 0 {
				msg += " (" + strings.Join(parts, " ") + ")"
			}
		}
		switch code {
		case http.StatusUnauthorized:
			msg += ": check the github-token input"
		case http.StatusForbidden, http.StatusNotFound:
			msg += ": add `permissions: deployments: write` to the job (or set github-deployment: false)"
		}
		return errors.New(msg)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("GitHub: could not %s: %w", what, ue.Err)
	}
	return fmt.Errorf("GitHub: could not %s: %w", what, err)
}

// notJSON says what a success that go-github could not decode held: a
// page from a proxy, say. It is "" for any other error.
func notJSON(resp *github.Response, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if resp == nil || resp.StatusCode/100 != 2 || !(errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF)) {
		return ""
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" || mt == "application/xhtml+xml" {
		return "an HTML page, not the API's JSON"
	}
	return "a body that is not the API's JSON (" + err.Error() + ")"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
