package deployments

import (
	"context"
	"math"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/event"
)

// Started is what the started step of a job learnt on GitHub and handed
// over to the job's finishing step (through GITHUB_ENV, see internal/step),
// so that the finishing step's success needs no dependent read in the
// common case: two round trips instead of three.
//
// Its values come from GITHUB_ENV, which every step of the job can write:
// they say which requests to send first, never which deployment gets a
// status. The finishing step posts only to a deployment that the
// environment's list, read afresh, shows as this run's of the product at
// this commit, and retires only what supersede would: the newest earlier
// deployment of the product in that list, once its newest status read
// success.
type Started struct {
	// Deployment is this run's deployment of the product, which the
	// started step posted to.
	Deployment int64
	// Previous is the newest earlier deployment of the product in the
	// environment, as the started step's list of it showed (0: none): the
	// version that the success most likely replaces.
	Previous int64
}

// nextList is the environment's list, sent ahead of the step's need of
// it (see listAhead), under way.
type nextList struct {
	done chan struct{}
	list []*github.Deployment
	err  error
}

// listAhead lists ev's environment now (once for the step's products, see
// Lists). A started step that hands on sends it at the same time as the
// create of its deployment, or its status when it found one of ours, so
// that it hands on the product's previous version without a round trip
// more; a step that posts to the job's own deployment does not list it
// (its finishing step replaces nothing). The finishing step then lists the
// environment but not the commit: a deploy sends as many requests as
// before. Auto-finish's post step sends it with its status, for Post.
func (c *Client) listAhead(ctx context.Context, ev event.Event) *nextList {
	n := &nextList{done: make(chan struct{})}
	go func() {
		defer close(n.done)
		n.list, n.err = c.lists.get(ctx, c, ev, false)
	}()
	return n
}

// wait waits for the list.
func (n *nextList) wait() { <-n.done }

// previous waits for the list and returns the newest earlier deployment of
// ev's product older than id, this step's, or 0. No list, or one that
// failed, hands on nothing: the finishing step looks as it would without.
func (n *nextList) previous(ev event.Event, id int64) int64 {
	if n == nil {
		return 0
	}
	<-n.done
	if n.err != nil || id == 0 {
		return 0
	}
	if e := earlier(n.list, ev, id); len(e) > 0 {
		return e[0].GetID()
	}
	return 0
}

// deliverStarted is Deliver for a final status after a started step of
// the job that handed w.Started over. A success:
//
//	environment's list ∥ the previous version's newest status → status ∥ inactive
//
// Anything else: the environment's list, then the status (as the commit's
// list then the status without a hand-over: the started step's list of
// the environment is not wasted on a deploy that failed).
//
// The status goes to this run's deployment of the product at ev's
// commit (the oldest of its twins, as scan picks it) when the
// environment's list shows the one handed over among them; else the step
// looks for its deployment as without a hand-over (Target: with
// github-deployment: auto the job's own may be it), a round trip or two
// more. The inactive goes to w.Started.Previous when it is the newest
// earlier deployment of the product in that list and its newest status is
// success; when the list shows a newer one, or the status is not success,
// the step reads the others as supersede does, a round trip more.
func (c *Client) deliverStarted(ctx context.Context, ev event.Event, w Where, status func(Target) *github.DeploymentStatusRequest) (Target, error) {
	s := w.Started
	c.lists.Skip() // the commit's list is not needed: no round to join
	success := State(ev.Status) == "success"
	var read *latest
	if success {
		read = c.readLatest(ctx, s.Previous)
		defer read.wait() // no request of the step still on its way when it ends
	}
	list, err := c.lists.get(ctx, c, ev, false)
	if err != nil {
		return Target{}, err
	}
	d := handedOver(list, ev, s.Deployment)
	if d == nil {
		// Every earlier deployment of the product: the one the step
		// finds or creates is newer (retire checks it again).
		var prev *previous
		if success {
			prev = c.previousFrom(ctx, ev, list, math.MaxInt64, read)
		}
		w.Started = Started{}
		t, err := c.Target(ctx, ev, w)
		if err != nil {
			prev.abandon()
			return t, err
		}
		return c.deliver(ctx, ev, t, nil, prev, status(t)) // the job's own replaces nothing
	}
	t := Target{ID: d.GetID(), CreatedAt: d.GetCreatedAt().Time}
	if !success {
		return c.deliver(ctx, ev, t, nil, nil, status(t))
	}
	return c.deliver(ctx, ev, t, nil, c.previousFrom(ctx, ev, list, t.ID, read), status(t))
}

// handedOver returns, from the environment's list, this run's deployment
// of ev's product at ev's commit, the oldest of its twins, when the list
// shows the one handed over (id) among them; else nil.
func handedOver(list []*github.Deployment, ev event.Event, id int64) *github.Deployment {
	var oldest *github.Deployment
	shown := false
	for _, d := range list {
		if !ours(d, ev) || !strings.EqualFold(d.GetSHA(), ev.SHA) {
			continue
		}
		shown = shown || d.GetID() == id
		if oldest == nil || d.GetID() < oldest.GetID() {
			oldest = d
		}
	}
	if !shown {
		return nil
	}
	return oldest
}

// latest is the read of one deployment's newest status, under way.
type latest struct {
	id    int64
	done  chan struct{}
	state string // "" when it has none
	err   error
}

// readLatest reads the newest status of deployment id (nil for 0).
func (c *Client) readLatest(ctx context.Context, id int64) *latest {
	if id <= 0 {
		return nil
	}
	l := &latest{id: id, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		var statuses []*github.DeploymentStatus
		statuses, _, l.err = c.listStatuses(ctx, id, latestOptions())
		if l.err == nil && len(statuses) > 0 {
			l.state = statuses[0].GetState()
		}
	}()
	return l
}

// wait returns the state read, and whether the read succeeded.
func (l *latest) wait() (string, bool) {
	if l == nil {
		return "", false
	}
	<-l.done
	return l.state, l.err == nil
}

// previousFrom is the search for the product's previous live version
// among the deployments of list, the environment's, older than below
// (see findPrevious), when read has the newest status of one of them
// under way.
func (c *Client) previousFrom(ctx context.Context, ev event.Event, list []*github.Deployment, below int64, read *latest) *previous {
	p := &previous{limit: make(chan int64, 1), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.d, p.err = c.findPrevious(ctx, ev, list, below, read)
	}()
	return p
}
