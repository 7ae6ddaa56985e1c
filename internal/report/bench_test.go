package report_test

import "testing"

// BenchmarkSummary renders the job summary of a deployment recorded in
// both sinks.
func BenchmarkSummary(b *testing.B) {
	r := deployed()
	b.ReportAllocs()
	for range b.N {
		if r.Summary() == "" {
			b.Fatal("empty summary")
		}
	}
}
