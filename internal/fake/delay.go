package fake

import (
	"net/http"
	"strings"
	"time"
)

// SetCreateDelay makes the fake answer a create-deployment request it
// accepted d after it has stored the deployment: in that moment GitHub has
// made it and lists it, but the client does not know its id yet. Two steps
// of one run that list before either create is answered both create; the
// delay lets each see the other's deployment when it lists again.
func (g *GitHub) SetCreateDelay(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.createDelay = d
}

// delayCreates wraps handle: a create it answers 201 waits out the create
// delay, with the fake's lock released, or until the client hangs up.
func (g *GitHub) delayCreates(handle func(*http.Request, []byte) reply) func(*http.Request, []byte) reply {
	return func(r *http.Request, body []byte) reply {
		rp := handle(r, body)
		g.mu.Lock()
		d := g.createDelay
		g.mu.Unlock()
		if d <= 0 || rp.status != http.StatusCreated || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/deployments") {
			return rp
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		return rp
	}
}
