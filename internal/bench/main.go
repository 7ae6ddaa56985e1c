// Command bench measures what one step of the action costs as a whole
// process: the built binary, run the way the GitHub runner runs a container
// action, against the project's fakes of Versioner and GitHub on loopback,
// beside a do-nothing static Go binary that it builds itself (the floor).
// Runs of every case are interleaved, so that the noise of a shared machine
// falls on all of them alike. It prints a table and one PASS or FAIL line
// per budget, and exits 1 when a budget fails. `make bench` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// floorSource is the floor: a Go program that does nothing, built like
// the action's release binary. It costs what starting any Go program
// costs on this machine, measured in the same run.
const floorSource = "package main\n\nfunc main() {}\n"

func main() {
	bin := flag.String("bin", "bin/deploytrack", "the deploytrack binary to measure, built by `make build`")
	action := flag.String("action", "action.yml", "the action metadata")
	event := flag.String("event", "testdata/events/push.json", "the event payload the steps get (GITHUB_EVENT_PATH)")
	runs := flag.Int("n", 30, "timed runs of each case (at least 30)")
	latency := flag.Duration("latency", 200*time.Millisecond, "the latency put on every fake answer in the concurrency case")
	flag.Parse()
	if *runs < 30 {
		fmt.Fprintln(os.Stderr, "bench: -n must be at least 30: a median and a p95 of fewer runs say little")
		os.Exit(2)
	}
	ok, err := bench(context.Background(), os.Stdout, config{bin: *bin, action: *action, event: *event, runs: *runs, latency: *latency})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

type config struct {
	bin, action, event string
	runs               int
	latency            time.Duration
}

// bench measures every case and prints the table and the budgets. It
// reports whether every budget held.
func bench(ctx context.Context, w io.Writer, cfg config) (bool, error) {
	m, err := newMachine(cfg.bin)
	if err != nil {
		return false, err
	}
	if cfg.event, err = filepath.Abs(cfg.event); err != nil {
		return false, err
	}
	dir, err := os.MkdirTemp("", "deploytrack-bench")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	floor, err := goBuild(dir, "floor", floorSource, "")
	if err != nil {
		return false, err
	}
	cases, err := newCases(cfg, dir, floor)
	if err != nil {
		return false, err
	}
	defer func() {
		for _, c := range cases {
			c.close()
		}
	}()
	start, load := time.Now(), loadAverage()
	if err := measure(ctx, cases, cfg.runs); err != nil {
		return false, err
	}
	m.took, m.load = time.Since(start), load+" → "+loadAverage()
	return report(w, m, cases, cfg.latency), nil
}
