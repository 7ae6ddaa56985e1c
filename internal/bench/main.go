// Command bench measures what one step of the action costs as a whole
// process: the built binary, run the way the GitHub runner runs a container
// action, against the project's fakes of Versioner and GitHub on loopback
// (over HTTP, and over HTTPS with a test CA), beside do-nothing Go binaries
// that it builds itself (the floors, see floors.go). Runs of every case are
// interleaved, so that the noise of a shared machine falls on all of them
// alike. It also measures, in process, what a large input or answer adds
// to the action's own CPU time (growth.go), and, when it can start a
// Docker engine of its own, what docker run of the image costs
// (container.go). It prints a table and one PASS or FAIL line per budget,
// and exits 1 when a budget fails. `make bench` runs it.
package main

import (
	"context"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/deploytrack/deploytrack/internal/runner"
)

func main() {
	if os.Getenv(fakesEnv) != "" {
		if err := serveFakes(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: fakes:", err)
			os.Exit(2)
		}
		return
	}
	bin := flag.String("bin", "bin/deploytrack", "the deploytrack binary to measure, built by `make build`")
	action := flag.String("action", "action.yml", "the action metadata")
	event := flag.String("event", "testdata/events/push.json", "the event payload the steps get (GITHUB_EVENT_PATH)")
	runs := flag.Int("n", 30, "timed runs of each case (at least 30)")
	latency := flag.Duration("latency", 100*time.Millisecond, "the latency put on every fake answer in the latency cases")
	docker := flag.String("docker", "auto", "the container figures: auto (when dockerd is installed and this runs as root), on, off")
	growth := flag.Bool("growth", true, "measure the growth budgets in process")
	profile := flag.Bool("profile", false, "only run the first-event case, n times (the environment holding up to n/10 earlier deployments), to profile the binary from outside (perf record; see BENCHMARKS.md)")
	against := flag.String("against", "", "compare: only run the first-event case with -bin and with this other build of the action, interleaved, n times each, and print both medians")
	flag.Parse()
	if *against != "" {
		if err := compare(context.Background(), os.Stdout, config{bin: *bin, action: *action, event: *event, runs: *runs}, *against); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		return
	}
	if *profile {
		if err := profileRuns(context.Background(), config{bin: *bin, action: *action, event: *event, runs: *runs}); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		return
	}
	if *runs < 30 {
		fmt.Fprintln(os.Stderr, "bench: -n must be at least 30: a median and a p95 of fewer runs say little")
		os.Exit(2)
	}
	ok, err := bench(context.Background(), os.Stdout, config{bin: *bin, action: *action, event: *event, runs: *runs,
		latency: *latency, docker: *docker, growth: *growth})
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
	docker             string
	growth             bool
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
	bins := binaries{action: cfg.bin}
	if bins.bare, bins.libs, bins.https, err = floors(dir); err != nil {
		return false, err
	}
	for _, b := range []*string{&bins.action, &bins.bare, &bins.libs, &bins.https} {
		if *b, err = written(dir, *b); err != nil {
			return false, err
		}
	}
	caFile, err := writeCA(dir)
	if err != nil {
		return false, err
	}
	cases, err := newCases(cfg, dir, bins, caFile)
	if err != nil {
		return false, err
	}
	defer func() {
		for _, c := range cases {
			c.close()
		}
	}()
	r := results{m: m, cases: cases, latency: cfg.latency}
	start, load := time.Now(), loadAverage()
	if err := measure(ctx, cases, cfg.runs); err != nil {
		return false, err
	}
	m.took, m.load = time.Since(start), load+" → "+loadAverage()
	if cfg.growth {
		if r.growth, err = measureGrowth(cfg); err != nil {
			return false, fmt.Errorf("growth: %w", err)
		}
	}
	if r.container, err = measureContainers(ctx, cfg, dir, bins); err != nil {
		return false, fmt.Errorf("containers: %w", err)
	}
	return report(w, r), nil
}

