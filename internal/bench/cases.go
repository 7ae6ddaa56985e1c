package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/runner"
)

const (
	apiKey = "sk_acme_1_bench0nly"
	token  = "ghs_bench0nly"
)

// The requests a step makes, named for the table, in the order they are
// sent; requests sent at once are compared as a set (see same).
var (
	// A completed first event: GitHub lists the commit's deployments in
	// the environment and the environment's newest (for the product's
	// previous version), reads that version's newest status, creates the
	// deployment, lists the commit's again (twins), posts the success and
	// retires the previous version.
	wantFirst = requests{versioner: []string{"event"},
		github: []string{"list", "envlist", "read", "create", "list", "status", "inactive"}}
	// A started first step, the full event: GitHub lists the
	// commit's deployments in the environment and, for the finishing step
	// it hands over to, the environment's newest; creates the deployment,
	// lists the commit's again (twins) and posts in_progress.
	wantStarted = requests{versioner: []string{"event"}, github: []string{"list", "envlist", "create", "list", "status"}}
	// A completed step after a started one of the same job, which handed
	// over (GITHUB_ENV) its deployment and the previous version's: the
	// environment's list shows the deployment, so the commit's is not
	// listed; the previous version's newest status is read at once.
	wantFinish = requests{versioner: []string{"event"}, github: []string{"envlist", "read", "status", "inactive"}}
)

// requests are those one step made to each fake.
type requests struct{ versioner, github []string }

// sample is one timed run.
type sample struct {
	took   time.Duration
	cpu    time.Duration // the child's user and system time
	inFake time.Duration // time the fakes' handlers took, summed
	requests
	before requests // the started step's, when one ran first
	// refetched lists the GETs a step sent more than once (both steps
	// of a finish case), beyond the second look at the commit's list
	// that a step which created a deployment takes (see wantFirst).
	refetched []string
}

// memoryRounds is how many rounds also run each case through its
// spawner, for its peak RSS (see memory.go).
const memoryRounds = 10

// benchCase is one way of running a step, with its own pair of fakes so
// that no case sees another's deployments, rules or latency.
type benchCase struct {
	name     string
	binary   string
	spawner  string            // starts binary and reports its peak RSS
	floor    bool              // a floor: no fakes to count
	get      bool              // the HTTPS floor: one GET to the Versioner fake
	tls      bool              // the fakes answer over HTTPS, trusted through SSL_CERT_FILE
	with     map[string]string // inputs over the common ones
	finish   bool              // a started step of the same run goes first, unmeasured
	code     int               // the exit code wanted
	latency  time.Duration     // on every answer of both fakes
	rules    int               // rules_evaluated in Versioner's answers
	products int               // the products input holds this many

	meta    *runner.Metadata
	event   string // GITHUB_EVENT_PATH
	caFile  string // SSL_CERT_FILE for tls
	dir     string
	vs      *fake.Versioner
	gh      *fake.GitHub // swapped for a fresh one before its rate limit runs out (see fresh)
	ghUsed  int          // the requests gh has answered
	ghNow   atomic.Pointer[fake.GitHub]
	timer   *handlerTimer
	servers []*httptest.Server
	seq     int // the runs so far: each run is a run of its own, on a commit of its own

	samples []sample
	rss     []int64 // the child's peak RSS of each memory run
	ownRSS  int64   // the spawner's own peak: readings at or below it are bounds
}

// The cases, in the order of the table.
const (
	bareCase = iota
	floorCase
	floorTLSCase
	startupCase
	firstCase
	startedCase
	tlsCase
	finishCase
	metadataCase
	rulesCase
	latencyFirstCase
	latencyFinishCase
	products1Case
	products10Case
	products30Case
	numCases
)

// productCases are the products cases, by size.
var productCases = map[int]int{1: products1Case, 10: products10Case, 30: products30Case}

// productList is a products input of n products.
func productList(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "service-%02d@1.4.0\n", i+1)
	}
	return b.String()
}

// binaries are what the cases run.
type binaries struct{ action, bare, libs, https string }

