package deployments_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/httpx"
)

// chain serves h and numbers the round trip each request is in: one more
// than the deepest request answered before it arrived. A request sent
// only once another was answered is a round trip later; requests sent at
// once share one. The latency (100 ms) keeps requests sent at once from
// finding each other answered, even on a loaded machine.
type chain struct {
	mu   sync.Mutex
	done int // the deepest round trip answered so far
	seen []string
}

func (c *chain) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		depth := c.done + 1
		name := r.Method + " " + strings.TrimPrefix(r.URL.Path, "/api/v3/repos/acme/web/deployments")
		if r.URL.RawQuery != "" {
			name += "?" + r.URL.RawQuery
		}
		c.seen = append(c.seen, name)
		c.mu.Unlock()
		h.ServeHTTP(w, r)
		c.mu.Lock()
		c.done = max(c.done, depth)
		c.mu.Unlock()
	})
}

func (c *chain) roundTrips() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// TestDeliverRoundTrips: Deliver sends at once what does not depend on
// an answer: a completed first event of a product with a previous version
// live costs three round trips, a finishing step three, and both make the
// requests Target then Post make, no more.
func TestDeliverRoundTrips(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		started bool // a started step of the run went first: the deployment exists
		status  event.Status
		trips   int
		want    []string
	}{
		{name: "first event, completed", status: event.Completed, trips: 3,
			want: []string{"GET ?environment=production&per_page=100&sha=" + sha + "&task=deploy", "GET ?environment=production&per_page=10&task=deploy",
				"GET /1/statuses?per_page=1", "POST ", "GET ?environment=production&per_page=100&sha=" + sha + "&task=deploy", "POST /2/statuses", "POST /1/statuses"}},
		{name: "finishing step, completed", started: true, status: event.Completed, trips: 3,
			want: []string{"GET ?environment=production&per_page=100&sha=" + sha + "&task=deploy", "GET ?environment=production&per_page=10&task=deploy",
				"GET /1/statuses?per_page=1", "POST /2/statuses", "POST /1/statuses"}},
		{name: "first event, started", status: event.Started, trips: 3,
			want: []string{"GET ?environment=production&per_page=100&sha=" + sha + "&task=deploy", "POST ",
				"GET ?environment=production&per_page=100&sha=" + sha + "&task=deploy", "POST /2/statuses"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := fake.NewGitHub(token, "acme", "web")
			gh.AddDeployment(fake.Deployment{SHA: "1111111111111111111111111111111111111111", Ref: "main", Environment: "production",
				Payload: map[string]any{"product": "web", "version": "1.2.2", "run_id": "1"}, Statuses: []fake.Status{{State: "success"}}})
			ev := with(deployment(), func(e *event.Event) { e.Status = tt.status })
			c := &chain{}
			srv := httptest.NewServer(c.wrap(gh))
			t.Cleanup(srv.Close)
			client := func() *deployments.Client {
				hc := httpx.New(httpx.Options{WaitMin: time.Millisecond, WaitMax: time.Millisecond}).For("GitHub")
				cl, err := deployments.New(hc, srv.URL+"/api/v3", token, "acme/web", userAgent)
				if err != nil {
					t.Fatal(err)
				}
				return cl
			}
			ctx := context.Background()
			if tt.started {
				started := with(ev, func(e *event.Event) { e.Status = event.Started })
				if _, err := client().Deliver(ctx, started, deployments.Where{}, func(deployments.Target) *github.DeploymentStatusRequest {
					return deployments.StatusRequest(started, "in_progress", "")
				}); err != nil {
					t.Fatal(err)
				}
			}
			gh.SetLatency(100 * time.Millisecond)
			c.mu.Lock()
			c.done, c.seen = 0, nil
			c.mu.Unlock()
			got, err := client().Deliver(ctx, ev, deployments.Where{}, func(deployments.Target) *github.DeploymentStatusRequest {
				return deployments.StatusRequest(ev, deployments.State(ev.Status), "")
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != 2 {
				t.Errorf("Deliver posted to deployment %d, want 2", got.ID)
			}
			if n := c.roundTrips(); n != tt.trips {
				t.Errorf("%d round trips, want %d: %q", n, tt.trips, c.seen)
			}
			if diff := cmp.Diff(slices.Sorted(slices.Values(tt.want)), slices.Sorted(slices.Values(c.seen))); diff != "" {
				t.Errorf("requests, in any order (-want +got):\n%s", diff)
			}
			if tt.status == event.Completed {
				if want := (deployments.Replaced{ID: 1, Version: "1.2.2"}); got.Replaced != want {
					t.Errorf("Replaced = %+v, want %+v", got.Replaced, want)
				}
				d := gh.Deployments()[0]
				if last := d.Statuses[len(d.Statuses)-1]; last.State != "inactive" {
					t.Errorf("the previous version's last status is %q, want inactive", last.State)
				}
			}
		})
	}
}

// TestDeliverProductsShareLists: the products of one step, each with its
// own client sharing one Lists that expects them all, list the commit
// once, look again once after their creates, and list the environment
// once; a product that skips (no lookup) does not hold the others up.
func TestDeliverProductsShareLists(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 10, 30} {
		t.Run(fmt.Sprint(n, " products"), func(t *testing.T) {
			t.Parallel()
			gh := fake.NewGitHub(token, "acme", "web")
			srv := httptest.NewServer(gh)
			t.Cleanup(srv.Close)
			hc := httpx.New(httpx.Options{WaitMin: time.Millisecond, WaitMax: time.Millisecond, MaxInFlight: 10})
			var lists deployments.Lists
			lists.Expect(n + 1)
			lists.Skip() // a product whose GitHub deployment is off
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := deployments.New(hc.For("GitHub"), srv.URL+"/api/v3", token, "acme/web", userAgent)
					if err != nil {
						t.Error(err)
						return
					}
					c.Share(&lists)
					ev := with(deployment(), func(e *event.Event) { e.Product = fmt.Sprint("p", i) })
					if _, err := c.Deliver(context.Background(), ev, deployments.Where{}, func(deployments.Target) *github.DeploymentStatusRequest {
						return deployments.StatusRequest(ev, "success", "")
					}); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			count := map[string]int{}
			for _, r := range gh.Requests() {
				k := r.Method + " " + r.Path[strings.LastIndex(r.Path, "/"):]
				if strings.Contains(r.RawQuery, "sha=") {
					k += " (commit)"
				}
				count[k]++
			}
			want := map[string]int{"GET /deployments (commit)": 2, "GET /deployments": 1, "POST /deployments": n, "POST /statuses": n}
			if diff := cmp.Diff(want, count); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}
