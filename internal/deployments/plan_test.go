package deployments_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
)

// TestPlan: a dry run says which requests each mode sends, and when.
func TestPlan(t *testing.T) {
	t.Parallel()
	const base = "https://api.github.com/repos/acme/web/deployments"
	list := func(s string) string {
		return "GET " + base + "?environment=production&per_page=100&sha=" + s + "&task=deploy"
	}
	// What a success of ours sends after its status: web's previous version is replaced.
	// The environment's narrow page, 10 or twice the step's products, then
	// its newest 100 only when that page is full and settles nothing.
	replaceIn := func(page int) []string {
		return []string{fmt.Sprintf("GET %s?environment=production&per_page=%d&task=deploy", base, page),
			"GET " + base + "?environment=production&per_page=100&task=deploy", "GET " + base + "/{id}/statuses?per_page=1",
			"POST " + base + "/{id}/statuses +body"}
	}
	replace := replaceIn(10)
	tests := []struct {
		name  string
		where deployments.Where
		want  []string // method and URL of each line, then "+body" when it has one
	}{
		{name: "true: list, create, list again, status, replace", where: deployments.Where{RunSHA: sha},
			want: append([]string{list(sha), "POST " + base + " +body", list(sha), "POST " + base + "/{id}/statuses +body", "POST " + base + "/{id}/statuses +body"}, replace...)},
		{name: "true, a step of 30 products: the environment's first page holds 60", where: deployments.Where{RunSHA: sha, Products: 30},
			want: append([]string{list(sha), "POST " + base + " +body", list(sha), "POST " + base + "/{id}/statuses +body", "POST " + base + "/{id}/statuses +body"}, replaceIn(60)...)},
		{name: "auto: list, the candidates' statuses, create, list again, status, replace", where: deployments.Where{Auto: true, RunSHA: sha},
			want: append([]string{list(sha), "GET " + base + "/{id}/statuses?per_page=100", "POST " + base + " +body", list(sha),
				"POST " + base + "/{id}/statuses +body", "POST " + base + "/{id}/statuses +body"}, replace...)},
		{name: "auto on a pull request lists GITHUB_SHA too", where: deployments.Where{Auto: true, RunSHA: mergeSHA},
			want: append([]string{list(sha), list(mergeSHA), "GET " + base + "/{id}/statuses?per_page=100", "POST " + base + " +body", list(sha),
				"POST " + base + "/{id}/statuses +body", "POST " + base + "/{id}/statuses +body"}, replace...)},
		{name: "auto, handed over: the status only", where: deployments.Where{Auto: true, RunSHA: sha, Handoff: 42},
			want: []string{"POST " + base + "/42/statuses +body"}},
		{name: "post step, to ours: the status, replace", where: deployments.Where{Auto: true, RunSHA: sha, Known: 7},
			want: append([]string{"POST " + base + "/7/statuses +body"}, replace...)},
		{name: "post step, to the job's own: the status only", where: deployments.Where{Auto: true, RunSHA: sha, Known: 7, KnownJob: true},
			want: []string{"POST " + base + "/7/statuses +body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, r := range deployments.Plan("https://api.github.com/", deployment(), tt.where, "success") {
				f := strings.Fields(r.Line)
				line := f[0] + " " + f[1]
				if r.Body != nil {
					line += " +body"
				}
				got = append(got, line)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Plan() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlanHandOver: a dry run shows the environment's list that a started
// step sends for its finishing step, and what a finishing step sends when
// a started step handed over.
func TestPlanHandOver(t *testing.T) {
	t.Parallel()
	const base = "https://api.github.com/repos/acme/web/deployments"
	list := "GET " + base + "?environment=production&per_page=100&sha=" + sha + "&task=deploy"
	envList := "GET " + base + "?environment=production&per_page=10&task=deploy"
	tests := []struct {
		name   string
		status event.Status
		state  string
		where  deployments.Where
		want   []string
	}{
		{name: "started, hands on: the environment's list with the create", status: event.Started, state: "in_progress", where: deployments.Where{HandsOn: true},
			want: []string{list, "POST " + base + " +body", envList, list, "POST " + base + "/{id}/statuses +body", "POST " + base + "/{id}/statuses +body"}},
		{name: "started, auto-finish: no list", status: event.Started, state: "in_progress", where: deployments.Where{},
			want: []string{list, "POST " + base + " +body", list, "POST " + base + "/{id}/statuses +body", "POST " + base + "/{id}/statuses +body"}},
		{name: "finishing, handed over", status: event.Completed, state: "success", where: deployments.Where{Started: deployments.Started{Deployment: 7, Previous: 5}},
			want: []string{envList, "GET " + base + "/5/statuses?per_page=1", list, "POST " + base + "/{id}/statuses +body", "GET " + base + "/{id}/statuses?per_page=1", "POST " + base + "/5/statuses +body"}},
		{name: "finishing, failed: the environment's list, not the commit's", status: event.Failed, state: "failure", where: deployments.Where{Started: deployments.Started{Deployment: 7, Previous: 5}},
			want: []string{envList, list, "POST " + base + "/{id}/statuses +body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := with(deployment(), func(e *event.Event) { e.Status = tt.status })
			var got []string
			for _, r := range deployments.Plan("https://api.github.com/", ev, tt.where, tt.state) {
				f := strings.Fields(r.Line)
				line := f[0] + " " + f[1]
				if r.Body != nil {
					line += " +body"
				}
				got = append(got, line)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Plan() (-want +got):\n%s", diff)
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/plan")

// TestPlanGolden: what a dry run prints, byte for byte, as run.go prints
// it: each line, then its body as indented JSON.
func TestPlanGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		apiURL string
		where  deployments.Where
	}{
		{name: "true", apiURL: "https://api.github.com", where: deployments.Where{RunSHA: sha}},
		{name: "auto", apiURL: "https://api.github.com", where: deployments.Where{Auto: true, RunSHA: sha}},
		{name: "auto-pull-request", apiURL: "https://api.github.com", where: deployments.Where{Auto: true, RunSHA: mergeSHA}},
		{name: "auto-handed-over", apiURL: "https://api.github.com", where: deployments.Where{Auto: true, RunSHA: sha, Handoff: 42}},
		{name: "ghes", apiURL: "https://ghes.example.com/api/v3/", where: deployments.Where{Auto: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			for _, r := range deployments.Plan(tt.apiURL, deployment(), tt.where, "success") {
				b.WriteString(r.Line + "\n")
				if r.Body != nil {
					raw, err := json.MarshalIndent(r.Body, "", "  ")
					if err != nil {
						t.Fatal(err)
					}
					b.Write(append(raw, '\n'))
				}
			}
			path := filepath.Join("testdata", "plan", tt.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("Plan() mismatch with %s (-want +got):\n%s", path, diff)
			}
		})
	}
}

// TestPlanFollowsTarget: the requests a dry run lists are the ones Target
// and Post send, in the same order, when each is sent: GitHub holds
// neither this run's deployment nor the job's (one job candidate, 5, links
// to another run), and the step creates 99 at the same moment as another
// step of the run creates 98, so it marks 99 inactive and posts to 98.
// The success then replaces web's previous version, 3.
func TestPlanFollowsTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		where deployments.Where
	}{
		{name: "true", where: deployments.Where{RunSHA: sha}},
		{name: "auto", where: deployments.Where{Auto: true, RunSHA: sha}},
		{name: "auto on a pull request", where: deployments.Where{Auto: true, RunSHA: mergeSHA}},
		{name: "auto, handed over", where: deployments.Where{Auto: true, RunSHA: sha, Handoff: 42}},
		{name: "the post step of auto-finish", where: deployments.Where{Auto: true, RunSHA: sha, Known: 7}},
		{name: "the post step of auto-finish, on the job's own", where: deployments.Where{Auto: true, RunSHA: sha, Known: 7, KnownJob: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			var created atomic.Bool
			g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				const ours = `{"product":"web","run_id":"987654321"}`
				switch {
				case !r.URL.Query().Has("sha"): // the environment, for web's previous version
					respond(w, http.StatusOK, `[`+dep(99, "github-actions[bot]", ours)+`,`+dep(98, "github-actions[bot]", ours)+`,`+job(5)+`,`+
						dep(3, "github-actions[bot]", `{"product":"web","version":"1.2.2","run_id":"1"}`)+`]`)
				case r.URL.Query().Get("sha") != sha:
					respond(w, http.StatusOK, `[]`)
				case created.Load():
					respond(w, http.StatusOK, `[`+dep(99, "github-actions[bot]", ours)+`,`+dep(98, "github-actions[bot]", ours)+`,`+job(5)+`]`)
				default:
					respond(w, http.StatusOK, `[`+job(5)+`]`)
				}
			})
			g.mux.HandleFunc("GET /repos/acme/web/deployments/5/statuses", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusOK, linking("https://github.com/acme/web/actions/runs/111/job/9"))
			})
			g.mux.HandleFunc("GET /repos/acme/web/deployments/3/statuses", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusOK, `[{"id":7,"state":"success"}]`)
			})
			g.mux.HandleFunc("POST /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				created.Store(true)
				respond(w, http.StatusCreated, `{"id":99}`)
			})
			g.mux.HandleFunc("POST /repos/acme/web/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusCreated, `{"id":1}`)
			})
			ev := deployment()
			c := g.client(t, g.url)
			target, err := c.Target(context.Background(), ev, tt.where)
			if err != nil {
				t.Fatalf("Target() error = %v", err)
			}
			if err := c.Post(context.Background(), ev, tt.where, &target, deployments.StatusRequest(ev, "success", "")); err != nil {
				t.Fatalf("Post() error = %v", err)
			}
			var planned []string
			posts := []string{"99", "98", "3"} // the {id} of each status posted: ours made inactive, the oldest, web's previous version
			if tt.where.Known != 0 {
				posts = posts[2:]
			}
			for _, r := range deployments.Plan(g.url, ev, tt.where, "success") {
				if strings.Contains(r.Line, "(only if that page is full") {
					continue // the environment's list here is short: its first page is all of it
				}
				f := strings.Fields(r.Line)
				method, u := f[0], strings.TrimPrefix(f[1], g.url)
				switch {
				case method == http.MethodGet && strings.HasSuffix(u, "statuses?per_page=1"):
					u = strings.Replace(u, "{id}", "3", 1) // web's previous version
				case method == http.MethodGet:
					u = strings.Replace(u, "{id}", "5", 1) // the job candidate
				case strings.Contains(u, "{id}"):
					u, posts = strings.Replace(u, "{id}", posts[0], 1), posts[1:]
				}
				planned = append(planned, method+" "+u)
			}
			if diff := cmp.Diff(planned, g.requests()); diff != "" {
				t.Errorf("Plan() lists other requests than Target and Post send (-planned +sent):\n%s", diff)
			}
		})
	}
}
