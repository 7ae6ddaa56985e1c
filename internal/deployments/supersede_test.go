package deployments_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/fake"
)

// product is a listed deployment of ours: product at version, made by run.
func product(id int64, name, version, run string) string {
	return dep(id, "github-actions[bot]", fmt.Sprintf(`{"product":%q,"version":%q,"run_id":%q}`, name, version, run))
}

// TestReplace: a success on deployment 50, ours, goes without GitHub's
// auto_inactive and then marks inactive web's previous live version in the
// environment, and nothing else: one list of the environment, the newest
// status of web's earlier deployments until one is success, and one
// inactive status.
func TestReplace(t *testing.T) {
	t.Parallel()
	const (
		envList  = "GET /repos/acme/web/deployments?" + envQuery
		wideList = "GET /repos/acme/web/deployments?" + wideQuery
		post50   = "POST /repos/acme/web/deployments/50/statuses"
	)
	// others is n deployments of other products, ids from 49 down.
	others := func(n int) []string {
		var l []string
		for i := range n {
			l = append(l, product(int64(49-i), "api", fmt.Sprint(n-i), fmt.Sprint(100+i)))
		}
		return l
	}
	read := func(id int64) string {
		return fmt.Sprintf("GET /repos/acme/web/deployments/%d/statuses?per_page=1", id)
	}
	post := func(id int64) string { return fmt.Sprintf("POST /repos/acme/web/deployments/%d/statuses", id) }
	tests := []struct {
		name     string
		target   deployments.Target
		state    string
		list     []string         // the environment's deployments, as GitHub lists them
		latest   map[int64]string // each one's newest state; none when absent
		want     deployments.Replaced
		wantSeen []string
		wantErr  string
	}{
		{
			name: "the previous version is replaced, not the product's older ones nor other products'", target: deployments.Target{ID: 50},
			list: []string{product(50, "web", "1.2.3", "987654321"), product(49, "api", "7.0.0", "9"), product(48, "web", "1.2.2", "8"),
				product(47, "web", "1.2.1", "7")},
			latest: map[int64]string{49: "success", 48: "success", 47: "success"},
			want:   deployments.Replaced{ID: 48, Version: "1.2.2"}, wantSeen: []string{post50, envList, read(48), post(48)},
		},
		{
			name: "failed, cancelled and unfinished deployments are passed over", target: deployments.Target{ID: 50},
			list: []string{product(48, "web", "1.2.2", "8"), product(47, "web", "1.2.1", "7"), product(46, "web", "1.2.0", "6"),
				product(45, "web", "1.1.9", "5"), product(44, "web", "1.1.8", "4")},
			latest: map[int64]string{48: "failure", 47: "inactive", 46: "in_progress", 44: "success"},
			want:   deployments.Replaced{ID: 44, Version: "1.1.8"}, wantSeen: []string{post50, envList, read(48), read(47), read(46), read(45), read(44), post(44)},
		},
		{
			name: "at most five are read", target: deployments.Target{ID: 50},
			list: []string{product(48, "web", "6", "8"), product(47, "web", "5", "7"), product(46, "web", "4", "6"),
				product(45, "web", "3", "5"), product(44, "web", "2", "4"), product(43, "web", "1", "3")},
			latest:   map[int64]string{48: "failure", 47: "failure", 46: "failure", 45: "failure", 44: "failure", 43: "success"},
			wantSeen: []string{post50, envList, read(48), read(47), read(46), read(45), read(44)},
		},
		{
			name: "the product's first deployment in the environment: the list alone", target: deployments.Target{ID: 50},
			list:   []string{product(50, "web", "1.2.3", "987654321"), product(49, "api", "7.0.0", "9"), job(30), dep(20, "octocat", `{"ticket":"OPS-1"}`)},
			latest: map[int64]string{49: "success", 30: "success", 20: "success"}, wantSeen: []string{post50, envList},
		},
		{
			name: "a newer deployment of the product is not touched", target: deployments.Target{ID: 50},
			list:   []string{product(60, "web", "1.2.4", "11"), product(48, "web", "1.2.2", "8")},
			latest: map[int64]string{60: "success", 48: "success"},
			want:   deployments.Replaced{ID: 48, Version: "1.2.2"}, wantSeen: []string{post50, envList, read(48), post(48)},
		},
		{
			name: "a payload stored as a JSON string counts", target: deployments.Target{ID: 50},
			list:   []string{dep(48, "github-actions[bot]", `"{\"product\":\"web\",\"version\":\"1.2.2\"}"`)},
			latest: map[int64]string{48: "success"},
			want:   deployments.Replaced{ID: 48, Version: "1.2.2"}, wantSeen: []string{post50, envList, read(48), post(48)},
		},
		{
			name: "the job's own deployment keeps GitHub's auto_inactive and replaces nothing", target: deployments.Target{ID: 50, Job: true},
			list: []string{product(48, "web", "1.2.2", "8")}, latest: map[int64]string{48: "success"}, wantSeen: []string{post50},
		},
		{
			name: "a failure replaces nothing", target: deployments.Target{ID: 50}, state: "failure",
			list: []string{product(48, "web", "1.2.2", "8")}, latest: map[int64]string{48: "success"}, wantSeen: []string{post50},
		},
		{
			name: "an in_progress replaces nothing", target: deployments.Target{ID: 50}, state: "in_progress",
			list: []string{product(48, "web", "1.2.2", "8")}, latest: map[int64]string{48: "success"}, wantSeen: []string{post50},
		},
		{
			name: "a full first page without the product: the newest 100 are listed, once", target: deployments.Target{ID: 50},
			list:   append(others(10), product(39, "web", "1.2.2", "8")),
			latest: map[int64]string{39: "success", 49: "success"},
			want:   deployments.Replaced{ID: 39, Version: "1.2.2"}, wantSeen: []string{post50, envList, wideList, read(39), post(39)},
		},
		{
			name: "a full first page whose deployments of the product all failed: the reads go on further back", target: deployments.Target{ID: 50},
			list:   append(append(others(8), product(41, "web", "3", "8"), product(40, "web", "2", "7")), product(39, "web", "1", "6")),
			latest: map[int64]string{41: "failure", 40: "failure", 39: "success"},
			want:   deployments.Replaced{ID: 39, Version: "1"}, wantSeen: []string{post50, envList, read(41), read(40), wideList, read(39), post(39)},
		},
		{
			name: "a full first page that holds the live one: no second list", target: deployments.Target{ID: 50},
			list:   append(append(others(9), product(40, "web", "2", "7")), product(39, "web", "1", "6")),
			latest: map[int64]string{40: "success", 39: "success"},
			want:   deployments.Replaced{ID: 40, Version: "2"}, wantSeen: []string{post50, envList, read(40), post(40)},
		},
		{
			name: "five read on the first page: no second list", target: deployments.Target{ID: 50},
			list: append(append(others(5), product(44, "web", "5", "5"), product(43, "web", "4", "4"), product(42, "web", "3", "3"),
				product(41, "web", "2", "2"), product(40, "web", "1", "1")), product(39, "web", "0", "0")),
			latest:   map[int64]string{44: "failure", 43: "failure", 42: "failure", 41: "failure", 40: "failure", 39: "success"},
			wantSeen: []string{post50, envList, read(44), read(43), read(42), read(41), read(40)},
		},
		{
			name: "GitHub refuses the inactive status: the success stands, and the step says what is left", target: deployments.Target{ID: 50},
			list: []string{product(47, "web", "1.2.1", "7")}, latest: map[int64]string{47: "success"},
			wantSeen: []string{post50, envList, read(47), post(47)},
			wantErr:  "posted success to deployment 50, but the product's previous deployment may still show as active: GitHub answered 422 Unprocessable Entity when asked to mark deployment 47 inactive, replaced by deployment 50 in acme/web",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := deployment()
			state := or(tt.state, "success")
			g := setup(t)
			g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				list := tt.list
				switch r.URL.RawQuery {
				case envQuery:
					list = list[:min(len(list), 10)]
				case wideQuery:
				default:
					t.Errorf("list query %q, want %q or %q", r.URL.RawQuery, envQuery, wideQuery)
				}
				respond(w, http.StatusOK, "["+strings.Join(list, ",")+"]")
			})
			g.mux.HandleFunc("GET /repos/acme/web/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
				var id int64
				fmt.Sscan(r.PathValue("id"), &id)
				if s, ok := tt.latest[id]; ok {
					respond(w, http.StatusOK, `[{"id":1,"state":"`+s+`"}]`)
					return
				}
				respond(w, http.StatusOK, `[]`)
			})
			g.mux.HandleFunc("POST /repos/acme/web/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
				if r.PathValue("id") == "50" {
					want := toMap(t, deployments.StatusRequest(ev, state, ""))
					if state == "success" && !tt.target.Job {
						want["auto_inactive"] = false
					}
					testJSON(t, r, want)
					respond(w, http.StatusCreated, `{"id":1}`)
					return
				}
				testJSON(t, r, map[string]any{"state": "inactive", "description": "superseded by 1.2.3 (deployment 50)", "log_url": runURL})
				if tt.wantErr != "" {
					respond(w, http.StatusUnprocessableEntity, `{"message":"Validation Failed"}`)
					return
				}
				respond(w, http.StatusCreated, `{"id":2}`)
			})
			target := tt.target
			err := g.client(t, g.url).Post(context.Background(), ev, deployments.Where{}, &target, deployments.StatusRequest(ev, state, ""))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Post() error = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("Post() error = %v, want it to start %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, target.Replaced); diff != "" {
				t.Errorf("Replaced (-want +got):\n%s", diff)
			}
			var res deployments.Result
			if res.Set(target); res.Replaced != tt.want {
				t.Errorf("Result.Set() gives Replaced %+v, want %+v", res.Replaced, tt.want)
			}
			if diff := cmp.Diff(tt.wantSeen, g.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReplaceDescription: the inactive status names the version that
// replaced it, within GitHub's 140 characters whatever the version.
func TestReplaceDescription(t *testing.T) {
	t.Parallel()
	ev := with(deployment(), func(e *event.Event) { e.Version = strings.Repeat("v", 200) })
	g := setup(t)
	g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
		respond(w, http.StatusOK, "["+product(48, "web", "1", "8")+"]")
	})
	g.mux.HandleFunc("GET /repos/acme/web/deployments/48/statuses", func(w http.ResponseWriter, r *http.Request) {
		respond(w, http.StatusOK, `[{"id":1,"state":"success"}]`)
	})
	var got string
	g.mux.HandleFunc("POST /repos/acme/web/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "48" {
			got = toMapBody(t, r)["description"].(string)
		}
		respond(w, http.StatusCreated, `{"id":1}`)
	})
	target := deployments.Target{ID: 50}
	if err := g.client(t, g.url).Post(context.Background(), ev, deployments.Where{}, &target, deployments.StatusRequest(ev, "success", "")); err != nil {
		t.Fatal(err)
	}
	if want := deployments.Truncate("superseded by " + ev.Version + " (deployment 50)"); got != want || len([]rune(got)) != deployments.MaxDescription {
		t.Errorf("description = %q, want %q (%d characters)", got, want, deployments.MaxDescription)
	}
}

