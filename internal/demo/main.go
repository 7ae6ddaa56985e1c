// Command demo runs the real deploytrack binary end to end on this
// machine, against the project's fakes of Versioner and GitHub started on
// loopback, and prints what each API received, the step's log, its
// outputs and its job summary. It also writes each job summary to a
// folder, as markdown and as HTML rendered as GitHub renders it, for a
// person to open. `make demo` runs it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/runner"
)

const (
	apiKey = "sk_acme_1_demo0nly"
	token  = "ghs_demo0nly"
	sha    = "3f786850e387550fdab836ed7e6dc881de23001b"
	// nextSHA is the commit of the next run, which ships the monorepo's
	// next versions.
	nextSHA = "9c1185a5c5e9fc54612808977ee8f548b2258d31"
)

func main() {
	bin := flag.String("bin", "bin/deploytrack", "the deploytrack binary to run")
	action := flag.String("action", "action.yml", "the action metadata")
	out := flag.String("summaries", "bin/demo-summaries", "the folder to write each job summary to, as .md and .html")
	css := flag.String("css", cssPath, "GitHub's markdown stylesheet (npm's github-markdown-css), for the .html files; without it they are plainer")
	flag.Parse()
	sums, err := newSummaries(*out, *css)
	if err == nil {
		err = demo(os.Stdout, *bin, *action, sums)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type scene struct {
	title string
	with  map[string]string
	job   string            // the job the step runs in: the steps of a job share GITHUB_ENV
	run   map[string]string // the job's context over the first run's, for a job of another run
	setup func()            // what happens before the step, if anything
	after func()            // what undoes setup once the step ran
	post  bool              // the job ends after the step: run its post steps
}

func demo(w io.Writer, bin, action string, sums *summaries) error {
	meta, err := runner.ReadMetadata(action)
	if err != nil {
		return err
	}
	vs := fake.NewVersioner(apiKey)
	vs.ReportOnly("soak-time", "staging ran 20 minutes; the rule asks for 1 hour")
	vs.RejectPreflight(fake.Rejection{Product: "payments", Status: 423, Code: "NO_DEPLOY_WINDOW",
		Message: "Production deploys are frozen until Monday", RetryAfter: "2026-11-30T08:00:00Z", RuleName: "weekend freeze"})
	gh := fake.NewGitHub(token, "acme", "shop")
	vsrv, gsrv := httptest.NewServer(vs), httptest.NewServer(gh)
	defer vsrv.Close()
	defer gsrv.Close()

	dir, err := os.MkdirTemp("", "deploytrack-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	common := map[string]string{"api-key": apiKey, "api-url": vsrv.URL, "product": "shop-api",
		"version": "1.4.0", "environment": "production"}
	// The job deploy-staging has `environment: {name: staging, url: ...}`, so
	// GitHub makes it a deployment of its own when it starts.
	staging := map[string]string{"environment": "staging", "environment-url": "https://staging.shop.example.com"}
	var jobDeployment int64
	// The monorepo's scenes run in runs of their own: the later runs of the
	// workflow, which has no job with an environment: key.
	monorepoRun := map[string]string{"GITHUB_RUN_ID": "987654350", "GITHUB_RUN_NUMBER": "78"}
	nextRun := map[string]string{"GITHUB_RUN_ID": "987654400", "GITHUB_RUN_NUMBER": "79", "GITHUB_SHA": nextSHA}
	// The scenes from 11 on show each outcome a summary reports, in the
	// jobs of a later run.
	laterRun := map[string]string{"GITHUB_RUN_ID": "987654500", "GITHUB_RUN_NUMBER": "80", "GITHUB_SHA": nextSHA, "GITHUB_ACTOR": "mona"}
	scenes := []scene{
		{title: "1. Before the deploy: status started", with: merge(common, map[string]string{"status": "started"}), job: "deploy"},
		{title: "2. After the deploy: status ${{ job.status }} = success", with: merge(common, map[string]string{"status": "success", "environment-url": "https://shop.example.com"}), job: "deploy"},
		{title: "3. Another product, blocked by a Versioner preflight rule", with: merge(common, map[string]string{"product": "payments", "status": "started"}), job: "payments"},
		{title: "4. A job with `environment: staging`: the step posts to the deployment GitHub made for the job", job: "deploy-staging",
			with: merge(common, staging, map[string]string{"status": "started", "description": "Rolling out 1.4.0 to staging"}),
			setup: func() {
				jobDeployment = gh.AddJobDeployment(fake.JobDeployment{RunID: "987654321", JobID: "31415926", Environment: "staging", SHA: sha, Ref: "main",
					EnvironmentURL: "https://staging.shop.example.com"})
			}},
		{title: "5. Later in the same job: success, straight to the job's deployment (handed over in GITHUB_ENV)", job: "deploy-staging",
			with: merge(common, staging, map[string]string{"status": "success"})},
		{title: "6. One step for the whole deployment: auto-finish", job: "checkout", post: true,
			with: merge(common, map[string]string{"product": "checkout", "status": "started", "auto-finish": "true"})},
		{title: "7. Three products in one step", job: "monorepo",
			with: merge(common, map[string]string{"product": "", "status": "success",
				"products": "- product: shop-api\n  version: 1.4.1\n- product: worker\n  version: 2.0.1\n  environment: production-eu\n- search@0.9.0\n"})},
		// A monorepo whose products share staging. With GitHub's own
		// auto_inactive each product's success would mark the others'
		// deployments inactive: the step turns it off for its deployments and
		// retires each product's own previous version instead, in staging and
		// production alike.
		{title: "8. Another run: the monorepo to staging, three products that share the environment", job: "monorepo-staging", run: monorepoRun,
			with: merge(common, map[string]string{"product": "", "status": "success", "environment": "staging",
				"products": "shop-api@1.4.1\nworker@2.0.1\nsearch@0.9.0\n"})},
		{title: "9. The next run, to staging: each product's new version replaces only its own previous one", job: "next-staging", run: nextRun,
			with: merge(common, map[string]string{"product": "", "status": "success", "environment": "staging",
				"products": "shop-api@1.4.2\nworker@2.0.2\nsearch@0.9.1\n"})},
		{title: "10. The same run, to production, where GitHub's auto_inactive marks nothing: the step retires each product's previous version", job: "next-production", run: nextRun,
			with: merge(common, map[string]string{"product": "", "status": "success",
				"products": "- shop-api@1.4.2\n- product: worker\n  version: 2.0.2\n  environment: production-eu\n- search@0.9.1\n"})},
		{title: "11. A later run: the finishing step of a deploy that took 4 minutes, with a description", job: "deploy-shop", run: startedAgo(laterRun, "shop-api", "production", 4*time.Minute+12*time.Second),
			with: merge(common, map[string]string{"version": "1.5.0", "status": "success", "environment-url": "https://shop.example.com",
				"description": "Rolling out 1.5.0: new checkout flow behind a flag"})},
		{title: "12. A deploy that failed after 2 minutes: status ${{ job.status }} = failure", job: "deploy-search", run: startedAgo(laterRun, "search", "production", 2*time.Minute+3*time.Second),
			with: merge(common, map[string]string{"product": "search", "version": "0.9.2", "status": "failure"})},
		{title: "13. A deploy cancelled after 40 seconds: status ${{ job.status }} = cancelled", job: "deploy-worker", run: startedAgo(laterRun, "worker", "production-eu", 40*time.Second),
			with: merge(common, map[string]string{"product": "worker", "version": "2.0.3", "environment": "production-eu", "status": "cancelled"})},
		{title: "14. The blocked deploy's finishing step (if: always()): its start was blocked, so there is nothing to record", job: "payments",
			with: merge(common, map[string]string{"product": "payments", "status": "failure"})},
		{title: "15. A dry run: the step prints the requests and sends nothing", job: "dry-run", run: laterRun,
			with: merge(common, map[string]string{"version": "1.5.1", "status": "success", "dry-run": "true"})},
		{title: "16. Versioner cannot be reached, fail-on-api-error: false: the deploy goes on, the summary says the tracking failed", job: "docs", run: merge(laterRun, fastRetries),
			with: merge(common, map[string]string{"product": "docs", "version": "3.0.0", "status": "success", "api-url": "http://127.0.0.1:1", "fail-on-api-error": "false"})},
		{title: "17. GitHub refuses: the job lacks permissions: deployments: write (fail-on-api-error is true)", job: "admin", run: laterRun,
			with:  merge(common, map[string]string{"product": "admin", "version": "1.0.0", "status": "success"}),
			setup: func() { gh.ReadOnly = true }, after: func() { gh.ReadOnly = false }},
		{title: "18. A build", job: "build", run: laterRun,
			with: merge(common, map[string]string{"event-type": "build", "version": "1.6.0", "status": "success", "environment": ""})},
		{title: "19. Another run: three products start in one step; one of them is blocked", job: "release", run: merge(laterRun, map[string]string{"GITHUB_RUN_ID": "987654600", "GITHUB_RUN_NUMBER": "81"}),
			with: merge(common, map[string]string{"product": "", "status": "started", "products": "shop-api@1.6.0\npayments@1.4.1\nsearch@0.9.3\n"})},
	}
	fmt.Fprintf(w, "deploytrack demo: %s against fake Versioner at %s and fake GitHub at %s/api/v3\n", bin, vsrv.URL, gsrv.URL)
	jobs := map[string]*runner.Job{}
	for i, sc := range scenes {
		j := jobs[sc.job]
		if j == nil {
			jobDir := fmt.Sprintf("%s/%s", dir, sc.job)
			if err := os.Mkdir(jobDir, 0o755); err != nil {
				return err
			}
			j = &runner.Job{Binary: bin, Metadata: meta, Env: runner.Context(gsrv.URL+"/api/v3", sha), Token: token, Dir: jobDir}
			j.Env["GITHUB_JOB"] = sc.job
			maps.Copy(j.Env, sc.run)
			jobs[sc.job] = j
		}
		j.Env["GITHUB_ACTION"] = fmt.Sprintf("__deploytrack_%d", i+1)
		if sc.setup != nil {
			sc.setup()
		}

		vs.Reset()
		gh.Reset()
		run, cancel := context.WithTimeout(context.Background(), time.Minute)
		r, err := j.Run(run, sc.with)
		cancel()
		if sc.after != nil {
			sc.after()
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%s\n%s\n", sc.title, strings.Repeat("=", len(sc.title)))
		fmt.Fprintf(w, "job: %s\nwith: %s\n", sc.job, with(sc.with))
		show(w, "step", r, vs, gh)
		if err := sums.write(sc.title, r.Summary); err != nil {
			return err
		}
		if !sc.post {
			continue
		}
		fmt.Fprintf(w, "\n(the job's other steps run and succeed; at the end of the job the runner starts the post step)\n")
		vs.Reset()
		gh.Reset()
		run, cancel = context.WithTimeout(context.Background(), time.Minute)
		posts, err := j.Post(run)
		cancel()
		if err != nil {
			return err
		}
		for _, p := range posts {
			show(w, "post step", p, vs, gh)
			if err := sums.write(sc.title+" (post step)", p.Summary); err != nil {
				return err
			}
		}
	}
	// When deploy-staging ends, GitHub posts the job's outcome itself.
	if err := gh.EndJob(jobDeployment, "success"); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nThe job deploy-staging ends: GitHub posts success to its deployment #%d (with GitHub's auto_inactive,\nwhich marks only deployments older than it).\n", jobDeployment)
	ending(w, gh.Deployments())
	sums.tell(w)
	return nil
}

// fastRetries shortens the retries of a step whose API is down, so that
// the demo does not wait the seconds a real step waits.
var fastRetries = map[string]string{"DEPLOYTRACK_RETRY_WAIT": "5ms"}

// startedAgo is run's context, with what the job's start step hands its
// later steps (step's startVar, through GITHUB_ENV) as if it had recorded
// product's start d ago: the demo's steps run milliseconds apart, a deploy
// takes minutes, and the finishing step's summary says how long.
func startedAgo(run map[string]string, product, environment string, d time.Duration) map[string]string {
	note, _ := json.Marshal(map[string]string{"outcome": "started", "at": time.Now().Add(-d).UTC().Format(time.RFC3339Nano)})
	return merge(run, map[string]string{event.JobVar("START", string(event.Deployment), product, environment): string(note)})
}

// ending shows every deployment, and what the Environments page shows as
// active: in each environment, the deployments whose newest status is
// success.
func ending(w io.Writer, deps []fake.Deployment) {
	fmt.Fprintf(w, "\nGitHub deployments at the end (a success of ours marks only its own product's previous version inactive):\n")
	active := map[string][]string{}
	for _, d := range deps {
		var states []string
		for _, s := range d.Statuses {
			states = append(states, s.State)
		}
		whose := fmt.Sprint(d.Payload["product"], " ", d.Payload["version"])
		if d.ByRunner {
			whose = "GitHub's deployment for the job"
		}
		line := fmt.Sprintf("  #%d %s to %s at %.7s: %s", d.ID, whose, d.Environment, d.SHA, strings.Join(states, " → "))
		if last := d.Statuses[len(d.Statuses)-1]; last.State == "inactive" && last.Description != "" {
			line += " (" + last.Description + ")"
		}
		if states[len(states)-1] == "success" {
			active[d.Environment] = append(active[d.Environment], fmt.Sprintf("#%d %s", d.ID, whose))
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "\nActive on the Environments page (newest status success):\n")
	for _, env := range slices.Sorted(maps.Keys(active)) {
		fmt.Fprintf(w, "  %s: %s\n", env, strings.Join(active[env], ", "))
	}
}

// show prints what one step did and what the fakes received meanwhile.
func show(w io.Writer, what string, r runner.Result, vs *fake.Versioner, gh *fake.GitHub) {
	section(w, fmt.Sprintf("%s log (exit code %d, %s)", what, r.Code, r.Took.Round(time.Millisecond)), r.Stdout+r.Stderr)
	section(w, "Versioner received", requests(vs.Requests()))
	section(w, "GitHub received", requests(gh.Requests()))
	section(w, "outputs", outputs(r.Outputs))
	if len(r.Env) > 0 {
		section(w, "GITHUB_ENV (for the job's later steps)", outputs(r.Env))
	}
	if len(r.State) > 0 {
		section(w, "state handed to the post step (GITHUB_STATE)", outputs(r.State))
	}
	section(w, "job summary (markdown)", r.Summary)
}

func section(w io.Writer, title, body string) {
	fmt.Fprintf(w, "\n--- %s\n", title)
	body = strings.TrimRight(body, "\n")
	if body == "" {
		body = "(nothing)"
	}
	for _, line := range strings.Split(body, "\n") {
		fmt.Fprintf(w, "  │ %s\n", line)
	}
}

func requests(reqs []fake.Request) string {
	var b strings.Builder
	for _, r := range reqs {
		u := r.Path
		if r.RawQuery != "" {
			u += "?" + r.RawQuery
		}
		fmt.Fprintf(&b, "%s %s → %d\n", r.Method, u, r.Status)
		for _, h := range []string{"Authorization", "Idempotency-Key", "Accept"} {
			if v := r.Header.Get(h); v != "" {
				if h == "Authorization" {
					kind, _, _ := strings.Cut(v, " ")
					v = kind + " ***"
				}
				fmt.Fprintf(&b, "  %s: %s\n", h, v)
			}
		}
		if len(r.Body) > 0 {
			var out bytes.Buffer
			if json.Indent(&out, r.Body, "  ", "  ") == nil {
				fmt.Fprintf(&b, "  %s\n", out.String())
			}
		}
	}
	return b.String()
}

func outputs(m map[string]string) string {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "%s=%s\n", k, m[k])
	}
	return b.String()
}

func with(m map[string]string) string {
	var parts []string
	for k, v := range m {
		if k == "api-key" {
			v = "${{ secrets.VERSIONER_API_KEY }}"
		}
		if strings.Contains(v, "\n") {
			v = "|\n      " + strings.ReplaceAll(strings.TrimRight(v, "\n"), "\n", "\n      ") + "\n   "
		}
		parts = append(parts, k+": "+v)
	}
	sort.Strings(parts)
	return "{ " + strings.Join(parts, ", ") + " }"
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
