package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
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

// The requests a step may make, named for the table.
var (
	wantFirst  = requests{versioner: []string{"event"}, github: []string{"list", "create", "list", "status"}}
	wantFinish = requests{versioner: []string{"event"}, github: []string{"list", "status"}}
)

// requests are those one step made to each fake, in order.
type requests struct{ versioner, github []string }

// sample is one timed run.
type sample struct {
	took   time.Duration
	inFake time.Duration // time the fakes' handlers took, summed
	requests
}

// memoryRounds is how many rounds also run each case through its
// spawner, for its peak RSS (see memory.go).
const memoryRounds = 10

// benchCase is one way of running a step, with its own pair of fakes so
// that no case sees another's deployments, rules or latency.
type benchCase struct {
	name    string
	binary  string
	spawner string            // starts binary and reports its peak RSS
	floor   bool              // the do-nothing binary: no fakes to count
	with    map[string]string // inputs over the common ones
	finish  bool              // a started step of the same run goes first, unmeasured
	code    int               // the exit code wanted

	meta    *runner.Metadata
	event   string // GITHUB_EVENT_PATH
	dir     string
	vs      *fake.Versioner
	gh      *fake.GitHub
	timer   *handlerTimer
	servers []*httptest.Server
	seq     int // the runs so far: each run deploys a commit of its own

	samples []sample
	rss     []int64 // the child's peak RSS of each memory run
	ownRSS  int64   // the spawner's own peak: readings at or below it are bounds
}

// The cases, in the order of the table.
const (
	floorCase = iota
	startupCase
	firstCase
	finishCase
	metadataCase
	rulesCase
	latencyCase
	oneProductCase
	productsCase
)

// products is the size of the products case, and productLatency the
// latency on every answer in it and in the one-product case beside it.
const (
	products       = 20
	productLatency = 20 * time.Millisecond
)

// productList is the products input of the products case.
func productList() string {
	var b strings.Builder
	for i := range products {
		fmt.Fprintf(&b, "service-%02d@1.4.0\n", i+1)
	}
	return b.String()
}