func newCases(cfg config, dir string, bins binaries, caFile string) ([]*benchCase, error) {
	meta, err := runner.ReadMetadata(cfg.action)
	if err != nil {
		return nil, err
	}
	lat := cfg.latency
	cases := make([]*benchCase, numCases)
	cases[bareCase] = &benchCase{name: "floor, bare: func main() {}", binary: bins.bare, floor: true}
	cases[floorCase] = &benchCase{name: "floor, libraries: links what the action links", binary: bins.libs, floor: true}
	cases[floorTLSCase] = &benchCase{name: "floor, libraries + one HTTPS GET", binary: bins.https, floor: true, get: true, tls: true}
	cases[startupCase] = &benchCase{name: "start-up: invalid input, sends nothing", with: map[string]string{"version": ""}, code: 1}
	cases[firstCase] = &benchCase{name: "first event (completed), both sinks"}
	cases[startedCase] = &benchCase{name: "first step (started), both sinks", with: map[string]string{"status": "started"}}
	cases[tlsCase] = &benchCase{name: "first event over HTTPS", tls: true}
	cases[finishCase] = &benchCase{name: "finishing step (completed after started)", finish: true}
	cases[metadataCase] = &benchCase{name: "first event, 100 KB metadata", with: map[string]string{"metadata": fake.Metadata(100 << 10)}}
	cases[rulesCase] = &benchCase{name: "first event, 500 rules_evaluated", rules: 500}
	cases[latencyFirstCase] = &benchCase{name: fmt.Sprintf("first event, %s per answer", lat), latency: lat}
	cases[latencyFinishCase] = &benchCase{name: fmt.Sprintf("finishing step, %s per answer", lat), latency: lat, finish: true}
	for n, i := range productCases {
		cases[i] = &benchCase{name: fmt.Sprintf("%d product(s): started, then completed", n), finish: true, products: n,
			with: map[string]string{"product": "", "products": productList(n)}}
	}
	spawners := map[string]string{}
	for i, c := range cases {
		if c.binary == "" {
			c.binary = bins.action
		}
		if spawners[c.binary] == "" {
			if spawners[c.binary], err = spawner(dir, fmt.Sprintf("spawner%d", len(spawners)), c.binary); err != nil {
				return nil, err
			}
		}
		c.spawner, c.meta, c.event, c.caFile = spawners[c.binary], meta, cfg.event, caFile
		c.dir = filepath.Join(dir, fmt.Sprintf("case%d", i))
		if err := os.Mkdir(c.dir, 0o755); err != nil {
			return nil, err
		}
		if !c.floor || c.get {
			c.setUp()
		}
	}
	return cases, nil
}

// setUp starts the case's fakes.
func (c *benchCase) setUp() {
	{
		c.vs = fake.NewVersioner(apiKey)
		c.vs.PassingRules(c.rules)
		c.vs.SetLatency(c.latency)
		c.newGitHub()
		c.timer = &handlerTimer{}
		gh := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.ghNow.Load().ServeHTTP(w, r) })
		c.servers = []*httptest.Server{serve(c.timer.wrap(c.vs), c.tls), serve(c.timer.wrap(gh), c.tls)}
	}
}

// serve starts a fake on loopback, over HTTPS with HTTP/2 as GitHub
// serves its API when tls is set. Every TLS server of httptest has the
// same certificate, which writeCA writes for SSL_CERT_FILE.
func serve(h http.Handler, tls bool) *httptest.Server {
	if !tls {
		return httptest.NewServer(h)
	}
	s := httptest.NewUnstartedServer(h)
	s.EnableHTTP2 = true
	s.StartTLS()
	return s
}

func (c *benchCase) newGitHub() {
	c.gh, c.ghUsed = fake.NewGitHub(token, "acme", "shop"), 0
	c.gh.SetLatency(c.latency)
	c.ghNow.Store(c.gh)
}

// ghBudget is how many requests a case's fake GitHub answers before the
// case moves to a fresh one: the fake counts its rate limit (5,000 an
// hour) as GitHub does, and go-github stops sending once it is spent.
const ghBudget = 4000

// fresh gives the case a fresh fake GitHub when the next run could
// exhaust the rate limit of the one it has, and deploys once on it,
// unmeasured, so that the measured runs find a previous version to retire
// as they did before.
func (c *benchCase) fresh(ctx context.Context) error {
	if c.gh == nil || c.ghUsed < ghBudget {
		return nil
	}
	c.newGitHub()
	return c.once(ctx, false, false)
}

func (c *benchCase) close() {
	for _, s := range c.servers {
		s.Close()
	}
}

