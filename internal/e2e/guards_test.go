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
// flight at once than its limit (10), however many products there are.
func TestProductsInFlight(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var mu sync.Mutex
	now, peak := 0, 0
	counting := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			mu.Lock()
			now++
			peak = max(peak, now)
			mu.Unlock()
			time.Sleep(20 * time.Millisecond) // long enough for the others to pile up
			h.ServeHTTP(rw, r)
			mu.Lock()
			now--
			mu.Unlock()
		})
	}
	vs := httptest.NewServer(counting(w.versioner))
	t.Cleanup(vs.Close)
	var lines []string
	for i := range 25 {
		lines = append(lines, fmt.Sprintf("p%02d@1", i))
	}
	r := w.run(use{with: w.with(map[string]string{"api-url": vs.URL, "product": "", "products": strings.Join(lines, "\n"), "github-deployment": "false"})})
	wantCode(t, r, 0)
	if n := len(w.versioner.Events()); n != 25 {
		t.Fatalf("Versioner recorded %d events, want 25", n)
	}
	if peak > 10 || peak < 2 {
		t.Errorf("at most %d requests were in flight at once; want between 2 (concurrent) and 10 (the limit)", peak)
	}
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
