package deployments_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
)

// TestListsShared: the products of one step, each with its own client
// sharing one Lists, list an environment once between them however their
// successes interleave; another environment is listed for itself, and a
// client without Lists lists for each success.
func TestListsShared(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		share     bool
		envs      []string // one product per entry, in that environment
		wantLists map[string]int
	}{
		{name: "five products in one environment", share: true, envs: []string{"production", "production", "production", "production", "production"},
			wantLists: map[string]int{"production": 1}},
		{name: "two environments", share: true, envs: []string{"production", "staging", "production", "staging"},
			wantLists: map[string]int{"production": 1, "staging": 1}},
		{name: "not shared", envs: []string{"production", "production", "production"}, wantLists: map[string]int{"production": 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			var mu sync.Mutex
			lists := map[string]int{}
			g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				lists[r.URL.Query().Get("environment")]++
				mu.Unlock()
				var list []byte
				for i := range tt.envs {
					list = fmt.Appendf(list, "%s,", product(int64(i+1), fmt.Sprint("p", i), "1", "1"))
				}
				respond(w, http.StatusOK, "["+string(list[:len(list)-1])+"]")
			})
			g.mux.HandleFunc("GET /repos/acme/web/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusOK, `[{"id":1,"state":"success"}]`)
			})
			g.mux.HandleFunc("POST /repos/acme/web/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusCreated, `{"id":1}`)
			})
			var shared deployments.Lists
			replaced := make([]deployments.Replaced, len(tt.envs))
			var wg sync.WaitGroup
			for i, env := range tt.envs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := g.client(t, g.url)
					if tt.share {
						c.Share(&shared)
					}
					ev := with(deployment(), func(e *event.Event) { e.Product, e.Environment = fmt.Sprint("p", i), env })
					target := deployments.Target{ID: int64(100 + i)}
					if err := c.Post(context.Background(), ev, deployments.Where{}, &target, deployments.StatusRequest(ev, "success", "")); err != nil {
						t.Error(err)
					}
					replaced[i] = target.Replaced
				}()
			}
			wg.Wait()
			if diff := cmp.Diff(tt.wantLists, lists); diff != "" {
				t.Errorf("lists per environment (-want +got):\n%s", diff)
			}
			for i, r := range replaced {
				if r.ID != int64(i+1) {
					t.Errorf("product p%d replaced %+v, want its own deployment %d", i, r, i+1)
				}
			}
		})
	}
}

// TestListsShareCandidates: with github-deployment: auto, the products of
// one step at the job's commit read a candidate for the job's own
// deployment once between them, not once each.
func TestListsShareCandidates(t *testing.T) {
	t.Parallel()
	for _, share := range []bool{true, false} {
		t.Run(fmt.Sprint("shared ", share), func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			var mu sync.Mutex
			reads := 0
			g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusOK, "["+job(5)+"]")
			})
			g.mux.HandleFunc("GET /repos/acme/web/deployments/5/statuses", func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				reads++
				mu.Unlock()
				respond(w, http.StatusOK, linking("https://github.com/acme/web/actions/runs/987654321/job/9"))
			})
			var shared deployments.Lists
			products := []string{"shop-api", "worker", "search"}
			var wg sync.WaitGroup
			for _, p := range products {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := g.client(t, g.url)
					if share {
						c.Share(&shared)
					}
					ev := with(deployment(), func(e *event.Event) { e.Product = p })
					target, err := c.Target(context.Background(), ev, deployments.Where{Auto: true, RunSHA: sha})
					if err != nil || target.ID != 5 || !target.Job {
						t.Errorf("%s: Target() = %+v, %v, want the job's deployment 5", p, target, err)
					}
				}()
			}
			wg.Wait()
			want := 1
			if !share {
				want = len(products)
			}
			if reads != want {
				t.Errorf("the candidate's statuses were read %d times, want %d", reads, want)
			}
		})
	}
}