// measure runs every case runs times, after one warm-up run each (the
// first run of a binary pays for reading it from disk). Each round runs
// every case once, starting one case later than the round before, so that
// no case always follows the slow one; the first memoryRounds rounds run
// each case through its spawner as well.
func measure(ctx context.Context, cases []*benchCase, runs int) error {
	fmt.Fprintf(os.Stderr, "bench: %d rounds of %d cases...\n", runs+1, len(cases))
	for round := -1; round < runs; round++ {
		for k := range cases {
			c := cases[(k+round+1)%len(cases)]
			if err := c.once(ctx, round >= 0, false); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			if round >= 0 && round < memoryRounds {
				if err := c.once(ctx, true, true); err != nil {
					return fmt.Errorf("%s, through the spawner: %w", c.name, err)
				}
			}
		}
	}
	return nil
}

// once runs one step of the case, as the runner would, in a run and on a
// commit no earlier run had, and keeps what it measured when keep is set:
// the wall and CPU time and the requests, or through the spawner the peak
// RSS.
func (c *benchCase) once(ctx context.Context, keep, memory bool) error {
	if err := c.fresh(ctx); err != nil {
		return err
	}
	c.seq++
	var env, with map[string]string
	if c.servers != nil {
		vURL, ghAPI := c.servers[0].URL, c.servers[1].URL+c.gh.PathPrefix
		env = runner.Context(ghAPI, fmt.Sprintf("%040x", c.seq))
		env["GITHUB_RUN_ID"] = fmt.Sprint(1000 + c.seq)
		env["GITHUB_EVENT_PATH"] = c.event
		with = map[string]string{
			"api-key": apiKey, "api-url": vURL, "product": "shop-api", "version": "1.4.0",
			"environment": "production", "status": "completed",
		}
		for k, v := range c.with {
			with[k] = v
		}
		if c.get {
			env = map[string]string{"FLOOR_URL": vURL + "/"}
		}
		if c.tls {
			env["SSL_CERT_FILE"] = c.caFile
		}
	}
	var before requests
	var refetched []string
	if c.finish {
		started := map[string]string{}
		for k, v := range with {
			started[k] = v
		}
		started["status"] = "started"
		env["GITHUB_ACTION"] = "__start"
		c.reset()
		r, err := c.step(ctx, c.binary, started, env)
		if err != nil {
			return fmt.Errorf("the started step before it: %w", err)
		}
		// What it wrote to GITHUB_ENV reaches the finishing step, as the
		// runner carries it to the job's later steps.
		for k, v := range r.env {
			env[k] = v
		}
		before = c.requests()
		refetched = refetches(c.gh.Requests())
		env["GITHUB_ACTION"] = "__finish"
	}
	c.reset()
	bin := c.binary
	if memory {
		bin = c.spawner
	}
	r, err := c.step(ctx, bin, with, env)
	switch {
	case err != nil:
		return err
	case !keep:
	case memory:
		child, own, err := peakRSS(r.stderr)
		if err != nil {
			return err
		}
		c.rss, c.ownRSS = append(c.rss, child), max(c.ownRSS, own)
	default:
		s := sample{took: r.took, cpu: r.cpu, before: before}
		if c.timer != nil {
			s.inFake = c.timer.total()
			s.requests = c.requests()
			s.refetched = append(refetched, refetches(c.gh.Requests())...)
		}
		c.samples = append(c.samples, s)
	}
	return nil
}

func (c *benchCase) reset() {
	if c.timer == nil {
		return
	}
	c.ghUsed += len(c.gh.Requests())
	c.vs.Reset()
	c.gh.Reset()
	c.timer.reset()
}

func (c *benchCase) requests() requests {
	return requests{versioner: names(c.vs.Requests()), github: names(c.gh.Requests())}
}

// result is what one run of a binary left.
type result struct {
	took, cpu      time.Duration
	stdout, stderr string
	outputs        map[string]string
	env            map[string]string // what the step wrote to GITHUB_ENV
}

