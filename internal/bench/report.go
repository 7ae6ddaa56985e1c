package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// The budgets of issue 14.
const (
	maxRatio     = 1.7              // a full event's median wall and CPU time, in libraries floors
	maxRSS       = 12_000_000       // bytes, the largest run of the action with one event
	maxBinary    = 8_000_000        // bytes, as packaging_test.go's TestBinarySize
	maxGrowth    = time.Millisecond // CPU that 100 KB of metadata or 500 rules may add, in process
	slack        = 60 * time.Millisecond
	firstTrips   = 3    // a first event's round trips, with latency on every answer
	finishTrips  = 2    // a finishing step's
	maxContainer = 1.15 // docker run of an event, in docker runs of the bare floor's image
	maxImage     = 8_000_000
)

// stats summarises one case's runs.
type stats struct {
	median, p95, cpu, inFake time.Duration
	rss                      int64 // the largest
	rssBound                 bool  // rss is the spawner's own: the child's is at most that
}

func summarise(c *benchCase) stats {
	var took, cpu, inFake []time.Duration
	for _, s := range c.samples {
		took, cpu, inFake = append(took, s.took), append(cpu, s.cpu), append(inFake, s.inFake)
	}
	st := stats{median: median(took), p95: percentile(took, 95), cpu: median(cpu), inFake: median(inFake)}
	for _, r := range c.rss {
		st.rss = max(st.rss, r)
	}
	if st.rss <= c.ownRSS {
		st.rss, st.rssBound = c.ownRSS, true
	}
	return st
}

// peak shows a peak RSS, or its bound.
func (st stats) peak() string {
	if st.rssBound {
		return "≤ " + mb(st.rss)
	}
	return mb(st.rss)
}

// median is the middle value, or the mean of the two middle ones.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile is the nearest-rank p-th percentile: the smallest value that
// at least p% of the values do not exceed.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	k := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(k, 1), len(s))-1]
}

// verdict is one budget's line.
type verdict struct {
	ok   bool
	line string
}

func (v verdict) String() string {
	if v.ok {
		return "PASS  " + v.line
	}
	return "FAIL  " + v.line
}

// results is everything measured: the whole-process cases, and the parts
// that ran apart from them (nil when they did not run).
type results struct {
	m         *machine
	cases     []*benchCase
	latency   time.Duration
	growth    *growthResult
	container *containerResult
}

