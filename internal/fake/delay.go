package fake

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// Racing serves g to n steps that start at the same moment: the first n
// lists of deployments are each answered only once all n have been read,
// so every step finds nothing and creates, as steps of one run that start
// at the same instant do. Pair it with SetCreateDelay, so that each step's
// second look sees the others' deployments.
func (g *GitHub) Racing(n int) http.Handler {
	var mu sync.Mutex
	listed, read := 0, 0
	all := make(chan struct{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		first := r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/deployments") && listed < n
		if first {
			listed++
		}
		mu.Unlock()
		if !first {
			g.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, r) // the list as it is now, before any create
		mu.Lock()
		if read++; read == n {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
		case <-r.Context().Done():
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}