// step runs the binary once, as internal/runner would (the same
// environment and file-command files), timing it and reading the child's
// CPU time from its rusage, and checks that it did the work: the exit
// code wanted and, for a recorded event, both ids in its outputs.
func (c *benchCase) step(ctx context.Context, bin string, with, env map[string]string) (result, error) {
	var r result
	var environ []string
	var files map[string]string
	if !c.floor {
		var err error
		if environ, files, err = (runner.Step{Metadata: c.meta, With: with, Env: env, Token: token, Dir: c.dir}).Environ(); err != nil {
			return r, err
		}
	} else {
		// A floor gets its variables alone, as a step gets the runner's.
		for k, v := range env {
			environ = append(environ, k+"="+v)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = environ
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r.took = time.Since(start)
	r.stdout, r.stderr = stdout.String(), stderr.String()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		return r, err
	}
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if code != c.code {
		return r, fmt.Errorf("exit code %d, want %d\n%s%s", code, c.code, r.stdout, r.stderr)
	}
	if c.floor {
		return r, nil
	}
	b, err := os.ReadFile(files["GITHUB_OUTPUT"])
	if err != nil {
		return r, err
	}
	if r.outputs, err = runner.ParseOutputs(bytes.NewReader(b)); err != nil {
		return r, err
	}
	if b, err = os.ReadFile(files["GITHUB_ENV"]); err != nil {
		return r, err
	}
	if r.env, err = runner.ParseEnv(bytes.NewReader(b)); err != nil {
		return r, err
	}
	switch {
	case c.products > 0:
		if n := strings.Count(r.outputs["results"], `"ok":true`); n != c.products {
			return r, fmt.Errorf("results hold %d products recorded, want %d: %s\n%s", n, c.products, r.outputs["results"], r.stdout)
		}
	case c.code == 0 && (r.outputs["deployment-id"] == "" || r.outputs["github-deployment-id"] == ""):
		return r, fmt.Errorf("outputs lack an id: %v\n%s", r.outputs, r.stdout)
	}
	return r, nil
}

// names names each request a fake received: the Versioner event, and
// GitHub's list (a commit's deployments in an environment), envlist (an
// environment's, of every commit), create, read (a deployment's
// statuses), status and inactive (a status posted). An answer other than
// 2xx is shown.
func names(reqs []fake.Request) []string {
	var out []string
	for _, r := range reqs {
		n := r.Method + " " + filepath.Base(r.Path)
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "-events/"):
			n = "event"
		case r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/deployments") && strings.Contains(r.RawQuery, "sha="):
			n = "list"
		case r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/deployments"):
			n = "envlist"
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/deployments"):
			n = "create"
		case r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/statuses"):
			n = "read"
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/statuses") && bytes.Contains(r.Body, []byte(`"state":"inactive"`)):
			n = "inactive"
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/statuses"):
			n = "status"
		}
		if r.Status/100 != 2 {
			n += fmt.Sprintf(" (%d)", r.Status)
		}
		out = append(out, n)
	}
	return out
}

// refetches lists the GETs of one step that were sent more than once. A
// step that created a deployment lists the commit's deployments again
// after its creates (twins, see internal/deployments/converge.go): once
// more, and only then, is not a refetch.
func refetches(reqs []fake.Request) []string {
	seen := map[string]int{}
	created := false
	for _, r := range reqs {
		if r.Method == http.MethodGet {
			seen[r.Path+"?"+r.RawQuery]++
		}
		created = created || r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/deployments")
	}
	var out []string
	for u, n := range seen {
		if created && n == 2 && strings.HasSuffix(strings.SplitN(u, "?", 2)[0], "/deployments") && strings.Contains(u, "sha=") {
			continue
		}
		if n > 1 {
			out = append(out, fmt.Sprintf("%s ×%d", u, n))
		}
	}
	slices.Sort(out)
	return out
}

// handlerTimer adds up the time the fakes' handlers take: they run in
// this process, on the same two cores as the step.
type handlerTimer struct{ ns atomic.Int64 }

func (t *handlerTimer) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		t.ns.Add(int64(time.Since(start)))
	})
}

func (t *handlerTimer) reset()               { t.ns.Store(0) }
func (t *handlerTimer) total() time.Duration { return time.Duration(t.ns.Load()) }

// same reports whether every sample made the requests wanted, and no
// other: the same multiset, since requests sent at once arrive in any
// order.
func (c *benchCase) same(want requests) bool {
	for _, s := range c.samples {
		if !sameSet(s.versioner, want.versioner) || !sameSet(s.github, want.github) {
			return false
		}
	}
	return len(c.samples) > 0
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
