package deployments_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/httpx"
)

// startedClient serves gh through a chain that numbers round trips, with
// 100 ms on every answer, and returns a client of it.
func startedClient(t *testing.T, gh *fake.GitHub) (*deployments.Client, *chain) {
	t.Helper()
	c := &chain{}
	srv := httptest.NewServer(c.wrap(gh))
	t.Cleanup(srv.Close)
	hc := httpx.New(httpx.Options{WaitMin: time.Millisecond, WaitMax: time.Millisecond}).For("GitHub")
	cl, err := deployments.New(hc, srv.URL+"/api/v3", token, "acme/web", userAgent)
	if err != nil {
		t.Fatal(err)
	}
	return cl, c
}

// TestDeliverStartedHandsOn: a started step that hands on lists the
// environment with its create, not a round trip later, and names the
// product's newest earlier deployment there; one that posts to the job's
// own deployment, or whose outcome auto-finish's post step records, does
// not list it.
func TestDeliverStartedHandsOn(t *testing.T) {
	t.Parallel()
	envList := "GET ?environment=production&per_page=10&task=deploy"
	commit := "GET ?environment=production&per_page=100&sha=" + sha + "&task=deploy"
	tests := []struct {
		name     string
		where    deployments.Where
		status   event.Status
		trips    int
		want     []string
		previous int64
	}{
		{name: "started, hands on", where: deployments.Where{HandsOn: true}, status: event.Started, trips: 3,
			want: []string{commit, envList, "POST ", commit, "POST /4/statuses"}, previous: 2},
		{name: "auto, ours: hands on", where: deployments.Where{HandsOn: true, Auto: true, RunSHA: sha}, status: event.Started, trips: 3,
			want: []string{commit, envList, "POST ", commit, "POST /4/statuses"}, previous: 2},
		{name: "auto-finish's post step records the outcome: no list", where: deployments.Where{}, status: event.Started, trips: 3,
			want: []string{commit, "POST ", commit, "POST /4/statuses"}},
		{name: "pending: no list", where: deployments.Where{HandsOn: true}, status: event.Pending, trips: 3,
			want: []string{commit, "POST ", commit, "POST /4/statuses"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := fake.NewGitHub(token, "acme", "web")
			gh.AddDeployment(fake.Deployment{Ref: "main", Environment: "production", // 1: web's older version
				Payload: map[string]any{"product": "web", "version": "1.2.1", "run_id": "1"}, Statuses: []fake.Status{{State: "inactive"}}})
			gh.AddDeployment(fake.Deployment{Ref: "main", Environment: "production", // 2: web's live version
				Payload: map[string]any{"product": "web", "version": "1.2.2", "run_id": "2"}, Statuses: []fake.Status{{State: "success"}}})
			gh.AddDeployment(fake.Deployment{Ref: "main", Environment: "production", // 3: another product's, newer
				Payload: map[string]any{"product": "api", "version": "9.0.0", "run_id": "3"}, Statuses: []fake.Status{{State: "success"}}})
			gh.SetLatency(100 * time.Millisecond)
			cl, c := startedClient(t, gh)
			ev := with(deployment(), func(e *event.Event) { e.Status = tt.status })
			got, err := cl.Deliver(context.Background(), ev, tt.where, func(deployments.Target) *github.DeploymentStatusRequest {
				return deployments.StatusRequest(ev, deployments.State(ev.Status), "")
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != 4 || got.Previous != tt.previous {
				t.Errorf("Deliver = deployment %d, previous %d; want 4, %d", got.ID, got.Previous, tt.previous)
			}
			if n := c.roundTrips(); n != tt.trips {
				t.Errorf("%d round trips, want %d: %q", n, tt.trips, c.seen)
			}
			if diff := cmp.Diff(slices.Sorted(slices.Values(tt.want)), slices.Sorted(slices.Values(c.seen))); diff != "" {
				t.Errorf("requests, in any order (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDeliverStarted: a finishing step's success after a started step that
// handed over its deployment and the previous version's posts its status
// and retires that version in two round trips when the environment's list
// bears them out, and otherwise falls back to reading what it must; what
// was handed over never sends a status anywhere the list does not show.
func TestDeliverStarted(t *testing.T) {
	t.Parallel()
	envList := "GET ?environment=production&per_page=10&task=deploy"
	commit := "GET ?environment=production&per_page=100&sha=" + sha + "&task=deploy"
	read := func(id int64) string { return fmt.Sprintf("GET /%d/statuses?per_page=1", id) }
	post := func(id int64) string { return fmt.Sprintf("POST /%d/statuses", id) }
	// The environment: 1 web's older version (retired), 2 web's live one,
	// 3 api's live one, 4 this run's deployment of web; extra adds more.
	tests := []struct {
		name     string
		started  deployments.Started
		extra    []fake.Deployment // added after 4
		liveTwo  string            // the newest status of 2; "" is success
		failed   bool              // the final status is failure, not success
		target   int64
		trips    int
		want     []string
		replaced int64
	}{
		{name: "as handed over: two round trips", started: deployments.Started{Deployment: 4, Previous: 2},
			target: 4, trips: 2, want: []string{envList, read(2), post(4), post(2)}, replaced: 2},
		{name: "nothing earlier handed over: the list, then read", started: deployments.Started{Deployment: 4},
			target: 4, trips: 3, want: []string{envList, read(2), post(4), post(2)}, replaced: 2},
		{name: "the handed-over previous version is not live: the next is read", started: deployments.Started{Deployment: 4, Previous: 2}, liveTwo: "failure",
			target: 4, trips: 2, want: []string{envList, read(2), read(1), post(4)}},
		{name: "a stale previous version: the newest earlier one is read", started: deployments.Started{Deployment: 4, Previous: 1},
			target: 4, trips: 3, want: []string{envList, read(1), read(2), post(4), post(2)}, replaced: 2},
		{name: "another product's previous version: read, never retired", started: deployments.Started{Deployment: 4, Previous: 3},
			target: 4, trips: 3, want: []string{envList, read(3), read(2), post(4), post(2)}, replaced: 2},
		{name: "another product's deployment handed over: looked up as without", started: deployments.Started{Deployment: 3, Previous: 2},
			target: 4, trips: 3, want: []string{envList, read(2), commit, post(4), post(2)}, replaced: 2},
		{name: "a deployment GitHub does not have: looked up as without", started: deployments.Started{Deployment: 99, Previous: 98},
			target: 4, trips: 3, want: []string{envList, read(98) + " (404)", commit, read(2), post(4), post(2)}, replaced: 2},
		{name: "a failure: the environment's list, then the status", started: deployments.Started{Deployment: 4, Previous: 2}, failed: true,
			target: 4, trips: 2, want: []string{envList, post(4)}},
		{name: "a failure, another product's deployment handed over: looked up as without", started: deployments.Started{Deployment: 3, Previous: 2}, failed: true,
			target: 4, trips: 3, want: []string{envList, commit, post(4)}},
		{name: "twins: the oldest gets the status", started: deployments.Started{Deployment: 5, Previous: 2},
			extra:  []fake.Deployment{{SHA: sha, Ref: sha, Environment: "production", Payload: map[string]any{"product": "web", "version": "1.2.3", "run_id": "987654321"}, Statuses: []fake.Status{{State: "inactive"}}}},
			target: 4, trips: 2, want: []string{envList, read(2), post(4), post(2)}, replaced: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := fake.NewGitHub(token, "acme", "web")
			gh.AddDeployment(fake.Deployment{Ref: "main", Environment: "production",
				Payload: map[string]any{"product": "web", "version": "1.2.1", "run_id": "1"}, Statuses: []fake.Status{{State: "success"}, {State: "inactive"}}})
			gh.AddDeployment(fake.Deployment{Ref: "main", Environment: "production",
				Payload: map[string]any{"product": "web", "version": "1.2.2", "run_id": "2"}, Statuses: []fake.Status{{State: cmpOr(tt.liveTwo, "success")}}})
			gh.AddDeployment(fake.Deployment{Ref: "main", Environment: "production",
				Payload: map[string]any{"product": "api", "version": "9.0.0", "run_id": "3"}, Statuses: []fake.Status{{State: "success"}}})
			gh.AddDeployment(fake.Deployment{SHA: sha, Ref: sha, Environment: "production",
				Payload: map[string]any{"product": "web", "version": "1.2.3", "run_id": "987654321"}, Statuses: []fake.Status{{State: "in_progress"}}})
			for _, d := range tt.extra {
				gh.AddDeployment(d)
			}
			gh.SetLatency(100 * time.Millisecond)
			cl, c := startedClient(t, gh)
			ev := deployment()
			if tt.failed {
				ev.Status = event.Failed
			}
			got, err := cl.Deliver(context.Background(), ev, deployments.Where{Started: tt.started}, func(deployments.Target) *github.DeploymentStatusRequest {
				return deployments.StatusRequest(ev, deployments.State(ev.Status), "")
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tt.target || got.Replaced.ID != tt.replaced {
				t.Errorf("Deliver = deployment %d replacing %d; want %d replacing %d", got.ID, got.Replaced.ID, tt.target, tt.replaced)
			}
			if n := c.roundTrips(); n != tt.trips {
				t.Errorf("%d round trips, want %d: %q", n, tt.trips, c.seen)
			}
			var seen []string
			for i, s := range c.seen {
				if st := gh.Requests()[i].Status; st/100 != 2 {
					s += fmt.Sprintf(" (%d)", st)
				}
				seen = append(seen, s)
			}
			if diff := cmp.Diff(slices.Sorted(slices.Values(tt.want)), slices.Sorted(slices.Values(seen))); diff != "" {
				t.Errorf("requests, in any order (-want +got):\n%s", diff)
			}
			for _, d := range gh.Deployments() {
				last := d.Statuses[len(d.Statuses)-1].State
				want := map[int64]string{1: "inactive", 2: cmpOr(tt.liveTwo, "success"), 3: "success", 4: deployments.State(ev.Status), 5: "inactive"}[d.ID]
				if d.ID == tt.replaced {
					want = "inactive"
				}
				if last != want {
					t.Errorf("deployment %d ends %s, want %s", d.ID, last, want)
				}
			}
		})
	}
}

func cmpOr(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// TestDeliverKnownListsAhead: auto-finish's post step, which knows its
// deployment, sends the environment's list with its success, so that it
// retires the previous version in three round trips, not four, with the
// same requests; without the step's Lists it would list twice, so it
// does not.
func TestDeliverKnownListsAhead(t *testing.T) {
	t.Parallel()
	envList := "GET ?environment=production&per_page=10&task=deploy"
	for _, shared := range []bool{true, false} {
		t.Run(fmt.Sprint("shared lists ", shared), func(t *testing.T) {
			t.Parallel()
			gh := fake.NewGitHub(token, "acme", "web")
			gh.AddDeployment(fake.Deployment{Ref: "main", Environment: "production",
				Payload: map[string]any{"product": "web", "version": "1.2.2", "run_id": "2"}, Statuses: []fake.Status{{State: "success"}}})
			gh.AddDeployment(fake.Deployment{SHA: sha, Ref: sha, Environment: "production",
				Payload: map[string]any{"product": "web", "version": "1.2.3", "run_id": "987654321"}, Statuses: []fake.Status{{State: "in_progress"}}})
			gh.SetLatency(100 * time.Millisecond)
			cl, c := startedClient(t, gh)
			trips := 4
			if shared {
				var lists deployments.Lists
				lists.Expect(1)
				cl.Share(&lists)
				trips = 3
			}
			ev := deployment()
			got, err := cl.Deliver(context.Background(), ev, deployments.Where{Known: 2}, func(deployments.Target) *github.DeploymentStatusRequest {
				return deployments.StatusRequest(ev, "success", "")
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != 2 || got.Replaced.ID != 1 {
				t.Errorf("Deliver = deployment %d replacing %d; want 2 replacing 1", got.ID, got.Replaced.ID)
			}
			if n := c.roundTrips(); n != trips {
				t.Errorf("%d round trips, want %d: %q", n, trips, c.seen)
			}
			want := []string{"POST /2/statuses", envList, "GET /1/statuses?per_page=1", "POST /1/statuses"}
			if diff := cmp.Diff(slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(c.seen))); diff != "" {
				t.Errorf("requests, in any order (-want +got):\n%s", diff)
			}
		})
	}
}
