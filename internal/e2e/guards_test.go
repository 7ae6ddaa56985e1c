package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploytrack/deploytrack/internal/fake"
)

// Behaviours that a mutation run over the suite changed with every test
// still green: each test here fails when its behaviour breaks.

// TestInputsWinOverTheEnvironment: an input given in the step wins over
// VERSIONER_API_KEY and VERSIONER_API_URL in the environment, so an
// organisation-wide variable never sends a team's events to another
// account.
func TestInputsWinOverTheEnvironment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	other := fake.NewVersioner("sk_other_account_key")
	osrv := httptest.NewServer(other)
	t.Cleanup(osrv.Close)
	r := w.run(use{with: w.with(nil), env: map[string]string{"VERSIONER_API_KEY": "sk_other_account_key", "VERSIONER_API_URL": osrv.URL}})
	wantCode(t, r, 0)
	if n := len(w.versioner.Events()); n != 1 {
		t.Errorf("the api-url input's Versioner recorded %d events, want 1", n)
	}
	if n := len(other.Requests()); n != 0 {
		t.Errorf("VERSIONER_API_URL's Versioner received %d requests, want none", n)
	}
	if got := w.versioner.Requests()[0].Header.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("Authorization = %q, want the api-key input's", got)
	}
}

// TestResultsOKWhenASinkFailed: results[p].ok is false whenever one of a
// product's sinks failed, fail-on-api-error true or false.
func TestResultsOKWhenASinkFailed(t *testing.T) {
	t.Parallel()
	for _, failOn := range []string{"true", "false"} {
		t.Run("fail-on-api-error "+failOn, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.github.Inject(fake.Fault{Method: "POST", PathSuffix: "/deployments", Status: 422, Body: `{"message":"Validation Failed"}`})
			r := w.run(use{with: w.with(map[string]string{"product": "", "products": "shop-api@1\nworker@2", "fail-on-api-error": failOn})})
			var results map[string]map[string]any
			if err := json.Unmarshal([]byte(r.outputs["results"]), &results); err != nil {
				t.Fatalf("results %q: %v", r.outputs["results"], err)
			}
			failed := 0
			for p, res := range results {
				if res["ok"] == false {
					failed++
					if res["error"] == "" || res["error"] == nil {
						t.Errorf("results[%s] failed without an error", p)
					}
				}
			}
			if failed != 1 {
				t.Errorf("results = %v: want exactly one product not ok (its GitHub create failed)", results)
			}
		})
	}
}

// TestProductsInFlight: the products input never has more requests in
// flight at once to either API than its limit (10), however many products
// there are.
func TestProductsInFlight(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	vs := &inFlight{h: w.versioner}
	gs := &inFlight{h: w.github}
	vsrv, gsrv := httptest.NewServer(vs), httptest.NewServer(gs)
	t.Cleanup(vsrv.Close)
	t.Cleanup(gsrv.Close)
	var lines []string
	for i := range 25 {
		lines = append(lines, fmt.Sprintf("p%02d@1", i))
	}
	r := w.run(use{
		with: w.with(map[string]string{"api-url": vsrv.URL, "product": "", "products": strings.Join(lines, "\n"), "github-deployment": "true"}),
		env:  map[string]string{"GITHUB_API_URL": gsrv.URL + w.github.PathPrefix},
	})
	wantCode(t, r, 0)
	if n := len(w.versioner.Events()); n != 25 {
		t.Fatalf("Versioner recorded %d events, want 25", n)
	}
	if n := len(w.github.Deployments()); n != 25 {
		t.Fatalf("GitHub holds %d deployments, want 25", n)
	}
	for api, c := range map[string]*inFlight{"Versioner": vs, "GitHub": gs} {
		if c.peak > 10 || c.peak < 2 {
			t.Errorf("%s: at most %d requests were in flight at once; want between 2 (concurrent) and 10 (the limit)", api, c.peak)
		}
	}
}

// inFlight serves h and counts the most requests it had at once, each
// held a moment so that concurrent ones pile up.
type inFlight struct {
	h         http.Handler
	mu        sync.Mutex
	now, peak int
}

func (c *inFlight) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.now++
	c.peak = max(c.peak, c.now)
	c.mu.Unlock()
	time.Sleep(20 * time.Millisecond)
	c.h.ServeHTTP(rw, r)
	c.mu.Lock()
	c.now--
	c.mu.Unlock()
}

// TestPostStepLooksAgainAfter404: when the deployment the main step handed
// to its post step is gone (GitHub answers 404), the post step looks it up
// again and posts the outcome there.
func TestPostStepLooksAgainAfter404(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	j := w.job(nil)
	code(t, jobRun(t, j, w.with(map[string]string{"status": "started", "auto-finish": "true", "github-deployment": "true"})), 0)
	w.github.Reset()
	w.github.Inject(fake.Fault{Method: "POST", PathSuffix: "/deployments/1/statuses", Status: 404, Body: `{"message":"Not Found"}`})
	posts := jobPost(t, j)
	code(t, posts[0], 0)
	wantPaths(t, "GitHub", w.github.Requests(), ghStatus("1"), ghList, ghStatus("1"), ghEnvList)
	if got := statuses(w); len(got) != 1 || got[0] != "shop-api: in_progress → success" {
		t.Errorf("GitHub = %v, want the outcome on the deployment found again", got)
	}
}
