// Package ghapi builds the go-github client that every part of the step
// talking to GitHub's REST API uses (the deployments sink, and the post
// step's reading of the job's outcome), from what the runner gives it:
// GITHUB_API_URL, GITHUB_REPOSITORY and a token. It holds the one rule for
// the API's address, so the two cannot read it differently.
package ghapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v62/github"
)

// Base is the address every API path is resolved against: apiURL, the
// runner's GITHUB_API_URL, taken as given (https://api.github.com, or
// https://HOST/api/v3 on GitHub Enterprise Server) with one trailing slash,
// whether or not it came with one.
func Base(apiURL string) string {
	return strings.TrimRight(apiURL, "/") + "/"
}

// New returns a go-github client that sends token and userAgent to the API
// at apiURL (see Base) through hc.
func New(hc *http.Client, apiURL, token, userAgent string) (*github.Client, error) {
	base, err := url.Parse(Base(apiURL))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("GITHUB_API_URL %q is not a URL: the runner sets it; check that the workflow does not override it", apiURL)
	}
	gh := github.NewClient(hc).WithAuthToken(token)
	gh.BaseURL = base
	gh.UserAgent = userAgent
	return gh, nil
}

// Repo splits repository, the runner's GITHUB_REPOSITORY, into its owner
// and name.
func Repo(repository string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repository, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name", repository)
	}
	return owner, name, nil
}
