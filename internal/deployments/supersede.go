package deployments

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/event"
)

// GitHub's auto_inactive, on by default, ignores products. A success adds
// an inactive status to "all prior non-transient, non-production
// environment deployments with the same repository and environment name"
// that had a success: in a staging that several products share, each
// success knocks the others' live deployments out, and in production
// (production_environment, by default true for the environment named
// production) it marks nothing, so every replaced version stays active.
// So a success on a deployment of ours goes with auto_inactive: false,
// and the step marks inactive the product's own previous version: see
// supersede. The job's own deployment keeps GitHub's default: its payload
// names no product.

// maxReads bounds how many of the product's earlier deployments have
// their newest status read, newest first, in search of the one still
// live. Each success of ours retires the product's previous one, so the
// live one is the newest earlier deployment that succeeded: the first
// read, unless deployments that failed or were cancelled came in between.
const maxReads = 5

// Replaced is the deployment a success replaced: the same product's
// previous live deployment in the environment, which the step marked
// inactive. ID 0 is none.
type Replaced struct {
	ID      int64
	Version string // as its payload gives it
}

// superseding reports whether posting r to t replaces the product's
// previous version: a success on a deployment of ours (ev names the
// product; SetStatus has no event and posts as asked).
func superseding(ev event.Event, t Target, r *github.DeploymentStatusRequest) bool {
	return r.GetState() == "success" && !t.Job && ev.Product != ""
}

// withoutAutoInactive is r with GitHub's auto_inactive turned off.
func withoutAutoInactive(r *github.DeploymentStatusRequest) *github.DeploymentStatusRequest {
	cp := *r
	cp.AutoInactive = github.Bool(false)
	return &cp
}

// The environment's list is read in two widths. GitHub lists a
// deployment at about 2 KB, so a page of 100 is some 200 KB to fetch and
// decode in every success, while the product's previous version is
// nearly always among the environment's newest few: the step asks for a
// narrow page first (narrowPage, wider when the step has more products)
// and for the newest 100 (widePage) only when a full narrow page may have
// left the live one out (see findPrevious).
const (
	narrowPage = 10
	widePage   = 100
)

// firstPage is the narrow page's size for a step of n products: room for
// each product's previous version, and as many other deployments again.
func firstPage(n int) int {
	return min(widePage, max(narrowPage, 2*n))
}

// envListOptions asks for the environment's newest deployments, of every
// commit and product, one page of perPage.
func envListOptions(ev event.Event, perPage int) *github.DeploymentsListOptions {
	return &github.DeploymentsListOptions{Environment: ev.Environment, Task: "deploy", ListOptions: github.ListOptions{PerPage: perPage}}
}

// latestOptions asks for a deployment's newest status alone: GitHub lists
// them newest first.
func latestOptions() *github.ListOptions { return &github.ListOptions{PerPage: 1} }

// supersede marks inactive the previous live deployment of ev's product
// in ev's environment, now that deployment id, ours, succeeded: it lists
// the environment's newest deployments once (once for the step's products
// that share it, see Lists), reads the newest status of the product's
// deployments older than id, newest first and at most maxReads, and posts
// inactive to the first that is success. Older ones were retired when it
// succeeded. Other products' deployments, and deployments newer than id,
// are not touched.
func (c *Client) supersede(ctx context.Context, ev event.Event, id int64) (Replaced, error) {
	list, err := c.lists.get(ctx, c, ev, false)
	if err != nil {
		return Replaced{}, err
	}
	d, err := c.findPrevious(ctx, ev, list, id, nil)
	if err != nil || d == nil {
		return Replaced{}, err
	}
	return c.markReplaced(ctx, ev, d, id)
}

// findPrevious reads the newest status of the product's deployments older
// than id in list, the environment's narrow page, newest first and at most
// maxReads, and returns the first that is success, or nil. known, when
// not nil, is the read of one of them already under way (a hand-over, see
// Started): it settles the newest one when it is that one and succeeded;
// a read that failed, or of another, counts for nothing. When the page
// was full and did not settle it (no earlier deployment of the product in
// it, or fewer than maxReads read and none success), the live one may be
// further back: the search goes on in the environment's newest widePage,
// with the deployments it has not read yet.
func (c *Client) findPrevious(ctx context.Context, ev event.Event, list []*github.Deployment, id int64, known *latest) (*github.Deployment, error) {
	seen := earlier(list, ev, id)
	todo, read := seen, 0
	if known != nil && len(seen) > 0 && seen[0].GetID() == known.id {
		if state, ok := known.wait(); ok {
			if state == "success" {
				return seen[0], nil
			}
			todo, read = seen[1:], 1
		}
	}
	d, n, err := c.latestSuccess(ctx, todo, maxReads-read)
	read += n
	if err != nil || d != nil || read >= maxReads || len(list) < c.lists.narrow() {
		return d, err
	}
	wide, err := c.lists.get(ctx, c, ev, true)
	if err != nil {
		return nil, err
	}
	var rest []*github.Deployment
	for _, w := range earlier(wide, ev, id) {
		if !slices.ContainsFunc(seen, func(s *github.Deployment) bool { return s.GetID() == w.GetID() }) {
			rest = append(rest, w)
		}
	}
	d, _, err = c.latestSuccess(ctx, rest, maxReads-read)
	return d, err
}

// markReplaced posts inactive to d, the product's previous version,
// replaced by deployment id.
func (c *Client) markReplaced(ctx context.Context, ev event.Event, d *github.Deployment, id int64) (Replaced, error) {
	resp, err := c.createStatus(ctx, d.GetID(), replacedRequest(ev, strconv.FormatInt(id, 10)))
	if err != nil {
		return Replaced{}, c.explain(ctx, fmt.Sprintf("mark deployment %d inactive, replaced by deployment %d", d.GetID(), id), resp, err)
	}
	p, _ := decodePayload(d.Payload)
	return Replaced{ID: d.GetID(), Version: fmt.Sprint(p["version"])}, nil
}

// listEnvironment lists ev's environment's newest perPage deployments.
func (c *Client) listEnvironment(ctx context.Context, ev event.Event, perPage int) ([]*github.Deployment, error) {
	list, resp, err := c.listDeployments(ctx, envListOptions(ev, perPage))
	if err != nil {
		return nil, c.explain(ctx, "list the deployments of environment "+ev.Environment, resp, err)
	}
	return list, nil
}

// earlier picks from list the deployments of ev's product older than id,
// newest first: those whose payload names the product, as ours do, but
// not this run's (twins, never a previous version).
func earlier(list []*github.Deployment, ev event.Event, id int64) []*github.Deployment {
	var out []*github.Deployment
	for _, d := range list {
		p, ok := decodePayload(d.Payload)
		if ok && d.GetID() < id && p["product"] != nil && fmt.Sprint(p["product"]) == ev.Product && !ours(d, ev) {
			out = append(out, d)
		}
	}
	// Ids grow with time; GitHub lists newest first, but do not count on it.
	slices.SortStableFunc(out, func(a, b *github.Deployment) int { return cmp.Compare(b.GetID(), a.GetID()) })
	return out
}

// replacedRequest retires the product's previous version in favour of
// deployment id, this run's. It links to the run that replaced it, and to
// no environment.
func replacedRequest(ev event.Event, id string) *github.DeploymentStatusRequest {
	r := StatusRequest(ev, "inactive", "superseded by "+ev.Version+" (deployment "+id+")")
	r.EnvironmentURL = nil
	return r
}
