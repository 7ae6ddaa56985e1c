package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/runner"
	"github.com/deploytrack/deploytrack/internal/step"
)

// The growth budgets are about the action's own work: what 100 KB of
// metadata, or 500 rules in Versioner's answer, add to one event's CPU
// time. Measured as a whole process they drown in the start-up's noise,
// and the fakes' work (which decode, validate and echo the 100 KB) would
// count too. So they are measured in process, per operation, as `go test
// -bench` does: step.Run, as main calls it, against fakes served by
// another process (this program started again with fakesEnv set), and the
// CPU time of this process alone (getrusage), which is then the action's.

// fakesEnv, set, makes this program (or its test binary) serve the fakes
// and print their address instead of benchmarking.
const fakesEnv = "DEPLOYTRACK_BENCH_FAKES"

// The growth cases.
var growthCases = []struct {
	name     string
	metadata string
	rules    bool
}{
	{"empty", "", false},
	{"metadata=100KB", fake.Metadata(100 << 10), false},
	{"rules=500", "", true},
}

// serveFakes serves fake GitHubs under /gh/K/api/v3, a fresh one for
// each K (the fake counts GitHub's rate limit of 5,000 requests), and two
// fake Versioners: /plain/, and /rules/ whose answers hold 500 passing
// rules_evaluated. It prints "fakes ADDRESS" once listening, and serves
// until stdin closes.
func serveFakes() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	plain, rules := fake.NewVersioner(apiKey), fake.NewVersioner(apiKey)
	plain.PathPrefix, rules.PathPrefix = "/plain", "/rules"
	rules.PassingRules(500)
	var mu sync.Mutex
	ghs := map[string]*fake.GitHub{}
	mux := http.NewServeMux()
	mux.Handle("/plain/", plain)
	mux.Handle("/rules/", rules)
	mux.HandleFunc("/gh/{k}/", func(w http.ResponseWriter, r *http.Request) {
		k := r.PathValue("k")
		mu.Lock()
		gh := ghs[k]
		if gh == nil {
			gh = fake.NewGitHub(token, "acme", "shop")
			gh.PathPrefix = "/gh/" + k + "/api/v3"
			ghs[k] = gh
		}
		mu.Unlock()
		gh.ServeHTTP(w, r)
	})
	fmt.Printf("fakes %s\n", ln.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	// Each event's client keeps its connections open for the next request,
	// as a step does until it exits; in one process they would pile up.
	// The server closes them once idle, after the event is done.
	srv := &http.Server{Handler: mux, IdleTimeout: 100 * time.Millisecond}
	return srv.Serve(ln)
}

// startFakes starts this program again as the fakes' server, and returns
// its address and a function that stops it.
func startFakes() (string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), fakesEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { stdin.Close(); cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "fakes ")
	if err != nil || !ok {
		stop()
		return "", nil, fmt.Errorf("the fakes' server said %q: %v", line, err)
	}
	return addr, stop, nil
}

