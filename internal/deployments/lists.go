package deployments

import (
	"context"
	"strconv"
	"sync"

	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/event"
)

// Lists keeps the environments' lists that a step's successes read to
// replace their products' previous versions (see supersede), so that the
// products of one step that share an environment list it once, whichever
// gets there first, instead of once each. The zero value is ready; give
// one to every Client of the step with Share.
//
// One list serves them all: what a product looks for in it is its own
// earlier deployments, which were there before the step started, and their
// newest statuses are read afresh.
//
// The same goes for the list of a commit's deployments in an environment,
// in which each product of the step looks for its own deployment, and for
// the second look at it after the creates (see settle): the products that
// look at the same moment form a round, which lists the commit once, and
// once more after the last of its creates was answered (see round).
//
// A round closes when its last member has found or created its
// deployment; with Expect, not before every product of the step has
// joined a round or said it will not (Skip), so that a product whose
// goroutine starts late does not list again.
type Lists struct {
	mu       sync.Mutex
	m        map[string]*envList
	statuses map[string]*statusList // the job candidates' (see candidateStatuses)
	rounds   map[string]*round
	expected int // products that will each join or Skip once
	arrived  int
}

// Expect says that n products of the step will each look for their
// deployment (Client.Deliver) or Skip, once.
func (l *Lists) Expect(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expected = n
}

// Skip says that a product expected will not look for a deployment.
func (l *Lists) Skip() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.arrived++
	l.closeIdle()
	l.mu.Unlock()
}

// closeIdle closes, once every product expected has arrived, the rounds
// whose members have all left; l.mu is held.
func (l *Lists) closeIdle() {
	if l.arrived < l.expected {
		return
	}
	for _, r := range l.rounds {
		if r.members == 0 && !r.closed {
			r.shut()
		}
	}
}

// narrow is the size of the environments' narrow page for the step's
// products (see firstPage).
func (l *Lists) narrow() int {
	if l == nil {
		return firstPage(1)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return firstPage(l.expected)
}

// onceFor returns the entry of m for key, made on the first ask: what
// the step's products read once between them (an environment's list, a
// candidate's statuses) is read in its once. l.mu guards every m.
func onceFor[E any](l *Lists, m *map[string]*E, key string) *E {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := (*m)[key]
	if e == nil {
		if *m == nil {
			*m = map[string]*E{}
		}
		e = new(E)
		(*m)[key] = e
	}
	return e
}

// statusList is a deployment's statuses, read once for the step.
type statusList struct {
	once sync.Once
	list []*github.DeploymentStatus
	resp *github.Response
	err  error
}

// candidateStatuses reads the statuses of deployment id, a candidate for
// the job's own (see jobDeployment), once for l, or each time without one:
// with github-deployment: auto, each product of a step at the job's
// commit asks the same of the same candidates.
func (l *Lists) candidateStatuses(ctx context.Context, c *Client, id int64) ([]*github.DeploymentStatus, *github.Response, error) {
	if l == nil {
		return c.listStatuses(ctx, id, statusOptions())
	}
	e := onceFor(l, &l.statuses, c.owner+"/"+c.repo+"\n"+strconv.FormatInt(id, 10))
	e.once.Do(func() { e.list, e.resp, e.err = c.listStatuses(ctx, id, statusOptions()) })
	return e.list, e.resp, e.err
}

type envList struct {
	once sync.Once
	list []*github.Deployment
	err  error
}

// Share makes c read the environments' lists through l.
func (c *Client) Share(l *Lists) { c.lists = l }

// get lists ev's environment once for l, or each time without one: its
// narrow page, or with wide its newest widePage.
func (l *Lists) get(ctx context.Context, c *Client, ev event.Event, wide bool) ([]*github.Deployment, error) {
	size := l.narrow()
	if wide {
		size = widePage
	}
	if l == nil {
		return c.listEnvironment(ctx, ev, size)
	}
	e := onceFor(l, &l.m, c.owner+"/"+c.repo+"\n"+ev.Environment+"\n"+strconv.Itoa(size))
	e.once.Do(func() { e.list, e.err = c.listEnvironment(ctx, ev, size) })
	return e.list, e.err
}

// A round is the products of a step that look for their deployments of
// one commit in one environment at the same moment. They share the
// commit's list (find), and the products that create their deployment
// share the second look at it (settled), which is taken once every member
// has found or created its own: after the last create was answered, so
// that each creator's settle sees every twin stored before its own (see
// settle). A product that arrives after the round's second look started
// begins a round of its own.
type round struct {
	find *pages

	mu      *sync.Mutex // the Lists' own, so that joining and leaving are one
	members int
	created bool
	closed  bool          // the last member has left: newcomers start another
	settled *pages        // set when the last member has left
	ready   chan struct{} // closed then
	leaving func()        // takes the round out of its Lists, with mu held
	waiting func() bool   // reports whether products the Lists expects are yet to arrive, with mu held
}

// shut closes the round to newcomers and opens its second look; mu is
// held.
func (r *round) shut() {
	r.closed = true
	r.settled = r.find.c.newPages(r.find.ev, r.find.ev.SHA)
	if r.leaving != nil {
		r.leaving()
	}
	close(r.ready)
}

// join makes c, looking for its deployment of ev, a member of the open
// round of ev's commit and environment, or of a new one; without Lists
// it is a round of its own. Every member leaves once.
func (l *Lists) join(c *Client, ev event.Event) *round {
	if l == nil {
		return &round{find: c.newPages(ev, ev.SHA), mu: &sync.Mutex{}, members: 1, ready: make(chan struct{})}
	}
	key := c.owner + "/" + c.repo + "\n" + ev.SHA + "\n" + ev.Environment
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.rounds[key]
	if r == nil {
		if l.rounds == nil {
			l.rounds = map[string]*round{}
		}
		r = &round{find: c.newPages(ev, ev.SHA), mu: &l.mu, ready: make(chan struct{})}
		r.leaving = func() { delete(l.rounds, key) }
		r.waiting = func() bool { return l.arrived < l.expected }
		l.rounds[key] = r
	}
	r.members++
	l.arrived++
	l.closeIdle()
	return r
}

// leave says that a member has found its deployment, or created it
// (created), or given up. The last to leave closes the round to newcomers
// and opens its second look.
func (r *round) leave(created bool) {
	r.mu.Lock()
	r.members--
	r.created = r.created || created
	last := r.members == 0 && !r.closed && (r.waiting == nil || !r.waiting())
	if last {
		r.shut()
	}
	r.mu.Unlock()
}

// second returns the round's second look, once every member has left.
func (r *round) second(ctx context.Context) (*pages, error) {
	select {
	case <-r.ready:
		return r.settled, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
