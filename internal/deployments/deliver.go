package deployments

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/event"
)

// Deliver finds or creates the deployment of ev, as Target does, and
// posts to it the status that status returns, as Post does: the same
// requests, with those that do not depend on each other sent at once, so
// that a step costs fewer round trips. status is called once the
// deployment is known; it may wait (for Versioner's preflight answer).
//
// For a deployment of ours and a success, which replaces the product's
// previous version:
//
//	first event:     list ∥ environment's list  → create ∥ previous's status
//	                 → second list ∥ status ∥ inactive to the previous
//	finishing step:  list ∥ environment's list  → status ∥ previous's status
//	                 → inactive to the previous
//
// Three round trips each, where Target then Post take seven and five. The
// previous version's state is not in the environment's list, and is read
// with its id from that list; its inactive goes only once the state is
// known: a finishing step cannot take fewer than three.
//
// The status goes to this step's deployment while the second list looks
// for twins; only when that list shows an older twin (another step created
// the same deployment at the same moment, see settle) is this one marked
// inactive and the status posted again, to the oldest. The previous
// version's inactive goes with the success, not after it: the event says
// the new version is live, and when GitHub refuses the success the step
// fails and says so. The products of a step share the lists (see Lists).
//
// With github-deployment: auto the same list also looks for the job's own
// deployment (see lookups); when the step posts to that one, the
// environment's list, sent at once for a success, was not needed. A
// deployment known beforehand (auto-finish's post step, a handed-over one)
// takes Target then Post; the post step's success sends the environment's
// list with its status (three round trips, not four). status gets the
// deployment found: when it is an existing one of ours, with the time
// GitHub made it.
//
// A finishing step that a started step of the job handed over to
// (w.Started) lists the environment instead of the commit, and a success
// takes two round trips (see deliverStarted); a started step that hands
// on lists the environment for it, with its create (see listAhead).
func (c *Client) Deliver(ctx context.Context, ev event.Event, w Where, status func(Target) *github.DeploymentStatusRequest) (Target, error) {
	all := lookups(ev, w)
	switch {
	case all[0] != findOurs:
		c.lists.Skip()
		if all[0] == useKnown && !w.KnownJob && State(ev.Status) == "success" && ev.Product != "" && c.lists != nil {
			// Auto-finish's post step: Post replaces the previous version
			// after the status, from the environment's list, which goes
			// now, with the status, for Post to find in the step's Lists.
			defer c.listAhead(ctx, ev).wait()
		}
		t, err := c.Target(ctx, ev, w)
		if err != nil {
			return t, err
		}
		err = c.Post(ctx, ev, w, &t, status(t))
		return t, err
	case w.Started.Deployment > 0 && ev.Status.Terminal() && ev.Product != "":
		return c.deliverStarted(ctx, ev, w, status)
	case w.HandsOn && ev.Status == event.Started && ev.Product != "":
		var next *nextList
		t, err := c.deliverOurs(ctx, ev, w, all, func() { next = c.listAhead(ctx, ev) }, status)
		t.Previous = next.previous(ev, t.ID)
		return t, err
	}
	return c.deliverOurs(ctx, ev, w, all, nil, status)
}

// deliverOurs is Deliver when the step lists the commit's deployments
// first: all are its lookups. It calls onOurs, if set, as soon as it knows
// that the status goes to a deployment of ours (found, or to be created),
// before the next request goes.
func (c *Client) deliverOurs(ctx context.Context, ev event.Event, w Where, all []lookup, onOurs func(), status func(Target) *github.DeploymentStatusRequest) (Target, error) {
	if onOurs == nil {
		onOurs = func() {}
	}
	var prev *previous
	if State(ev.Status) == "success" && ev.Product != "" {
		prev = c.startPrevious(ctx, ev)
	}
	r := c.lists.join(c, ev)
	giveUp := func(t Target, err error) (Target, error) {
		r.leave(false)
		prev.abandon()
		return t, err
	}
	found, candidates, err := c.scanPages(ctx, ev, r.find)
	if err != nil {
		return giveUp(Target{}, err)
	}
	if id := found.GetID(); id != 0 {
		r.leave(false)
		prev.below(id)
		onOurs()
		t := Target{ID: id, CreatedAt: found.GetCreatedAt().Time}
		return c.deliver(ctx, ev, t, nil, prev, status(t))
	}
	if slices.Contains(all, findRunSHA) {
		_, more, err := c.scan(ctx, ev, w.RunSHA)
		if err != nil {
			return giveUp(Target{}, err)
		}
		candidates = append(candidates, more...)
	}
	if slices.Contains(all, findJob) {
		id, err := c.jobDeployment(ctx, ev, candidates)
		if err != nil {
			return giveUp(Target{}, err)
		}
		if id != 0 {
			// The job's own deployment: no twin to settle, and GitHub's
			// auto_inactive retires what it replaces.
			r.leave(false)
			prev.abandon()
			t := Target{ID: id, Job: true}
			return c.deliver(ctx, ev, t, nil, nil, status(t))
		}
	}
	prev.below(math.MaxInt64) // every earlier one: this step's is yet to be made
	onOurs()
	t, err := c.create(ctx, ev)
	r.leave(err == nil && t.Created)
	if err != nil {
		prev.abandon()
		return t, err
	}
	var st *settling
	if t.Created {
		st = c.startSettle(ctx, ev, r)
	}
	return c.deliver(ctx, ev, t, st, prev, status(t))
}