// written copies the binary at path into dir/bin, through write(2), and
// returns the copy's path (its name kept, which profiles show). Every
// binary is measured from such a copy, as a runner runs one: from an image
// layer the engine unpacked, or a download, both written. The Go linker
// writes its output through a memory mapping instead, which leaves the
// file's pages cached one by one, and a process that maps them then takes
// more page faults: a first event measured 0.7 to 1.0 ms more CPU (of
// about 5.5) from the linker's file than from a copy of it, side by side,
// and the floors alike (BENCHMARKS.md).
func written(dir, path string) (string, error) {
	src, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer src.Close()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return "", err
	}
	copyPath := filepath.Join(dir, "bin", filepath.Base(path))
	dst, err := os.OpenFile(copyPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 1<<20)
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				dst.Close()
				return "", err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			dst.Close()
			return "", rerr
		}
	}
	return copyPath, dst.Close()
}

// workspace makes a temporary directory for one use of the benchmark
// (remove it when done), makes cfg.event absolute and reads action.yml.
func workspace(cfg *config, use string) (string, *runner.Metadata, error) {
	var err error
	if cfg.event, err = filepath.Abs(cfg.event); err != nil {
		return "", nil, err
	}
	meta, err := runner.ReadMetadata(cfg.action)
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "deploytrack-"+use)
	return dir, meta, err
}

// profileRuns runs the first-event case cfg.runs times and nothing else,
// so that a profiler started around this process (perf record -g) sees
// the binary's whole life, start-up included, many times over.
func profileRuns(ctx context.Context, cfg config) error {
	dir, meta, err := workspace(&cfg, "profile")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The copy outlives the run, for perf report to read its symbols.
	kept := filepath.Join(os.TempDir(), "deploytrack-profile")
	if err := os.RemoveAll(filepath.Join(kept, "bin", filepath.Base(cfg.bin))); err != nil {
		return err
	}
	bin, err := written(kept, cfg.bin)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: profiling %s (a copy of %s)\n", bin, cfg.bin)
	c := &benchCase{name: "first event", binary: bin, meta: meta, event: cfg.event, dir: dir}
	c.setUp()
	defer c.close()
	for i := range cfg.runs {
		if i > 0 && i%(cfg.runs/10+1) == 0 {
			// As in the benchmark, where a case's environment holds the
			// deployments of at most 41 runs: a fresh fake now and then.
			c.newGitHub()
		}
		if err := c.once(ctx, false, false); err != nil {
			return err
		}
	}
	return nil
}

// compare runs the first-event case with two builds of the action,
// interleaved, each against fakes of its own, and prints the medians: what
// a change saved, measured side by side.
func compare(ctx context.Context, w io.Writer, cfg config, other string) error {
	dir, meta, err := workspace(&cfg, "compare")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var cases []*benchCase
	for i, bin := range []string{other, cfg.bin} {
		c := &benchCase{name: bin, meta: meta, event: cfg.event, dir: filepath.Join(dir, fmt.Sprint(i))}
		if err := os.Mkdir(c.dir, 0o755); err != nil {
			return err
		}
		if c.binary, err = written(c.dir, bin); err != nil {
			return err
		}
		c.setUp()
		defer c.close()
		cases = append(cases, c)
	}
	load := loadAverage()
	for round := -1; round < cfg.runs; round++ {
		for k := range cases {
			if err := cases[(k+round+2)%2].once(ctx, round >= 0, false); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(w, "first event, %d interleaved runs each, load average %s → %s\n", cfg.runs, load, loadAverage())
	for _, c := range cases {
		st := summarise(c)
		fmt.Fprintf(w, "  %-40s wall %s (p95 %s)  CPU %s\n", c.name, ms(st.median), ms(st.p95), ms(st.cpu))
	}
	return nil
}

// writeCA writes the certificate every TLS server of httptest presents
// (its own test CA's) as a PEM file, for SSL_CERT_FILE: the binaries then
// trust the fakes as a runner behind a private CA trusts its proxy.
func writeCA(dir string) (string, error) {
	s := httptest.NewTLSServer(http.NotFoundHandler())
	defer s.Close()
	f := filepath.Join(dir, "ca.pem")
	return f, os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}), 0o644)
}
