package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/runner"
)

func jobRun(t *testing.T, j *runner.Job, with map[string]string) runner.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := j.Run(ctx, with)
	if err != nil {
		t.Fatal(err)
	}
	jobInputs.Store(j, append(inputsOf(j), with))
	checkSummary(t, r.Summary, j.Env, with, r.Outputs)
	return r
}

func jobPost(t *testing.T, j *runner.Job) []runner.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rs, err := j.Post(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A post step's inputs are its main step's, evaluated again.
	with := map[string]string{}
	for i, in := range inputsOf(j) {
		for k, v := range in {
			with[fmt.Sprint(i, " ", k)] = v
		}
	}
	for _, r := range rs {
		checkSummary(t, r.Summary, j.Env, with, r.Outputs)
	}
	return rs
}

// jobInputs holds, for each job that jobRun ran steps of, their inputs,
// which the job's post steps evaluate again.
var jobInputs sync.Map // *runner.Job → []map[string]string

func inputsOf(j *runner.Job) []map[string]string {
	v, _ := jobInputs.Load(j)
	ins, _ := v.([]map[string]string)
	return ins
}

func code(t *testing.T, r runner.Result, want int) {
	t.Helper()
	if r.Code != want {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.Code, want, r.Stdout, r.Stderr)
	}
}

// statuses lists each deployment's states, oldest first.
func statuses(w *world) []string {
	var out []string
	for _, d := range w.github.Deployments() {
		var s []string
		for _, st := range d.Statuses {
			s = append(s, st.State)
		}
		out = append(out, d.Payload["product"].(string)+": "+strings.Join(s, " → "))
	}
	return out
}

func eventStatuses(w *world) []string {
	var out []string
	for _, e := range w.versioner.Events() {
		out = append(out, e.Body["product_name"].(string)+" "+e.Body["status"].(string))
	}
	return out
}

// TestAutoFinish is one step that tracks the whole deployment: started in
// the main step, the job's outcome in the post step.
func TestAutoFinish(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		jobStatus string // what job.status is when the post step runs
		wantEvent string
		wantState string
	}{
		{"the job succeeds", "", "completed", "success"},
		{"a later step fails", "failure", "failed", "failure"},
		{"the job is cancelled", "cancelled", "aborted", "inactive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			j := w.job(map[string]string{"RUNNER_NAME": "GitHub Actions 17"})
			start := jobRun(t, j, w.with(map[string]string{"status": "started", "auto-finish": "true", "environment-url": "https://shop.example.com"}))
			code(t, start, 0)
			if !strings.Contains(start.State["deploytrack"], `"github_deployment_id":1`) {
				t.Errorf("the main step saved state %q", start.State)
			}
			w.versioner.Reset()
			w.github.Reset()

			j.Status = tt.jobStatus // the deploy step's outcome
			posts := jobPost(t, j)
			if len(posts) != 1 {
				t.Fatalf("%d post steps ran, want 1", len(posts))
			}
			code(t, posts[0], 0)
			wantContains(t, "post step log", posts[0].Stdout, "auto-finish: recording "+tt.wantEvent+" (from job.status is "+cmpOr(tt.jobStatus, "success")+")")
			// The post step posts straight to the deployment the main step
			// made; a success then lists the environment, to replace the
			// product's previous version (it has none here).
			wantPaths(t, "Versioner", w.versioner.Requests(), deployEvents)
			wantGitHub := []string{ghStatus("1")}
			if tt.wantState == "success" {
				wantGitHub = append(wantGitHub, ghEnvList)
			}
			wantPaths(t, "GitHub", w.github.Requests(), wantGitHub...)
			if diff := cmp.Diff([]string{"shop-api started", "shop-api " + tt.wantEvent}, eventStatuses(w)); diff != "" {
				t.Errorf("Versioner events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"shop-api: in_progress → " + tt.wantState}, statuses(w)); diff != "" {
				t.Errorf("GitHub deployments (-want +got):\n%s", diff)
			}
			if got := w.github.Deployments()[0].Statuses[1].EnvironmentURL; got != "https://shop.example.com" {
				t.Errorf("environment_url = %q", got)
			}
			if posts[0].Outputs["status"] != tt.wantEvent || !strings.Contains(posts[0].Summary, "shop-api") {
				t.Errorf("post step outputs %v, summary:\n%s", posts[0].Outputs, posts[0].Summary)
			}
		})
	}
}

