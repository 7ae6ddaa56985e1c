package deployments_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/httpx"
)

// racing serves gh to n steps that start at the same moment (see
// fake.GitHub.Racing), answering each create a while after storing it.
func racing(t *testing.T, gh *fake.GitHub, n int) *httptest.Server {
	t.Helper()
	gh.SetCreateDelay(50 * time.Millisecond)
	srv := httptest.NewServer(gh.Racing(n))
	t.Cleanup(srv.Close)
	return srv
}

// TestConcurrentStepsConverge: steps of one run that start the same
// product at the same commit in the same environment at the same moment,
// each with its own connection as separate processes have, all post to
// one deployment, the oldest; each extra one is marked inactive by the
// step that created it.
func TestConcurrentStepsConverge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		steps   int
		where   deployments.Where
		deliver bool // Deliver, as the step calls it, instead of Target then Post
	}{
		{name: "two steps", steps: 2},
		{name: "five steps", steps: 5},
		{name: "two steps with github-deployment auto", steps: 2, where: deployments.Where{Auto: true, RunSHA: sha}},
		{name: "two steps, Deliver", steps: 2, deliver: true},
		{name: "five steps, Deliver", steps: 5, deliver: true},
		{name: "five steps with github-deployment auto, Deliver", steps: 5, where: deployments.Where{Auto: true, RunSHA: sha}, deliver: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := fake.NewGitHub(token, "acme", "web")
			srv := racing(t, gh, tt.steps)
			ev := with(deployment(), func(e *event.Event) { e.Status = event.Started })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			ids := make([]int64, tt.steps)
			errs := make([]error, tt.steps)
			var wg sync.WaitGroup
			for i := range tt.steps {
				wg.Add(1)
				go func() {
					defer wg.Done()
					hc := httpx.New(httpx.Options{WaitMin: time.Millisecond, WaitMax: time.Millisecond}).For("GitHub")
					c, err := deployments.New(hc, srv.URL+"/api/v3", token, "acme/web", userAgent)
					if err != nil {
						errs[i] = err
						return
					}
					var target deployments.Target
					if tt.deliver {
						target, err = c.Deliver(ctx, ev, tt.where, func(deployments.Target) *github.DeploymentStatusRequest {
							return deployments.StatusRequest(ev, "in_progress", "")
						})
					} else if target, err = c.Target(ctx, ev, tt.where); err == nil {
						err = c.Post(ctx, ev, tt.where, &target, deployments.StatusRequest(ev, "in_progress", ""))
					}
					ids[i], errs[i] = target.ID, err
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("step %d: %v", i, err)
				}
			}

			made := gh.Deployments()
			if len(made) != tt.steps {
				t.Fatalf("GitHub holds %d deployments, want %d: the steps did not race", len(made), tt.steps)
			}
			oldest := made[0].ID
			for i, id := range ids {
				if id != oldest {
					t.Errorf("step %d posted to deployment %d, want %d, the oldest: steps %v", i, id, oldest, ids)
				}
			}
			live := 0
			started := fake.Status{State: "in_progress", Description: "web 1.2.3: started", LogURL: runURL}
			for _, d := range made {
				var want []fake.Status
				retired := fake.Status{State: "inactive", LogURL: runURL,
					Description: fmt.Sprintf("superseded by deployment %d: another step of this run created it at the same moment", oldest)}
				switch {
				case d.ID == oldest:
					for range tt.steps {
						want = append(want, started)
					}
				case tt.deliver:
					// Deliver posts the status to its own while it looks
					// again, and retires it when it lost.
					want = []fake.Status{started, retired}
				default:
					want = []fake.Status{retired}
				}
				if diff := cmp.Diff(want, d.Statuses); diff != "" {
					t.Errorf("statuses of deployment %d (-want +got):\n%s", d.ID, diff)
				}
				if s := d.Statuses; len(s) > 0 && s[len(s)-1].State != "inactive" {
					live++
				}
			}
			if live != 1 {
				t.Errorf("%d deployments are not inactive, want 1", live)
			}
		})
	}
}

