// Package deployments records an Event on GitHub as a Deployment with
// Deployment Statuses, so the repository's Environments page shows what
// runs where. One deployment stands for one product at one commit in one
// environment within one workflow run; every step of the run that records
// that product posts its statuses to it.
package deployments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
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
	base, err := url.Parse(strings.TrimRight(apiURL, "/") + "/")
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("GITHUB_API_URL %q is not a URL: the runner sets it; check that the workflow does not override it, or set github-deployment: false", apiURL)
	}
	gh := github.NewClient(hc).WithAuthToken(token)
	gh.BaseURL = base
	gh.UserAgent = userAgent
	return &Client{gh: gh, owner: owner, repo: repo}, nil
}

// Result is what the step did on GitHub.
type Result struct {
	DeploymentID int64
	Created      bool   // false: an earlier step of the run made it
	State        string // the status posted
	URL          string // the environment's page
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
	const tries = 3
	for try := 1; ; try++ {
		id, err := c.find(ctx, ev)
		if err != nil || id != 0 {
			return id, false, err
		}
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
	}
}

// find returns the id of this run's deployment of ev, or 0.
func (c *Client) find(ctx context.Context, ev event.Event) (int64, error) {
	opts := &github.DeploymentsListOptions{SHA: ev.SHA, Environment: ev.Environment, Task: "deploy", ListOptions: github.ListOptions{PerPage: 100}}
	for page := 0; page < maxPages; page++ {
		list, resp, err := c.gh.Repositories.ListDeployments(ctx, c.owner, c.repo, opts)
		if err != nil {
			return 0, c.explain(ctx, "list deployments", resp, err)
		}
		for _, d := range list {
			if ours(d, ev) {
				return d.GetID(), nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
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
	var p map[string]any
	dec := json.NewDecoder(bytes.NewReader(d.Payload))
	dec.UseNumber()
	if dec.Decode(&p) != nil {
		// Some clients store the payload as a JSON string holding the object.
		var s string
		if json.Unmarshal(d.Payload, &s) != nil {
			return false
		}
		dec = json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if dec.Decode(&p) != nil {
			return false
		}
	}
	return fmt.Sprint(p["product"]) == ev.Product && fmt.Sprint(p["run_id"]) == ev.RunID
}

// SetStatus posts a status to deployment id.
func (c *Client) SetStatus(ctx context.Context, id int64, r *github.DeploymentStatusRequest) error {
	if _, resp, err := c.gh.Repositories.CreateDeploymentStatus(ctx, c.owner, c.repo, id, r); err != nil {
		return c.explain(ctx, fmt.Sprintf("post a status to deployment %d", id), resp, err)
	}
	return nil
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
