package deployments_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
)

func TestTarget(t *testing.T) {
	t.Parallel()
	const (
		list     = "GET /repos/acme/web/deployments?" + listQuery
		listPR   = "GET /repos/acme/web/deployments?environment=production&per_page=100&sha=" + mergeSHA + "&task=deploy"
		create   = "POST /repos/acme/web/deployments"
		ourPay   = `{"product":"web","version":"1.2.3","run_id":"987654321","run_attempt":"2"}`
		otherRun = "https://github.com/acme/web/actions/runs/111/job/9"
	)
	statusesOf := func(id int64) string {
		return fmt.Sprintf("GET /repos/acme/web/deployments/%d/statuses?per_page=100", id)
	}
	auto := deployments.Where{Auto: true, RunSHA: sha}
	tests := []struct {
		name     string
		where    deployments.Where
		ev       func(*event.Event)
		lists    map[string]string // by the sha listed; missing is []
		statuses map[int64]string  // by deployment; missing is []
		want     deployments.Target
		wantSeen []string
	}{
		{
			name: "the job's own deployment is used", where: auto,
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: linking(jobLink)},
			want: deployments.Target{ID: 5, Job: true}, wantSeen: []string{list, statusesOf(5)},
		},
		{
			name: "no job deployment: ours is created, as before", where: auto,
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create, list},
		},
		{
			name: "this run's deployment of the product wins over the job's", where: auto,
			lists: map[string]string{sha: `[` + job(6) + `,` + dep(4, "github-actions[bot]", ourPay) + `]`}, statuses: map[int64]string{6: linking(jobLink)},
			want: deployments.Target{ID: 4}, wantSeen: []string{list},
		},
		{
			name: "another run's job deployment is not adopted", where: auto,
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: linking(otherRun)},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, statusesOf(5), create, list},
		},
		{
			name: "a person's deployment is not a candidate", where: auto,
			lists: map[string]string{sha: `[` + dep(5, "octocat", `{}`) + `]`}, statuses: map[int64]string{5: linking(jobLink)},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create, list},
		},
		{
			name: "the bot's deployments with a payload (ours for another product, another action's) are not candidates", where: auto,
			lists: map[string]string{sha: `[` + dep(6, "github-actions[bot]", `{"product":"api","run_id":"987654321"}`) + `,` +
				dep(5, "github-actions[bot]", `"{\"tool\":\"other\"}"`) + `]`},
			statuses: map[int64]string{5: linking(jobLink), 6: linking(jobLink)},
			want:     deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create, list},
		},
		{
			name: "a link to the run itself (a step's own status) is not the job's", where: auto,
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: `[{"id":1,"state":"success","log_url":"` + runURL + `"}]`},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, statusesOf(5), create, list},
		},
		{
			name: "a run id that only starts like ours does not link", where: auto,
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: linking(runURL + "0/job/1")},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, statusesOf(5), create, list},
		},
		{
			name: "target_url alone links", where: auto,
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: `[{"id":1,"state":"queued","target_url":"` + jobLink + `"}]`},
			want: deployments.Target{ID: 5, Job: true}, wantSeen: []string{list, statusesOf(5)},
		},
		{
			name: "no payload, null and empty string are empty payloads", where: auto,
			lists:    map[string]string{sha: `[` + dep(7, "github-actions[bot]", "") + `,` + dep(6, "github-actions[bot]", "null") + `,` + dep(5, "github-actions[bot]", `""`) + `]`},
			statuses: map[int64]string{5: linking(jobLink)},
			want:     deployments.Target{ID: 5, Job: true}, wantSeen: []string{list, statusesOf(7), statusesOf(6), statusesOf(5)},
		},
		{
			name: "the newest job deployment that links to this run wins", where: auto,
			lists:    map[string]string{sha: `[` + job(9) + `,` + job(8) + `,` + job(7) + `]`},
			statuses: map[int64]string{9: linking(otherRun), 8: linking(runURL + "/job/556"), 7: linking(jobLink)},
			want:     deployments.Target{ID: 8, Job: true}, wantSeen: []string{list, statusesOf(9), statusesOf(8)},
		},
		{
			name: "at most three candidates are read", where: auto,
			lists:    map[string]string{sha: `[` + job(9) + `,` + job(8) + `,` + job(7) + `,` + job(6) + `]`},
			statuses: map[int64]string{9: linking(otherRun), 8: linking(otherRun), 7: linking(otherRun), 6: linking(jobLink)},
			want:     deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, statusesOf(9), statusesOf(8), statusesOf(7), create, list},
		},
		{
			name: "pull request: the job's deployment at GITHUB_SHA, the test merge", where: deployments.Where{Auto: true, RunSHA: mergeSHA},
			lists: map[string]string{mergeSHA: `[` + job(5) + `]`}, statuses: map[int64]string{5: linking(jobLink)},
			want: deployments.Target{ID: 5, Job: true}, wantSeen: []string{list, listPR, statusesOf(5)},
		},
		{
			name: "pull request: candidates of both commits are read newest first", where: deployments.Where{Auto: true, RunSHA: mergeSHA},
			lists:    map[string]string{sha: `[` + job(3) + `]`, mergeSHA: `[` + job(5) + `]`},
			statuses: map[int64]string{3: linking(otherRun), 5: linking(jobLink)},
			want:     deployments.Target{ID: 5, Job: true}, wantSeen: []string{list, listPR, statusesOf(5)},
		},
		{
			name: "pull request without a job deployment: both commits listed, then ours created", where: deployments.Where{Auto: true, RunSHA: mergeSHA},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, listPR, create, list},
		},
		{
			name: "pull request, a later step: this run's deployment found at the head commit", where: deployments.Where{Auto: true, RunSHA: mergeSHA},
			lists: map[string]string{sha: `[` + dep(4, "github-actions[bot]", ourPay) + `]`},
			want:  deployments.Target{ID: 4}, wantSeen: []string{list},
		},
		{
			name: "handed over by an earlier step: no request", where: deployments.Where{Auto: true, RunSHA: sha, Handoff: 42},
			want: deployments.Target{ID: 42, Job: true}, wantSeen: nil,
		},
		{
			name: "outside a run nothing can link to it", where: auto, ev: func(e *event.Event) { e.RunURL = "" },
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: linking(jobLink)},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create, list},
		},
		{
			name: "github-deployment true: ours even when the job has one", where: deployments.Where{RunSHA: sha, Handoff: 42},
			lists: map[string]string{sha: `[` + job(5) + `]`}, statuses: map[int64]string{5: linking(jobLink)},
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{list, create, list},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			ev := deployment()
			if tt.ev != nil {
				tt.ev(&ev)
			}
			g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusOK, or(tt.lists[r.URL.Query().Get("sha")], `[]`))
			})
			g.mux.HandleFunc("GET /repos/acme/web/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
				var id int64
				fmt.Sscan(r.PathValue("id"), &id)
				respond(w, http.StatusOK, or(tt.statuses[id], `[]`))
			})
			g.mux.HandleFunc("POST /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				testJSON(t, r, toMap(t, deployments.CreateRequest(ev)))
				respond(w, http.StatusCreated, `{"id":99}`)
			})
			got, err := g.client(t, g.url).Target(context.Background(), ev, tt.where)
			if err != nil {
				t.Fatalf("Target() error = %v", err)
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

// TestPost: a status goes straight to a deployment handed over by an earlier step; when GitHub
// no longer knows it, the step looks again and posts where that leads.
func TestPost(t *testing.T) {
	t.Parallel()
	const (
		list    = "GET /repos/acme/web/deployments?" + listQuery
		create  = "POST /repos/acme/web/deployments"
		envList = "GET /repos/acme/web/deployments?" + envQuery
	)
	post := func(id int64) string { return fmt.Sprintf("POST /repos/acme/web/deployments/%d/statuses", id) }
	handed := deployments.Where{Auto: true, RunSHA: sha, Handoff: 42}
	tests := []struct {
		name     string
		where    deployments.Where
		gone     int    // the status answer for deployment 42
		list     string // the list answer
		want     deployments.Target
		wantErr  string
		wantSeen []string
	}{
		{
			name: "handed over: one request", where: handed, gone: http.StatusCreated,
			want: deployments.Target{ID: 42, Job: true}, wantSeen: []string{post(42)},
		},
		{
			name: "handed over but gone: the job's deployment is looked up again", where: handed, gone: http.StatusNotFound,
			list: `[` + job(5) + `]`,
			want: deployments.Target{ID: 5, Job: true}, wantSeen: []string{post(42), list, "GET /repos/acme/web/deployments/5/statuses?per_page=100", post(5)},
		},
		{
			name: "handed over but gone, and no job deployment: ours is created", where: handed, gone: http.StatusNotFound,
			want: deployments.Target{ID: 99, Created: true}, wantSeen: []string{post(42), list, create, list, post(99), envList},
		},
		{
			name: "handed over, another error: no second guess", where: handed, gone: http.StatusForbidden,
			wantErr: "GitHub answered 403 Forbidden when asked to post a status to deployment 42 in acme/web",
			want:    deployments.Target{ID: 42, Job: true}, wantSeen: []string{post(42)},
		},
		{
			name: "looked up, then 404: an error, not a loop", where: deployments.Where{Auto: true}, gone: http.StatusNotFound,
			wantErr: "GitHub answered 404 Not Found when asked to post a status to deployment 42 in acme/web: Not Found: add `permissions: deployments: write`",
			want:    deployments.Target{ID: 42}, wantSeen: []string{post(42)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			g.mux.HandleFunc("POST /repos/acme/web/deployments/{id}/statuses", func(w http.ResponseWriter, r *http.Request) {
				// A success goes to ours without GitHub's auto_inactive; the
				// job's own (handed over, or 5) keeps GitHub's default.
				want := toMap(t, deployments.StatusRequest(deployment(), "success", ""))
				if id := r.PathValue("id"); id == "99" || id == "42" && tt.where.Handoff == 0 {
					want["auto_inactive"] = false
				}
				testJSON(t, r, want)
				if r.PathValue("id") == "42" && tt.gone != http.StatusCreated {
					respond(w, tt.gone, `{"message":"`+http.StatusText(tt.gone)+`"}`)
					return
				}
				respond(w, http.StatusCreated, `{"id":1}`)
			})
			g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusOK, or(tt.list, `[]`))
			})
			g.mux.HandleFunc("GET /repos/acme/web/deployments/5/statuses", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusOK, linking(jobLink))
			})
			g.mux.HandleFunc("POST /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusCreated, `{"id":99}`)
			})
			c := g.client(t, g.url)
			target := deployments.Target{ID: 42} // as if looked up
			if tt.where.Handoff != 0 {
				var err error
				if target, err = c.Target(context.Background(), deployment(), tt.where); err != nil {
					t.Fatal(err)
				}
			}
			err := c.Post(context.Background(), deployment(), tt.where, &target, deployments.StatusRequest(deployment(), "success", ""))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Post() error = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("Post() error = %v, want it to start %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, target, cmpopts.IgnoreUnexported(deployments.Target{})); diff != "" {
				t.Errorf("target after Post() (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSeen, g.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandoffVar(t *testing.T) {
	t.Parallel()
	base := deployments.HandoffVar(deployment())
	if !regexp.MustCompile(`^DEPLOYTRACK_GITHUB_DEPLOYMENT_[0-9A-F]{12}$`).MatchString(base) {
		t.Errorf("HandoffVar() = %q, not a portable variable name", base)
	}
	if again := deployments.HandoffVar(deployment()); again != base {
		t.Errorf("HandoffVar() = %q then %q", base, again)
	}
	for name, change := range map[string]func(*event.Event){
		"product":     func(e *event.Event) { e.Product = "api" },
		"environment": func(e *event.Event) { e.Environment = "staging" },
		"commit":      func(e *event.Event) { e.SHA = mergeSHA },
	} {
		if got := deployments.HandoffVar(with(deployment(), change)); got == base {
			t.Errorf("another %s, the same variable %s", name, got)
		}
	}
	for _, same := range []func(*event.Event){
		func(e *event.Event) { e.Status = event.Started },
		func(e *event.Event) { e.Version = "9.9.9" },
	} {
		if got := deployments.HandoffVar(with(deployment(), same)); got != base {
			t.Errorf("HandoffVar() = %q, want %q: the status and version do not change the deployment", got, base)
		}
	}
}

func TestParseHandoff(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"42": 42, " 7\n": 7, "": 0, "0": 0, "-1": 0, "abc": 0, "1.5": 0, "99999999999999999999": 0} {
		if got := deployments.ParseHandoff(in); got != want {
			t.Errorf("ParseHandoff(%q) = %d, want %d", in, got, want)
		}
	}
}
