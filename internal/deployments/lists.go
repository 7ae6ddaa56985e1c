package deployments

import (
	"context"
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
type Lists struct {
	mu sync.Mutex
	m  map[string]*envList
}

type envList struct {
	once sync.Once
	list []*github.Deployment
	err  error
}

// Share makes c read the environments' lists through l.
func (c *Client) Share(l *Lists) { c.lists = l }

// get lists ev's environment once for l, or each time without one.
func (l *Lists) get(ctx context.Context, c *Client, ev event.Event) ([]*github.Deployment, error) {
	if l == nil {
		return c.listEnvironment(ctx, ev)
	}
	key := c.owner + "/" + c.repo + "\n" + ev.Environment
	l.mu.Lock()
	e := l.m[key]
	if e == nil {
		if l.m == nil {
			l.m = map[string]*envList{}
		}
		e = &envList{}
		l.m[key] = e
	}
	l.mu.Unlock()
	e.once.Do(func() { e.list, e.err = c.listEnvironment(ctx, ev) })
	return e.list, e.err
}
