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

// The budgets of issue 6.
const (
	maxRatio  = 2.0              // a full event's median, in floor medians
	maxRSS    = 12_000_000       // bytes, the largest run of the action
	maxBinary = 8_000_000        // bytes, as packaging_test.go's TestBinarySize
	maxGrowth = time.Millisecond // what 100 KB of metadata or 500 rules may add to the median
	maxMany   = 3.0              // 20 products in one step, in one-product medians (both with latency)
)

// stats summarises one case's runs.
type stats struct {
	median, p95, inFake time.Duration
	rss                 int64 // the largest
	rssBound            bool  // rss is the spawner's own: the child's is at most that
}

func summarise(c *benchCase) stats {
	var took, inFake []time.Duration
	for _, s := range c.samples {
		took, inFake = append(took, s.took), append(inFake, s.inFake)
	}
	st := stats{median: median(took), p95: percentile(took, 95), inFake: median(inFake)}
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

// report prints the table and the budgets, and says whether all held.
func report(w io.Writer, m *machine, cases []*benchCase, latency time.Duration) bool {
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
	fmt.Fprintf(tw, "%-*s\tmedian\tp95\t× floor\tpeak RSS\tin fakes\tVersioner\tGitHub\t\n", width, "case")
	floor := st[floorCase].median
	var spawnerRSS int64
	for i, c := range cases {
		v, g, fakes := "-", "-", "-"
		if !c.floor {
			v, g, fakes = count(c, func(s sample) []string { return s.versioner }), count(c, func(s sample) []string { return s.github }), ms(st[i].inFake)
		}
		fmt.Fprintf(tw, "%-*s\t%s\t%s\t%.2f\t%s\t%s\t%s\t%s\t\n", width, c.name, ms(st[i].median), ms(st[i].p95),
			ratio(st[i].median, floor), st[i].peak(), fakes, v, g)
		spawnerRSS = max(spawnerRSS, c.ownRSS)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nmedian, p95: wall time from start to exit of %d runs, as internal/runner starts the binary. MB = 10^6 bytes.\n", runs)
	fmt.Fprintf(w, "peak RSS: the largest ru_maxrss of %d more runs, started through a spawner of at most %s of its own\n", memoryRounds, mb(spawnerRSS))
	fmt.Fprintf(w, "  (\"≤\": the binary stayed below the spawner's own peak; see internal/bench/memory.go).\n")
	fmt.Fprintf(w, "in fakes: the median time the fakes' handlers took per step (in this process, on the same cores; waits included).\n")
	fmt.Fprintf(w, "binary: %s, %s; the floor is built here with the same release flags.\n\n", m.binary, mb(m.size))

	vs := budgets(m, cases, st, latency)
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

func budgets(m *machine, cases []*benchCase, st []stats, latency time.Duration) []verdict {
	floor, first := st[floorCase].median, st[firstCase].median
	var vs []verdict

	vs = append(vs, verdict{first <= time.Duration(maxRatio*float64(floor)),
		fmt.Sprintf("full event: median %s ≤ %.0f × the floor's %s (it is %.2f ×)", ms(first), maxRatio, ms(floor), ratio(first, floor))})

	var rss int64
	n := 0
	for i, c := range cases {
		// The budget is one event's; 20 products in one step show their
		// own peak in the table.
		if !c.floor && i != productsCase {
			rss = max(rss, st[i].rss)
			n += len(c.rss)
		}
	}
	vs = append(vs, verdict{rss <= maxRSS, fmt.Sprintf("peak RSS: %s ≤ %s (the largest of all %d runs of the action with one event)", mb(rss), mb(maxRSS), n)})

	flags := "built with the release flags"
	if len(m.release) > 0 {
		flags = "built WITHOUT " + strings.Join(m.release, ", ") + ": use `make build`"
	}
	vs = append(vs, verdict{m.size <= maxBinary && len(m.release) == 0, fmt.Sprintf("binary: %s ≤ %s, %s", mb(m.size), mb(maxBinary), flags)})

	firsts := []*benchCase{cases[firstCase], cases[metadataCase], cases[rulesCase], cases[latencyCase]}
	vs = append(vs, requestVerdict("first event", wantFirst, firsts...))
	vs = append(vs, requestVerdict("finish step", wantFinish, cases[finishCase]))
	vs = append(vs, requestVerdict("invalid input", requests{}, cases[startupCase]))

	chain := latency * time.Duration(max(len(wantFirst.versioner), len(wantFirst.github)))
	sum := latency * time.Duration(len(wantFirst.versioner)+len(wantFirst.github))
	added := pairedDelta(cases[latencyCase], cases[firstCase], took)
	vs = append(vs, verdict{added < (chain+sum)/2,
		fmt.Sprintf("sinks concurrent: %s on every answer adds %s: about the longer chain, %s, not both in a row, %s (limit %s, half-way)",
			latency, ms(added), ms(chain), ms(sum), ms((chain+sum)/2))})

	one, many := st[oneProductCase].median, st[productsCase].median
	vs = append(vs, verdict{many <= time.Duration(maxMany*float64(one)),
		fmt.Sprintf("products: %d in one step cost %s, ≤ %.0f × one product's %s with %s per answer (it is %.2f ×)",
			products, ms(many), maxMany, ms(one), productLatency, ratio(many, one))})
	perProduct := len(wantFirst.github)
	vs = append(vs, verdict{countsOK(cases[productsCase], products, perProduct*products),
		fmt.Sprintf("requests, %d products: Versioner %d, GitHub %d (%s each), in every one of %d runs",
			products, products, perProduct*products, strings.Join(wantFirst.github, ", "), len(cases[productsCase].samples))})

	for _, g := range []struct {
		what string
		i    int
	}{{"a 100 KB metadata input", metadataCase}, {"500 rules_evaluated in the answer", rulesCase}} {
		d := pairedDelta(cases[g.i], cases[firstCase], took)
		f := pairedDelta(cases[g.i], cases[firstCase], inFake)
		vs = append(vs, verdict{d <= maxGrowth, fmt.Sprintf("growth: %s moves the median by %s ≤ %s (the fakes' part %s, the action's %s)",
			g.what, signed(d), ms(maxGrowth), signed(f), signed(d-f))})
	}
	return vs
}

func took(s sample) time.Duration   { return s.took }
func inFake(s sample) time.Duration { return s.inFake }

// pairedDelta is what case a costs more than case b: the median of the
// differences between their runs in the same round. The load of a shared
// machine drifts over seconds, so two runs side by side differ by what
// the cases do, more than two medians taken a minute apart.
func pairedDelta(a, b *benchCase, of func(sample) time.Duration) time.Duration {
	var ds []time.Duration
	for i := range min(len(a.samples), len(b.samples)) {
		ds = append(ds, of(a.samples[i])-of(b.samples[i]))
	}
	return median(ds)
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

// countsOK reports whether every run of c made v Versioner and g GitHub
// requests, all answered 2xx.
func countsOK(c *benchCase, v, g int) bool {
	for _, s := range c.samples {
		if len(s.versioner) != v || len(s.github) != g || strings.Contains(strings.Join(append(s.versioner, s.github...), " "), "(") {
			return false
		}
	}
	return len(c.samples) > 0
}

// count shows how many requests each run made and which, or every
// distinct sequence when the runs differ.
func count(c *benchCase, of func(sample) []string) string {
	var seen []string
	for _, s := range c.samples {
		r := strings.TrimSuffix(fmt.Sprintf("%d: %s", len(of(s)), strings.Join(of(s), " ")), ": ")
		if len(of(s)) > 4 {
			r = fmt.Sprintf("%d", len(of(s))) // the products case: the budget line checks them
		}
		if !slices.Contains(seen, r) {
			seen = append(seen, r)
		}
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
	return fmt.Sprintf("%.1f ms", f)
}

func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + ms(d)
	}
	return ms(d)
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