func newCases(cfg config, dir, floor string) ([]*benchCase, error) {
	meta, err := runner.ReadMetadata(cfg.action)
	if err != nil {
		return nil, err
	}
	cases := []*benchCase{
		floorCase:      {name: "floor: static Go binary, exits 0", binary: floor, floor: true},
		startupCase:    {name: "start-up: invalid input, sends nothing", with: map[string]string{"version": ""}, code: 1},
		firstCase:      {name: "completed, first event of the run"},
		finishCase:     {name: "completed after started (finish)", finish: true},
		metadataCase:   {name: "first event, 100 KB metadata", with: map[string]string{"metadata": fake.Metadata(100 << 10)}},
		rulesCase:      {name: "first event, 500 rules_evaluated"},
		latencyCase:    {name: fmt.Sprintf("first event, %s per answer", cfg.latency)},
		oneProductCase: {name: fmt.Sprintf("first event, %s per answer", productLatency)},
		productsCase: {name: fmt.Sprintf("%d products in one step, %s per answer", products, productLatency),
			with: map[string]string{"product": "", "products": productList()}},
	}
	spawners := map[string]string{}
	for i, c := range cases {
		if c.binary == "" {
			c.binary = cfg.bin
		}
		if spawners[c.binary] == "" {
			if spawners[c.binary], err = spawner(dir, fmt.Sprintf("spawner%d", len(spawners)), c.binary); err != nil {
				return nil, err
			}
		}
		c.spawner, c.meta, c.event = spawners[c.binary], meta, cfg.event
		c.dir = filepath.Join(dir, fmt.Sprintf("case%d", i))
		if err := os.Mkdir(c.dir, 0o755); err != nil {
			return nil, err
		}
		c.vs, c.gh = fake.NewVersioner(apiKey), fake.NewGitHub(token, "acme", "shop")
		switch i {
		case rulesCase:
			c.vs.PassingRules(500)
		case latencyCase:
			c.vs.SetLatency(cfg.latency)
			c.gh.SetLatency(cfg.latency)
		case oneProductCase, productsCase:
			c.vs.SetLatency(productLatency)
			c.gh.SetLatency(productLatency)
		}
		c.timer = &handlerTimer{}
		c.servers = []*httptest.Server{httptest.NewServer(c.timer.wrap(c.vs)), httptest.NewServer(c.timer.wrap(c.gh))}
	}
	return cases, nil
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

// once runs one step of the case, as the runner would, on a commit no
// earlier run deployed, and keeps what it measured when keep is set:
// the wall time and the requests, or through the spawner the peak RSS.
func (c *benchCase) once(ctx context.Context, keep, memory bool) error {
	c.seq++
	vURL, ghAPI := c.servers[0].URL, c.servers[1].URL+c.gh.PathPrefix
	env := runner.Context(ghAPI, fmt.Sprintf("%040x", c.seq))
	env["GITHUB_EVENT_PATH"] = c.event
	with := map[string]string{
		"api-key": apiKey, "api-url": vURL, "product": "shop-api", "version": "1.4.0",
		"environment": "production", "status": "completed",
	}
	for k, v := range c.with {
		with[k] = v
	}
	if c.finish {
		started := map[string]string{}
		for k, v := range with {
			started[k] = v
		}
		started["status"] = "started"
		env["GITHUB_ACTION"] = "__start"
		if _, err := c.step(ctx, c.binary, started, env); err != nil {
			return fmt.Errorf("the started step before it: %w", err)
		}
		env["GITHUB_ACTION"] = "__finish"
	}
	c.vs.Reset()
	c.gh.Reset()
	c.timer.reset()
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
		child, own, err := peakRSS(r.Stderr)
		if err != nil {
			return err
		}
		c.rss, c.ownRSS = append(c.rss, child), max(c.ownRSS, own)
	default:
		s := sample{took: r.Took}
		if !c.floor {
			s.inFake = c.timer.total()
			s.versioner, s.github = names(c.vs.Requests()), names(c.gh.Requests())
		}
		c.samples = append(c.samples, s)
	}
	return nil
}

// step runs the binary once and checks that it did the work: the exit
// code wanted and, for a recorded event, both ids in its outputs.
func (c *benchCase) step(ctx context.Context, bin string, with, env map[string]string) (runner.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	r, err := runner.Run(ctx, runner.Step{Binary: bin, Metadata: c.meta, With: with, Env: env, Token: token, Dir: c.dir})
	switch {
	case err != nil:
		return r, err
	case r.Code != c.code:
		return r, fmt.Errorf("exit code %d, want %d\n%s%s", r.Code, c.code, r.Stdout, r.Stderr)
	case c.with["products"] != "":
		if n := strings.Count(r.Outputs["results"], `"ok":true`); n != products {
			return r, fmt.Errorf("results hold %d products recorded, want %d: %s\n%s", n, products, r.Outputs["results"], r.Stdout)
		}
	case !c.floor && c.code == 0 && (r.Outputs["deployment-id"] == "" || r.Outputs["github-deployment-id"] == ""):
		return r, fmt.Errorf("outputs lack an id: %v\n%s", r.Outputs, r.Stdout)
	}
	return r, nil
}

// names names each request a fake received: the Versioner event, and
// GitHub's list, create and status. An answer other than 2xx is shown.
func names(reqs []fake.Request) []string {
	var out []string
	for _, r := range reqs {
		n := r.Method + " " + filepath.Base(r.Path)
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "-events/"):
			n = "event"
		case r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/deployments"):
			n = "list"
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/deployments"):
			n = "create"
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

// same reports whether every sample made exactly the requests wanted.
func (c *benchCase) same(want requests) bool {
	for _, s := range c.samples {
		if !slices.Equal(s.versioner, want.versioner) || !slices.Equal(s.github, want.github) {
			return false
		}
	}
	return len(c.samples) > 0
}