// report prints the table and the budgets, and says whether all held.
func report(w io.Writer, r results) bool {
	m, cases := r.m, r.cases
	st := make([]stats, len(cases))
	for i, c := range cases {
		st[i] = summarise(c)
	}
	runs := len(cases[firstCase].samples)
	fmt.Fprintf(w, "deploytrack whole-process benchmark, %s\n", m.date.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "machine: %d cores, %s; binary built by %s; load average %s (a shared machine)\n", m.cpus, m.cpu, m.goVer, m.load)
	fmt.Fprintf(w, "each case: %d runs after a warm-up run, interleaved with the others; %s in all\n\n", runs, m.took.Round(time.Second))

	width := 0
	for _, c := range cases {
		width = max(width, utf8.RuneCountInString(c.name))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\twall\tp95\t× floor\tCPU\t× floor\tpeak RSS\tin fakes\tVersioner\tGitHub\t\n", width, "case")
	floor := st[floorCase]
	var spawnerRSS int64
	for i, c := range cases {
		v, g, fakes := "-", "-", "-"
		if !c.floor {
			v, g, fakes = count(c, func(s sample) []string { return s.versioner }), count(c, func(s sample) []string { return s.github }), ms(st[i].inFake)
		}
		fmt.Fprintf(tw, "%-*s\t%s\t%s\t%.2f\t%s\t%.2f\t%s\t%s\t%s\t%s\t\n", width, c.name, ms(st[i].median), ms(st[i].p95),
			ratio(st[i].median, floor.median), ms(st[i].cpu), ratio(st[i].cpu, floor.cpu), st[i].peak(), fakes, v, g)
		spawnerRSS = max(spawnerRSS, c.ownRSS)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nwall, p95: from start to exit, of %d runs; CPU: the median of the child's user + system time (rusage).\n", runs)
	fmt.Fprintf(w, "× floor: over the libraries floor's median (a program that links what the action links and does nothing). MB = 10^6 bytes.\n")
	fmt.Fprintf(w, "peak RSS: the largest ru_maxrss of %d more runs, started through a spawner of at most %s of its own\n", memoryRounds, mb(spawnerRSS))
	fmt.Fprintf(w, "  (\"≤\": the binary stayed below the spawner's own peak; see internal/bench/memory.go).\n")
	fmt.Fprintf(w, "in fakes: the median time the fakes' handlers took per step (in this process, on the same cores; waits included).\n")
	fmt.Fprintf(w, "GitHub: the requests of every run, in the order sent; requests sent at once may arrive in either order.\n")
	fmt.Fprintf(w, "binary: %s, %s; the floors are built here with the same release flags.\n\n", m.binary, mb(m.size))

	fmt.Fprintln(w, "requests per product, GitHub (a deploy: a started step, then a completed one; every product had a previous version live)")
	for _, n := range []int{1, 10, 30} {
		c := cases[productCases[n]]
		if len(c.samples) == 0 {
			continue
		}
		s := c.samples[len(c.samples)-1]
		b, f := len(s.before.github), len(s.github)
		fmt.Fprintf(w, "  %2d product(s): started %3d (%.2f each), completed %3d (%.2f each), a deploy %3d (%.2f each); Versioner %d each\n",
			n, b, float64(b)/float64(n), f, float64(f)/float64(n), b+f, float64(b+f)/float64(n), (len(s.before.versioner)+len(s.versioner))/n)
	}
	fmt.Fprintln(w)
	if r.growth != nil {
		r.growth.print(w)
	}
	if r.container != nil {
		r.container.print(w)
	}

	vs := budgets(r, st)
	fmt.Fprintln(w, "budgets")
	held := 0
	for _, v := range vs {
		fmt.Fprintln(w, v)
		if v.ok {
			held++
		}
	}
	fmt.Fprintf(w, "%d of %d budgets hold\n", held, len(vs))
	return held == len(vs)
}

func budgets(r results, st []stats) []verdict {
	m, cases := r.m, r.cases
	var vs []verdict
	ratioLine := func(what string, c, f int) {
		for _, k := range []struct {
			name string
			of   func(stats) time.Duration
		}{{"wall", func(s stats) time.Duration { return s.median }}, {"CPU", func(s stats) time.Duration { return s.cpu }}} {
			got, floor := k.of(st[c]), k.of(st[f])
			vs = append(vs, verdict{got <= time.Duration(maxRatio*float64(floor)),
				fmt.Sprintf("%s, %s: median %s ≤ %.1f × %s's %s (it is %.2f ×)", what, k.name, ms(got), maxRatio, cases[f].name, ms(floor), ratio(got, floor))})
		}
	}
	// The full event is a first step: list, create, status. A
	// completed one also retires the product's previous version (three
	// requests more): both are held to the budget.
	ratioLine("full event, a started first step", startedCase, floorCase)
	ratioLine("full event, a completed first event that also retires the previous version", firstCase, floorCase)
	ratioLine("full event over HTTPS", tlsCase, floorTLSCase)

	if r.growth != nil {
		vs = append(vs, r.growth.verdicts()...)
	}

	lat := r.latency
	for _, l := range []struct {
		what  string
		c     int
		trips int
	}{{"a first event", latencyFirstCase, firstTrips}, {"a finishing step", latencyFinishCase, finishTrips}} {
		limit := time.Duration(l.trips)*lat + slack
		got := st[l.c].median
		vs = append(vs, verdict{got <= limit, fmt.Sprintf("latency: %s with %s on every answer takes %s ≤ %d × %s + %s = %s (%.1f round trips)",
			l.what, lat, ms(got), l.trips, lat, ms(slack), ms(limit), float64(got)/float64(lat))})
	}

	if r.container != nil {
		vs = append(vs, r.container.verdicts()...)
	}

	for _, tls := range []bool{false, true} {
		var rss int64
		n := 0
		for _, c := range cases {
			// The budget is one event's; the products cases show their own.
			if !c.floor && c.products == 0 && c.tls == tls {
				rss = max(rss, summarise(c).rss)
				n += len(c.rss)
			}
		}
		what := fmt.Sprintf("the largest of all %d runs of the action with one event over HTTP", n)
		if tls {
			what = fmt.Sprintf("over HTTPS, the largest of %d runs; the HTTPS floor peaks at %s", n, st[floorTLSCase].peak())
		}
		vs = append(vs, verdict{rss <= maxRSS, fmt.Sprintf("peak RSS: %s ≤ %s (%s)", mb(rss), mb(maxRSS), what)})
	}

	flags := "built with the release flags"
	if len(m.release) > 0 {
		flags = "built WITHOUT " + strings.Join(m.release, ", ") + ": use `make build`"
	}
	vs = append(vs, verdict{m.size <= maxBinary && len(m.release) == 0, fmt.Sprintf("binary: %s ≤ %s, %s", mb(m.size), mb(maxBinary), flags)})

	vs = append(vs, requestVerdict("first event", wantFirst, cases[firstCase], cases[tlsCase], cases[metadataCase], cases[rulesCase], cases[latencyFirstCase]))
	vs = append(vs, requestVerdict("started first step", wantStarted, cases[startedCase]))
	vs = append(vs, requestVerdict("finishing step", wantFinish, cases[finishCase], cases[latencyFinishCase]))
	vs = append(vs, requestVerdict("invalid input", requests{}, cases[startupCase]))
	vs = append(vs, scaleVerdict(cases))
	return vs
}

// scaleVerdict: with products, one list of a commit's deployments per
// step serves every product (two in a step that creates: the second look),
// one list of the environment's per step (the started step's for the
// finishing step, see internal/deployments/started.go), and nothing else
// is fetched twice.
func scaleVerdict(cases []*benchCase) verdict {
	ok, runs := true, 0
	var bad []string
	for _, n := range []int{1, 10, 30} {
		c := cases[productCases[n]]
		for _, s := range c.samples {
			runs++
			if countOf(s.before.github, "list") > 2 || countOf(s.github, "list") > 1 ||
				countOf(s.before.github, "envlist") > 1 || countOf(s.github, "envlist") > 1 || len(s.refetched) > 0 {
				ok = false
				if len(bad) == 0 {
					bad = append(bad, fmt.Sprintf("%d products: started step %d commit lists and %d environment lists, completed step %d commit lists and %d environment lists; fetched twice: %s",
						n, countOf(s.before.github, "list"), countOf(s.before.github, "envlist"), countOf(s.github, "list"), countOf(s.github, "envlist"), strings.Join(s.refetched, ", ")))
				}
			}
		}
	}
	line := fmt.Sprintf("requests at scale: with 1, 10 and 30 products, one list of the commit's deployments per step (a second look after creating), one of the environment's per step, nothing fetched twice, in every one of %d runs", runs)
	if !ok {
		line += ": " + strings.Join(bad, "; ")
	}
	return verdict{ok && runs > 0, line}
}

func countOf(names []string, name string) int {
	n := 0
	for _, s := range names {
		if s == name {
			n++
		}
	}
	return n
}

// requestVerdict checks that every run of the cases made exactly the
// requests wanted, and no other.
func requestVerdict(what string, want requests, cases ...*benchCase) verdict {
	ok, n := true, 0
	for _, c := range cases {
		ok = ok && c.same(want)
		n += len(c.samples)
	}
	list := func(rs []string) string {
		if len(rs) == 0 {
			return "0"
		}
		return fmt.Sprintf("%d (%s)", len(rs), strings.Join(rs, ", "))
	}
	return verdict{ok, fmt.Sprintf("requests, %s: Versioner %s, GitHub %s, and nothing else, in every one of %d runs",
		what, list(want.versioner), list(want.github), n)}
}

// count shows how many requests each run made and which, or every
// distinct sequence when the runs differ.
func count(c *benchCase, of func(sample) []string) string {
	var seen []string
	for _, s := range c.samples {
		r := strings.TrimSuffix(fmt.Sprintf("%d: %s", len(of(s)), strings.Join(of(s), " ")), ": ")
		if len(of(s)) > 8 {
			r = fmt.Sprintf("%d", len(of(s))) // the products cases: see requests per product
		}
		if !slices.Contains(seen, r) {
			seen = append(seen, r)
		}
	}
	if len(seen) > 2 {
		return fmt.Sprintf("%s | ... (%d orders)", seen[0], len(seen))
	}
	return strings.Join(seen, " | ")
}

func ratio(d, floor time.Duration) float64 {
	if floor == 0 {
		return math.Inf(1)
	}
	return float64(d) / float64(floor)
}

func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	if math.Abs(f) >= 100 {
		return fmt.Sprintf("%.0f ms", f)
	}
	if math.Abs(f) < 10 {
		return fmt.Sprintf("%.2f ms", f)
	}
	return fmt.Sprintf("%.1f ms", f)
}

func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + ms(d)
	}
	return ms(d)
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
