package deployments

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-github/v62/github"
	"github.com/google/go-querystring/query"
)

// The requests the step sends to GitHub, each answer decoded into what
// the step reads of it. go-github's own types hold every field GitHub
// sends (some thirty per deployment, with the creator's URLs and the
// app): decoding into them was a third of a step's CPU time in a busy
// environment, and building encoding/json's field caches for those types
// in every new process another twelfth. The requests, headers and errors
// are go-github's (NewRequest and Do): only the decoding is lean, and
// fields not kept are skipped.

// previewAccept is what go-github asks for on the deployment statuses
// endpoints (mediaTypeDeploymentStatusPreview and
// mediaTypeExpandDeploymentStatusPreview).
const previewAccept = "application/vnd.github.ant-man-preview+json, application/vnd.github.flash-preview+json"

// listed is what the step reads of a listed deployment (see decodeListed).
type listed struct {
	ID          int64             `json:"id"`
	SHA         string            `json:"sha"`
	Environment string            `json:"environment"`
	Payload     json.RawMessage   `json:"payload"`
	Creator     *creator          `json:"creator"`
	CreatedAt   *github.Timestamp `json:"created_at"`
}

type creator struct {
	Login string `json:"login"`
}

// listedStatus is what the step reads of a listed deployment status.
type listedStatus struct {
	State     string `json:"state"`
	LogURL    string `json:"log_url"`
	TargetURL string `json:"target_url"`
}

// send sends a request to path (relative to the API's base, with its
// query) through go-github, body (if any) as JSON, and returns the
// answer's bytes for the caller to decode: go-github's requests, headers
// and errors, decoding of our own. preview asks for the statuses'
// preview media types.
func (c *Client) send(ctx context.Context, method, path string, body any, preview bool) ([]byte, *github.Response, error) {
	req, err := c.gh.NewRequest(method, "repos/"+c.owner+"/"+c.repo+"/"+path, body)
	if err != nil {
		return nil, nil, err
	}
	if preview {
		req.Header.Set("Accept", previewAccept)
	}
	var answer bytes.Buffer
	resp, err := c.gh.Do(ctx, req, &answer)
	return answer.Bytes(), resp, err
}

// listDeployments lists the repository's deployments as opts asks, each
// with what listed keeps.
func (c *Client) listDeployments(ctx context.Context, opts *github.DeploymentsListOptions) ([]*github.Deployment, *github.Response, error) {
	q, err := query.Values(opts)
	if err != nil {
		return nil, nil, err
	}
	b, resp, err := c.send(ctx, "GET", "deployments?"+q.Encode(), nil, false)
	if err != nil {
		return nil, resp, err
	}
	page, err := decodeListed(b)
	if err != nil {
		return nil, resp, err
	}
	out := make([]*github.Deployment, len(page))
	for i, l := range page {
		d := &github.Deployment{ID: &page[i].ID, SHA: &page[i].SHA, Environment: &page[i].Environment, Payload: l.Payload, CreatedAt: l.CreatedAt}
		if l.Creator != nil {
			d.Creator = &github.User{Login: &l.Creator.Login}
		}
		out[i] = d
	}
	return out, resp, nil
}

// createDeployment is go-github's CreateDeployment, reading the id alone.
func (c *Client) createDeployment(ctx context.Context, r *github.DeploymentRequest) (*github.Deployment, *github.Response, error) {
	b, resp, err := c.send(ctx, "POST", "deployments", r, true)
	if err != nil {
		return nil, resp, err
	}
	id, err := decodeID(b)
	if err != nil {
		return nil, resp, err
	}
	return &github.Deployment{ID: &id}, resp, nil
}

// createStatus is go-github's CreateDeploymentStatus; the answer is
// decoded (a success that is not JSON is an error) and dropped.
func (c *Client) createStatus(ctx context.Context, id int64, r *github.DeploymentStatusRequest) (*github.Response, error) {
	b, resp, err := c.send(ctx, "POST", fmt.Sprintf("deployments/%d/statuses", id), r, true)
	if err != nil {
		return resp, err
	}
	_, err = decodeID(b)
	return resp, err
}

// listStatuses is go-github's ListDeploymentStatuses, reading each
// status's state and links.
func (c *Client) listStatuses(ctx context.Context, id int64, opts *github.ListOptions) ([]*github.DeploymentStatus, *github.Response, error) {
	q, err := query.Values(opts)
	if err != nil {
		return nil, nil, err
	}
	b, resp, err := c.send(ctx, "GET", fmt.Sprintf("deployments/%d/statuses?%s", id, q.Encode()), nil, true)
	if err != nil {
		return nil, resp, err
	}
	page, err := decodeStatuses(b)
	if err != nil {
		return nil, resp, err
	}
	out := make([]*github.DeploymentStatus, len(page))
	for i := range page {
		out[i] = &github.DeploymentStatus{State: &page[i].State, LogURL: &page[i].LogURL, TargetURL: &page[i].TargetURL}
	}
	return out, resp, nil
}