// TestSettle: after its create a step looks again and keeps the oldest of
// this run's twins; when that is another step's, it retires its own.
func TestSettle(t *testing.T) {
	t.Parallel()
	const (
		list   = "GET /repos/acme/web/deployments?" + listQuery
		create = "POST /repos/acme/web/deployments"
		ours   = `{"product":"web","version":"1.2.3","run_id":"987654321","run_attempt":"2"}`
	)
	twin := func(id int64) string { return dep(id, "github-actions[bot]", ours) }
	retire := func(id int64) string { return fmt.Sprintf("POST /repos/acme/web/deployments/%d/statuses", id) }
	tests := []struct {
		name     string
		again    string // the second list (a status code alone: it fails); the first is empty, and the step creates 99
		status   int    // the answer to a status; 0 is 201
		want     deployments.Target
		wantErr  string
		retired  string // the oldest, in the description of the inactive status posted to 99
		wantSeen []string
	}{
		{
			name: "ours alone", again: `[` + twin(99) + `]`,
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create, list},
		},
		{
			name: "GitHub does not list ours yet: ours", again: `[]`,
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create, list},
		},
		{
			name: "a newer twin: ours, and the twin is its creator's to retire", again: `[` + twin(100) + `,` + twin(99) + `]`,
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create, list},
		},
		{
			name: "an older twin: it, and ours is retired", again: `[` + twin(99) + `,` + twin(98) + `]`,
			want: deployments.Target{ID: 98}, retired: "98", wantSeen: []string{list, create, list, retire(99)},
		},
		{
			name: "three twins: the oldest", again: `[` + twin(100) + `,` + twin(99) + `,` + twin(97) + `]`,
			want: deployments.Target{ID: 97}, retired: "97", wantSeen: []string{list, create, list, retire(99)},
		},
		{
			name: "another run's and another product's are no twins",
			again: `[` + twin(99) + `,` + dep(98, "github-actions[bot]", `{"product":"web","run_id":"111"}`) + `,` +
				dep(97, "github-actions[bot]", `{"product":"api","run_id":"987654321"}`) + `,` + job(96) + `]`,
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create, list},
		},
		{
			name: "the second list fails: an error, and ours", again: "500",
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create, list},
			wantErr: "GitHub answered 500 Internal Server Error when asked to list deployments in acme/web: Internal Server Error",
		},
		{
			name: "GitHub refuses to retire ours: an error, and the oldest", again: `[` + twin(99) + `,` + twin(98) + `]`, status: http.StatusForbidden,
			want: deployments.Target{ID: 98}, retired: "98", wantSeen: []string{list, create, list, retire(99)},
			wantErr: "GitHub answered 403 Forbidden when asked to mark deployment 99 inactive, superseded by deployment 98 in acme/web: Forbidden: add `permissions: deployments: write`",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			var created atomic.Bool
			g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				if code, err := strconv.Atoi(tt.again); err == nil && created.Load() {
					respond(w, code, `{"message":"`+http.StatusText(code)+`"}`)
					return
				}
				if created.Load() {
					respond(w, http.StatusOK, tt.again)
					return
				}
				respond(w, http.StatusOK, `[]`)
			})
			g.mux.HandleFunc("POST /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				created.Store(true)
				respond(w, http.StatusCreated, `{"id":99}`)
			})
			g.mux.HandleFunc("POST /repos/acme/web/deployments/99/statuses", func(w http.ResponseWriter, r *http.Request) {
				testJSON(t, r, map[string]any{"state": "inactive", "log_url": runURL,
					"description": "superseded by deployment " + tt.retired + ": another step of this run created it at the same moment"})
				if tt.status != 0 {
					respond(w, tt.status, `{"message":"`+http.StatusText(tt.status)+`"}`)
					return
				}
				respond(w, http.StatusCreated, `{"id":1,"state":"inactive"}`)
			})
			ev := with(deployment(), func(e *event.Event) { e.EnvironmentURL = "https://web.example.com" })
			got, err := g.client(t, g.url).Target(context.Background(), ev, deployments.Where{})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Target() error = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("Target() error = %v, want it to start %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(deployments.Target{})); diff != "" {
				t.Errorf("Target() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSeen, g.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