// growthRun returns the benchmark of one growth case: one completed event
// per operation, the first of its run in an environment of its own (list,
// environment's list, create, second list, status), with the action's
// real retry policy, reporting the process's CPU time per operation.
func growthRun(addr string, metadata string, rules bool, action, eventFile string) func(b *testing.B) {
	return func(b *testing.B) {
		meta, err := runner.ReadMetadata(action)
		if err != nil {
			b.Fatal(err)
		}
		vURL := "http://" + addr + "/plain"
		if rules {
			vURL = "http://" + addr + "/rules"
		}
		ctx := runner.Context("", "")
		ctx["GITHUB_EVENT_PATH"] = eventFile
		dir, err := os.MkdirTemp("", "deploytrack-growth")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		env, err := runner.Step{Metadata: meta, Token: token, Dir: dir, Env: ctx,
			With: map[string]string{"api-key": apiKey, "api-url": vURL, "product": "shop-api", "version": "1.4.0", "status": "completed", "metadata": metadata},
		}.EnvMap()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		var cpu time.Duration
		b.ResetTimer()
		for i := range b.N {
			seq.n++
			env["GITHUB_SHA"] = fmt.Sprintf("%040x", seq.n)
			env["GITHUB_RUN_ID"] = fmt.Sprint(seq.n)
			env["INPUT_ENVIRONMENT"] = fmt.Sprintf("growth-%d", seq.n)
			// A fresh fake GitHub every 500 events, well within its rate limit.
			env["GITHUB_API_URL"] = fmt.Sprintf("http://%s/gh/%d/api/v3", addr, seq.n/500)
			before := cpuTime()
			var out bytes.Buffer
			if code := step.Run(context.Background(), nil, func(k string) string { return env[k] }, &out, time.Now); code != 0 {
				growthErr = fmt.Errorf("run %d: exit code %d\n%s", i, code, out.String())
				b.Fatal(growthErr)
			}
			cpu += cpuTime() - before
		}
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// growthErr is why a growth benchmark failed: testing.Benchmark keeps its
// log to itself.
var growthErr error

// seq numbers the operations of every case, so that each deploys a commit
// of its own in an environment of its own.
var seq struct{ n int }

// cpuTime is this process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// growthResult is each case's figures.
type growthResult struct {
	names            []string
	cpu, wall        []time.Duration // per operation
	added            []time.Duration // CPU per operation over the empty case's
	allocs, bytesPer []int64
}

// growthRounds is how many times each case is benchmarked, interleaved;
// the figures are the medians. What a case adds is the median of its
// rounds' differences with the empty case of the same round, which the
// machine's load, shifting from round to round, leaves alone better than
// a difference of medians.
const growthRounds = 9

func measureGrowth(cfg config) (*growthResult, error) {
	addr, stop, err := startFakes()
	if err != nil {
		return nil, err
	}
	defer stop()
	testing.Init()
	fmt.Fprintf(os.Stderr, "bench: growth, in process, %d rounds of %d cases...\n", growthRounds, len(growthCases))
	g := &growthResult{}
	cpu := make([][]time.Duration, len(growthCases))
	wall := make([][]time.Duration, len(growthCases))
	for round := range growthRounds {
		for k := range growthCases {
			i := (k + round) % len(growthCases)
			gc := growthCases[i]
			r := testing.Benchmark(growthRun(addr, gc.metadata, gc.rules, cfg.action, cfg.event))
			if r.N == 0 {
				return nil, fmt.Errorf("%s: the benchmark failed: %v", gc.name, growthErr)
			}
			cpu[i] = append(cpu[i], time.Duration(r.Extra["cpu-ns/op"]))
			wall[i] = append(wall[i], time.Duration(r.NsPerOp()))
			if round == 0 {
				g.allocs = append(g.allocs, 0)
				g.bytesPer = append(g.bytesPer, 0)
			}
			g.allocs[i], g.bytesPer[i] = r.AllocsPerOp(), r.AllocedBytesPerOp()
		}
	}
	for i, gc := range growthCases {
		g.names = append(g.names, gc.name)
		g.cpu = append(g.cpu, median(cpu[i]))
		g.wall = append(g.wall, median(wall[i]))
		d := make([]time.Duration, len(cpu[i]))
		for r := range d {
			d[r] = cpu[i][r] - cpu[0][r]
		}
		g.added = append(g.added, median(d))
	}
	return g, nil
}

func (g *growthResult) print(w io.Writer) {
	fmt.Fprintf(w, "in process (step.Run per operation, fakes in another process; the medians of %d interleaved benchmarks):\n", growthRounds)
	for i, n := range g.names {
		fmt.Fprintf(w, "  %-15s CPU %8s/op  wall %8s/op  %9d B/op  %6d allocs/op\n", n, ms(g.cpu[i]), ms(g.wall[i]), g.bytesPer[i], g.allocs[i])
	}
	fmt.Fprintln(w)
}

func (g *growthResult) verdicts() []verdict {
	var vs []verdict
	for i, what := range []string{"", "100 KB of metadata", "500 rules_evaluated in the answer"} {
		if i == 0 {
			continue
		}
		d := g.added[i]
		vs = append(vs, verdict{d <= maxGrowth, fmt.Sprintf("growth: %s adds %s of the action's CPU per event ≤ %s (the median of %d rounds' differences; medians %s against %s, in process)",
			what, signed(d), ms(maxGrowth), growthRounds, ms(g.cpu[i]), ms(g.cpu[0]))})
	}
	return vs
}
