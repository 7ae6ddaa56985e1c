package deployments

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/event"
)

// sameMoment bounds how far apart two steps of a run create twins: each
// listed before the other's create was stored, so their creates are at
// most a few round trips and retries apart. A page of the list that ends
// more than sameMoment before this run's deployment cannot be followed by
// a twin of it.
const sameMoment = time.Minute

// settle is the second look of a step that created deployment id of ev.
// Steps of one run that start the same product at the same commit in the
// same environment at the same moment all list, find nothing and create:
// twins. Each creator lists again once its create is answered and settles
// on the oldest twin (the lowest id): its own when it sees none older, as
// when GitHub does not list its own yet. When the oldest is another's, it
// marks its own inactive, so that the Environments page does not show it
// in progress for ever, and posts its status to the oldest.
//
// Every step settles on the same one: GitHub numbers deployments in the
// order it stores them, and a creator lists only after its own was stored,
// so the oldest twin, stored before all the others, is in every creator's
// second list and every later step's first (scan picks the oldest too).
func (c *Client) settle(ctx context.Context, ev event.Event, id int64) (Target, error) {
	oldest, _, err := c.scan(ctx, ev, ev.SHA)
	if err != nil {
		return Target{ID: id, Created: true}, err
	}
	return c.settleOn(ctx, ev, id, oldest)
}

// settleOn settles the step that created deployment id on oldest, the
// oldest of this run's deployments of ev that its second look found.
func (c *Client) settleOn(ctx context.Context, ev event.Event, id, oldest int64) (Target, error) {
	if oldest == 0 || oldest >= id {
		return Target{ID: id, Created: true}, nil // a newer twin is its creator's to retire
	}
	resp, err := c.createStatus(ctx, id, supersededRequest(ev, strconv.FormatInt(oldest, 10)))
	if err != nil {
		return Target{ID: oldest}, c.explain(ctx, fmt.Sprintf("mark deployment %d inactive, superseded by deployment %d", id, oldest), resp, err)
	}
	return Target{ID: oldest}, nil
}

// supersededRequest retires a twin in favour of deployment oldest. It
// links to the run that made it, and to no environment: it never was the
// environment's live deployment.
func supersededRequest(ev event.Event, oldest string) *github.DeploymentStatusRequest {
	r := StatusRequest(ev, "inactive", "superseded by deployment "+oldest+": another step of this run created it at the same moment")
	r.EnvironmentURL = nil
	return r
}

// twinMayFollow reports whether the deployments after last in the list,
// older than last, may still hold a twin of oldest, the oldest of this
// run's deployments found so far. Without the times it cannot tell: yes.
func twinMayFollow(oldest, last *github.Deployment) bool {
	return oldest.GetCreatedAt().Sub(last.GetCreatedAt().Time) < sameMoment
}