// TestReplaceAgainstTheFake: three products share staging and production;
// each success of ours leaves the others' deployments alone and replaces
// only the product's own previous version, against the fake GitHub, which
// applies auto_inactive as GitHub documents it.
func TestReplaceAgainstTheFake(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"staging", "production"} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			gh, url := fakeGitHub(t)
			c, err := deployments.New(&http.Client{}, url, token, "acme/web", userAgent)
			if err != nil {
				t.Fatal(err)
			}
			run := 0
			replaced := map[string]deployments.Replaced{}
			for _, version := range []string{"1", "2"} {
				for _, p := range []string{"api", "web", "worker"} {
					run++
					ev := with(deployment(), func(e *event.Event) {
						e.Product, e.Version, e.Environment, e.RunID = p, version, env, fmt.Sprint(run)
					})
					id, _, err := c.Ensure(context.Background(), ev)
					if err != nil {
						t.Fatal(err)
					}
					target := deployments.Target{ID: id}
					if err := c.Post(context.Background(), ev, deployments.Where{}, &target, deployments.StatusRequest(ev, "success", "")); err != nil {
						t.Fatal(err)
					}
					replaced[p+" "+version] = target.Replaced
				}
			}
			got := map[string][]string{}
			for _, d := range gh.Deployments() {
				key := fmt.Sprint(d.ID, " ", d.Payload["product"], " ", d.Payload["version"])
				for _, s := range d.Statuses {
					got[key] = append(got[key], s.State+" "+s.Description)
				}
			}
			want := map[string][]string{
				"1 api 1": {"success api 1: completed", "inactive superseded by 2 (deployment 4)"}, "4 api 2": {"success api 2: completed"},
				"2 web 1": {"success web 1: completed", "inactive superseded by 2 (deployment 5)"}, "5 web 2": {"success web 2: completed"},
				"3 worker 1": {"success worker 1: completed", "inactive superseded by 2 (deployment 6)"}, "6 worker 2": {"success worker 2: completed"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			wantReplaced := map[string]deployments.Replaced{"api 1": {}, "web 1": {}, "worker 1": {},
				"api 2": {ID: 1, Version: "1"}, "web 2": {ID: 2, Version: "1"}, "worker 2": {ID: 3, Version: "1"}}
			if diff := cmp.Diff(wantReplaced, replaced, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Replaced (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeGitHub serves the project's fake GitHub for acme/web and returns it
// with its GITHUB_API_URL.
func fakeGitHub(t *testing.T) (*fake.GitHub, string) {
	t.Helper()
	gh := fake.NewGitHub(token, "acme", "web")
	srv := httptest.NewServer(gh)
	t.Cleanup(srv.Close)
	return gh, srv.URL + gh.PathPrefix
}

// toMapBody decodes a request's JSON body.
func toMapBody(t *testing.T, r *http.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		t.Errorf("request body is not JSON: %v", err)
	}
	return m
}
