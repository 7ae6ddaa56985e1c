package deployments

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/httpx"
)

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

// create makes this run's deployment of ev. After a lost answer it lists
// again, and creates again only when GitHub did not make it.
func (c *Client) create(ctx context.Context, ev event.Event) (Target, error) {
	const tries = 3
	for try := 1; ; try++ {
		d, resp, err := c.createDeployment(httpx.NoReplay(ctx), CreateRequest(ev))
		if err == nil && d.GetID() != 0 {
			return Target{ID: d.GetID(), Created: true}, nil
		}
		if err == nil {
			// A success without the deployment in it (an empty body):
			// GitHub made it, most likely, so look for it again.
			err = fmt.Errorf("GitHub answered %s without the deployment", resp.Status)
		}
		if try == tries || !lost(ctx, err) {
			return Target{}, c.explain(ctx, "create a deployment", resp, err)
		}
		if id, _, err := c.scan(ctx, ev, ev.SHA); err != nil || id != 0 {
			return Target{ID: id}, err
		}
	}
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