// deliver posts req to t while the second look (st, after a create) and
// the search for the previous version (prev, for a success) go on, and
// then retires the previous version.
func (c *Client) deliver(ctx context.Context, ev event.Event, t Target, st *settling, prev *previous, req *github.DeploymentStatusRequest) (Target, error) {
	replaces := superseding(ev, t, req)
	if replaces {
		req = withoutAutoInactive(req)
	}
	var wg sync.WaitGroup
	var replaced Replaced
	var retireErr error
	if replaces && prev != nil {
		wg.Add(1)
		// It does not wait for the second look: the previous version is
		// older than this step's deployment, and than the run's twins.
		go func(id int64) {
			defer wg.Done()
			replaced, retireErr = c.retire(ctx, ev, prev, id)
		}(t.ID)
	} else {
		prev.abandon()
	}
	resp, err := c.createStatus(ctx, t.ID, req)
	if err != nil {
		err = c.explain(ctx, fmt.Sprintf("post a status to deployment %d", t.ID), resp, err)
	}
	if st != nil {
		// Once its status is in, a twin that lost is retired (settleOn),
		// and the status goes to the oldest.
		<-st.done
		if st.err != nil {
			if err == nil {
				err = st.err
			}
		} else {
			nt, serr := c.settleOn(ctx, ev, t.ID, st.oldest)
			if nt.ID != t.ID && err == nil {
				resp, err = c.createStatus(ctx, nt.ID, req)
				if err != nil {
					err = c.explain(ctx, fmt.Sprintf("post a status to deployment %d", nt.ID), resp, err)
				}
			}
			t = nt
			if err == nil {
				err = serr
			}
		}
	}
	wg.Wait()
	t.Replaced = replaced
	if err == nil && retireErr != nil {
		err = fmt.Errorf("posted %s to deployment %d, but the product's previous deployment may still show as active: %w", req.GetState(), t.ID, retireErr)
	}
	return t, err
}

// settling is the second look of a step that created its deployment,
// under way (see settle).
type settling struct {
	done   chan struct{}
	oldest int64 // the oldest of this run's deployments of the product it found
	err    error
}

// startSettle takes the second look of a step that created its
// deployment, on the round's second list, once every product of the round
// has found or created its own.
func (c *Client) startSettle(ctx context.Context, ev event.Event, r *round) *settling {
	st := &settling{done: make(chan struct{})}
	go func() {
		defer close(st.done)
		p, err := r.second(ctx)
		if err == nil {
			var oldest *github.Deployment
			oldest, _, err = c.scanPages(ctx, ev, p)
			st.oldest = oldest.GetID()
		}
		st.err = err
	}()
	return st
}

// previous is the search for the product's previous live deployment in
// the environment, under way: the environment's list at once, each
// earlier deployment's newest status once the target's id is known.
type previous struct {
	limit chan int64 // the target's id: earlier deployments are below it
	once  sync.Once  // the id is given once
	done  chan struct{}
	d     *github.Deployment // nil: none
	err   error
}

// startPrevious lists ev's environment's narrow page (once for the step's
// products, see Lists) and, once below gives the target's id, reads the
// newest status of the product's earlier deployments, newest first and at
// most maxReads, until one is success: the version a success replaces
// (see findPrevious).
func (c *Client) startPrevious(ctx context.Context, ev event.Event) *previous {
	p := &previous{limit: make(chan int64, 1), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		list, err := c.lists.get(ctx, c, ev, false)
		if err != nil {
			p.err = err
			return
		}
		var below int64
		select {
		case below = <-p.limit:
		case <-ctx.Done():
			p.err = ctx.Err()
			return
		}
		p.d, p.err = c.findPrevious(ctx, ev, list, below, nil)
	}()
	return p
}

// below gives the target's id; deployments of this run of the product
// are never the previous version.
func (p *previous) below(id int64) {
	if p != nil {
		p.once.Do(func() { p.limit <- id })
	}
}

// abandon ends the search, if the target's id was not given yet: the
// step replaces nothing. It waits for the environment's list, sent
// already, so that no request of the step is still on its way when the
// step ends.
func (p *previous) abandon() {
	if p != nil {
		p.below(0)
		<-p.done
	}
}

// latestSuccess reads the newest status of each of list, in order and at
// most limit, and returns the first that is success, or nil, and how many
// it read.
func (c *Client) latestSuccess(ctx context.Context, list []*github.Deployment, limit int) (*github.Deployment, int, error) {
	for i, d := range list {
		if i == limit {
			return nil, i, nil
		}
		statuses, resp, err := c.listStatuses(ctx, d.GetID(), latestOptions())
		if err != nil {
			return nil, i + 1, c.explain(ctx, fmt.Sprintf("read the newest status of deployment %d", d.GetID()), resp, err)
		}
		if len(statuses) > 0 && statuses[0].GetState() == "success" {
			return d, i + 1, nil
		}
	}
	return nil, len(list), nil
}

// retire marks inactive the previous version prev found, in favour of
// deployment id, unless it is no older than id (a deployment of another
// run made while this step created its own).
func (c *Client) retire(ctx context.Context, ev event.Event, prev *previous, id int64) (Replaced, error) {
	<-prev.done
	if prev.err != nil || prev.d == nil || prev.d.GetID() >= id || ours(prev.d, ev) {
		return Replaced{}, prev.err
	}
	return c.markReplaced(ctx, ev, prev.d, id)
}
