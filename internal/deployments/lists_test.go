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
