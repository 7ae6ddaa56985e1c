// Package deployments records an Event on GitHub as a Deployment with
// Deployment Statuses, so the repository's Environments page shows what
// runs where. One deployment stands for one product at one commit in one
// environment within one workflow run; every step of the run that records
// that product posts its statuses to it: a step finds it, or creates it
// when no earlier step did. Steps that start it at the same moment each
// create one; they converge on the oldest and retire the others (see
// settle).
//
// A job with an `environment:` key already has a deployment: GitHub makes
// one for the job and posts its statuses itself. With github-deployment:
// auto the step posts its statuses to that one instead of making a second
// (see Target), so the Environments page shows the deployment once.
//
// A success on a deployment of ours turns GitHub's auto_inactive off,
// which ignores products, and marks inactive the product's own previous
// version in the environment instead (see supersede), so every product
// that shares an environment keeps its live deployment active.
package deployments

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/ghapi"
)

// Client talks to one repository's Deployments API.
type Client struct {
	gh          *github.Client
	owner, repo string
	lists       *Lists // shared with the step's other products; nil: its own
}

// New returns a client for repository ("owner/name") at apiURL, the
// runner's GITHUB_API_URL (https://api.github.com, or https://HOST/api/v3
// on GitHub Enterprise Server), taken as given.
func New(hc *http.Client, apiURL, token, repository, userAgent string) (*Client, error) {
	owner, repo, err := ghapi.Repo(repository)
	if err != nil {
		return nil, fmt.Errorf("%w: run the step in GitHub Actions, or set github-deployment: false", err)
	}
	gh, err := ghapi.New(hc, apiURL, token, userAgent)
	if err != nil {
		return nil, fmt.Errorf("%w, or set github-deployment: false", err)
	}
	return &Client{gh: gh, owner: owner, repo: repo}, nil
}

// Result is what the step did on GitHub.
type Result struct {
	DeploymentID int64
	Created      bool   // false: another step of the run made it
	Job          bool   // the deployment GitHub made for the job's environment: key
	Auto         bool   // github-deployment: auto, which looks for the job's deployment
	State        string // the status posted
	URL          string // the environment's page
	// Replaced is the product's previous successful deployment in the
	// environment, which this success replaced and marked inactive (ID 0:
	// none, or not a success of ours).
	Replaced Replaced
	// Previous is, for a started step that hands on, the newest earlier
	// deployment of the product in the environment (see Started).
	Previous int64
}

// Set records where the status goes, and what it replaced.
func (r *Result) Set(t Target) {
	r.DeploymentID, r.Created, r.Job, r.Replaced, r.Previous = t.ID, t.Created, t.Job, t.Replaced, t.Previous
}

// URL is the environment's page, where the deployment shows.
func URL(serverURL, repository, environment string) string {
	return strings.TrimRight(serverURL, "/") + "/" + repository + "/deployments/" + url.PathEscape(environment)
}