// TestAutoFinishFromTheActionsAPI covers a post step that does not get
// job.status (job-status left empty): it reads the job's steps instead.
func TestAutoFinishFromTheActionsAPI(t *testing.T) {
	t.Parallel()
	const jobsPath = "GET /api/v3/repos/acme/shop/actions/runs/987654321/attempts/1/jobs?per_page=100"
	tests := []struct {
		name       string
		steps      []fake.JobStep
		noRead     bool
		wantCode   int
		wantEvent  string // "" : nothing recorded
		wantInLog  string
		wantStatus string
	}{
		{name: "a step failed", steps: []fake.JobStep{{Name: "Set up job", Status: "completed", Conclusion: "success"}, {Name: "Deploy", Status: "completed", Conclusion: "failure"}},
			wantEvent: "failed", wantStatus: "failure", wantInLog: "from the job's steps"},
		{name: "every step passed", steps: []fake.JobStep{{Name: "Deploy", Status: "completed", Conclusion: "success"}, {Name: "Post deploytrack", Status: "in_progress", Conclusion: ""}},
			wantEvent: "completed", wantStatus: "success"},
		{name: "no actions: read", noRead: true, wantCode: 1, wantInLog: "add `permissions: actions: read`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.github.NoActionsRead = tt.noRead
			w.github.SetJobs(987654321, 1, []fake.Job{
				{ID: 1, Name: "build", RunnerName: "GitHub Actions 3", Status: "completed", Conclusion: "success"},
				{ID: 2, Name: "deploy", RunnerName: "GitHub Actions 17", Status: "in_progress", Steps: tt.steps},
			})
			j := w.job(map[string]string{"RUNNER_NAME": "GitHub Actions 17"})
			with := w.with(map[string]string{"status": "started", "auto-finish": "true", "job-status": ""})
			code(t, jobRun(t, j, with), 0)
			w.versioner.Reset()
			w.github.Reset()

			post := jobPost(t, j)[0]
			code(t, post, tt.wantCode)
			if tt.wantInLog != "" {
				wantContains(t, "post step log", post.Stdout, tt.wantInLog)
			}
			if tt.wantEvent == "" {
				wantPaths(t, "GitHub", w.github.Requests(), jobsPath)
				wantPaths(t, "Versioner", w.versioner.Requests())
				return
			}
			wantGitHub := []string{jobsPath, ghStatus("1")}
			if tt.wantStatus == "success" {
				wantGitHub = append(wantGitHub, ghEnvList)
			}
			wantPaths(t, "GitHub", w.github.Requests(), wantGitHub...)
			if diff := cmp.Diff([]string{"shop-api started", "shop-api " + tt.wantEvent}, eventStatuses(w)); diff != "" {
				t.Errorf("Versioner events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"shop-api: in_progress → " + tt.wantStatus}, statuses(w)); diff != "" {
				t.Errorf("GitHub deployments (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAutoFinishDoesNothing covers the post steps that must not record:
// auto-finish off, an explicit finishing step, a blocked deployment.
func TestAutoFinishDoesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(w *world)
		steps []map[string]string
	}{
		{name: "auto-finish off", steps: []map[string]string{{"status": "started"}}},
		{name: "an explicit finishing step", steps: []map[string]string{{"status": "started", "auto-finish": "true"}, {"status": "success"}}},
		{name: "blocked by a preflight rule", setup: func(w *world) {
			w.versioner.RejectPreflight(fake.Rejection{Product: "shop-api", Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "frozen"})
		}, steps: []map[string]string{{"status": "started", "auto-finish": "true"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			if tt.setup != nil {
				tt.setup(w)
			}
			j := w.job(map[string]string{"RUNNER_NAME": "GitHub Actions 17"})
			for _, s := range tt.steps {
				jobRun(t, j, w.with(s))
			}
			events, deps := eventStatuses(w), statuses(w)
			w.versioner.Reset()
			w.github.Reset()
			posts := jobPost(t, j)
			if len(posts) != len(tt.steps) {
				t.Fatalf("%d post steps, want %d", len(posts), len(tt.steps))
			}
			for _, p := range posts {
				code(t, p, 0)
			}
			wantPaths(t, "Versioner", w.versioner.Requests())
			wantPaths(t, "GitHub", w.github.Requests())
			if diff := cmp.Diff(events, eventStatuses(w)); diff != "" {
				t.Errorf("the post steps changed Versioner's events (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(deps, statuses(w)); diff != "" {
				t.Errorf("the post steps changed GitHub's deployments (-before +after):\n%s", diff)
			}
		})
	}
}

// TestProducts records several products in one step.
func TestProducts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.versioner.RejectPreflight(fake.Rejection{Product: "payments", Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "Payments are frozen", RetryAfter: "2026-11-30T08:00:00Z"})
	with := w.with(map[string]string{"product": "", "status": "started", "metadata": `{"team": "shop"}`,
		"products": "- product: shop-api\n  version: 1.4.0\n  environment-url: https://shop.example.com\n- worker@2.0.1\n- product: payments\n  version: 9.9.9\n  metadata: {ticket: PAY-1}\n"})
	r := w.run(use{with: with})
	wantCode(t, r, 1) // payments is blocked

	got := map[string]map[string]any{}
	for _, e := range w.versioner.Events() {
		got[e.Body["product_name"].(string)] = e.Body
	}
	if len(got) != 2 || got["shop-api"]["version"] != "1.4.0" || got["worker"]["version"] != "2.0.1" {
		t.Errorf("Versioner recorded %v, want shop-api 1.4.0 and worker 2.0.1", got)
	}
	if md, _ := got["worker"]["extra_metadata"].(map[string]any); md["team"] != "shop" {
		t.Errorf("worker's metadata = %v, want the step's", md)
	}
	if n := len(w.versioner.Requests()); n != 3 {
		t.Errorf("Versioner got %d requests, want 3 (one per product)", n)
	}
	var keys []string
	for _, req := range w.versioner.Requests() {
		keys = append(keys, req.Header.Get("Idempotency-Key"))
		if req.Header.Get("Idempotency-Key") == "" {
			t.Error("a request without an Idempotency-Key")
		}
	}
	if keys[0] == keys[1] || keys[1] == keys[2] || keys[0] == keys[2] {
		t.Errorf("products share an Idempotency-Key: %v", keys)
	}

	deps := map[string]string{}
	for _, d := range w.github.Deployments() {
		var s []string
		for _, st := range d.Statuses {
			s = append(s, st.State)
		}
		deps[d.Payload["product"].(string)] = strings.Join(s, " → ")
	}
	if diff := cmp.Diff(map[string]string{"shop-api": "in_progress", "worker": "in_progress", "payments": "failure"}, deps); diff != "" {
		t.Errorf("GitHub deployments (-want +got):\n%s", diff)
	}

	var results map[string]map[string]any
	if err := json.Unmarshal([]byte(r.outputs["results"]), &results); err != nil {
		t.Fatalf("results %q: %v", r.outputs["results"], err)
	}
	for p, want := range map[string]struct {
		ok     bool
		status string
	}{"shop-api": {true, "started"}, "worker": {true, "started"}, "payments": {false, "blocked"}} {
		if results[p]["ok"] != want.ok || results[p]["status"] != want.status {
			t.Errorf("results[%s] = %v, want ok %v, status %s", p, results[p], want.ok, want.status)
		}
	}
	if !strings.Contains(results["payments"]["error"].(string), "Payments are frozen") {
		t.Errorf("results[payments].error = %q", results["payments"]["error"])
	}
	// The products' outcomes differ (started, blocked): status says none.
	if r.outputs["deployment-id"] != "" || r.outputs["status"] != "" {
		t.Errorf("single-product outputs with several products: deployment-id %q, status %q", r.outputs["deployment-id"], r.outputs["status"])
	}
	wantSummary(t, r.summary, "⛔ 3 products → production: 1 blocked, 2 started", "shop-api\n1.4.0\nproduction\n🚀 started", "worker\n2.0.1\n", "payments\n9.9.9\nproduction\n⛔ blocked",
		"payments: Blocked until Mon 30 Nov 2026 08:00 UTC.")
	wantContains(t, "log", r.stdout, "::error title=Deployment of payments blocked by Versioner::")
}

// TestProductsAutoFinish finishes every product the main step started,
// on the deployments it made, in one post step.
func TestProductsAutoFinish(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	j := w.job(map[string]string{"RUNNER_NAME": "GitHub Actions 17"})
	with := w.with(map[string]string{"product": "", "status": "started", "auto-finish": "true", "products": "api@1\nworker@2\n"})
	code(t, jobRun(t, j, with), 0)
	j.Status = "failure"
	code(t, jobPost(t, j)[0], 0)
	got := map[string]bool{}
	for _, s := range statuses(w) {
		got[s] = true
	}
	if !got["api: in_progress → failure"] || !got["worker: in_progress → failure"] || len(got) != 2 {
		t.Errorf("GitHub deployments %v, want api and worker in_progress → failure", statuses(w))
	}
	if n := len(w.versioner.Events()); n != 4 {
		t.Errorf("Versioner recorded %d events, want 4: %v", n, eventStatuses(w))
	}
}

// TestProductsInputErrors sends nothing when an entry is wrong.
func TestProductsInputErrors(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct{ products, want string }{
		"bad status in an entry": {"- {product: api, status: deployed-ish}", `::error title=Invalid input%3A products::input products entry 1 (api): status is "deployed-ish"`},
		"not a list":             {"api: 1", "::error title=Invalid input%3A products::input products is a YAML mapping, not a list"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.run(use{with: w.with(map[string]string{"product": "", "products": tt.products})})
			wantCode(t, r, 1)
			wantContains(t, "log", r.stdout, tt.want)
			wantPaths(t, "Versioner", w.versioner.Requests())
			wantPaths(t, "GitHub", w.github.Requests())
		})
	}
}

// An explicit finishing step whose GitHub status failed still tells the
// post step the product is finished: the deployment stays in_progress.
func TestAutoFinishAfterAFailedFinishingStep(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	j := w.job(nil)
	code(t, jobRun(t, j, w.with(map[string]string{"status": "started", "auto-finish": "true"})), 0)
	w.github.Inject(fake.Fault{Method: "POST", PathSuffix: "/statuses", Status: 422})
	fin := jobRun(t, j, w.with(map[string]string{"status": "success"}))
	code(t, fin, 1)
	j.Status = "failure"
	jobPost(t, j)
	if got := statuses(w); len(got) != 1 || strings.HasSuffix(got[0], "in_progress") {
		t.Errorf("GitHub deployments %v: the failed finishing step left it in_progress and the post step did not finish it", got)
	}
}

// A terminal event recorded for the same product and environment by an
// EARLIER step of the job (e.g. marking a stuck deployment aborted before
// starting again) makes the post step of a later auto-finish step skip.
func TestAutoFinishAfterAnEarlierFinalStatus(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	j := w.job(nil)
	code(t, jobRun(t, j, w.with(map[string]string{"status": "aborted", "version": "1.2.2"})), 0)
	code(t, jobRun(t, j, w.with(map[string]string{"status": "started", "auto-finish": "true"})), 0)
	jobPost(t, j)
	for _, s := range eventStatuses(w) {
		t.Log(s)
	}
	if ev := eventStatuses(w); ev[len(ev)-1] != "shop-api completed" {
		t.Errorf("Versioner events %v: the started deployment was never finished", ev)
	}
}

// Two auto-finish steps for the same product (a retried deploy) both
// finish it: the post steps do not tell each other.
func TestAutoFinishTwiceForOneProduct(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	j := w.job(nil)
	code(t, jobRun(t, j, w.with(map[string]string{"status": "started", "auto-finish": "true"})), 0)
	code(t, jobRun(t, j, w.with(map[string]string{"status": "started", "auto-finish": "true"})), 0)
	w.versioner.Reset()
	w.github.Reset()
	jobPost(t, j)
	if n := len(w.versioner.Requests()); n != 1 {
		t.Errorf("the post steps sent %d terminal events, want 1: %v", n, eventStatuses(w))
	}
}

// The main step's started event was refused by Versioner (the step
// failed, so the deploy step after it was skipped), yet the post step
// records "failed" for a deployment Versioner never saw start.
func TestAutoFinishAfterAStartVersionerRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	j := w.job(nil)
	w.versioner.Inject(fake.Fault{PathSuffix: "/deployment-events/", Status: 400, Body: `{"detail":"bad"}`})
	start := jobRun(t, j, w.with(map[string]string{"status": "started", "auto-finish": "true"}))
	code(t, start, 1)
	t.Logf("state handed on: %v", start.State)
	w.versioner.Reset()
	jobPost(t, j)
	if ev := eventStatuses(w); len(ev) != 0 {
		t.Errorf("post step recorded %v for a start Versioner refused", ev)
	}
}

// TestAutoFinishOnTheJobsDeployment is auto-finish in a job with an
// environment: key: both the main step and its post step post to the
// deployment GitHub made for the job, and the post step goes straight to
// it.
func TestAutoFinishOnTheJobsDeployment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	id := w.github.AddJobDeployment(fake.JobDeployment{RunID: "987654321", JobID: "31415926", SHA: headSHA})
	j := w.job(nil)
	start := jobRun(t, j, w.with(map[string]string{"status": "started", "auto-finish": "true"}))
	code(t, start, 0)
	if start.Outputs["github-deployment-source"] != "job" {
		t.Fatalf("the main step used %q's deployment, want the job's: %v", start.Outputs["github-deployment-source"], start.Outputs)
	}
	w.versioner.Reset()
	w.github.Reset()
	post := jobPost(t, j)[0]
	code(t, post, 0)
	wantPaths(t, "GitHub", w.github.Requests(), ghStatus(fmt.Sprint(id)))
	if post.Outputs["github-deployment-source"] != "job" || post.Outputs["github-deployment-id"] != fmt.Sprint(id) {
		t.Errorf("post step outputs %v", post.Outputs)
	}
	deps := w.github.Deployments()
	if len(deps) != 1 {
		t.Fatalf("GitHub holds %d deployments, want the job's alone", len(deps))
	}
	last := deps[0].Statuses[len(deps[0].Statuses)-1]
	if last.State != "success" {
		t.Errorf("the job's deployment ends %q, want success", last.State)
	}
}
