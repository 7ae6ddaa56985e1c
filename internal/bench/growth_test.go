package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain serves the fakes when the growth benchmark starts this test
// binary for them (see startFakes).
func TestMain(m *testing.M) {
	if os.Getenv(fakesEnv) != "" {
		if err := serveFakes(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		return
	}
	os.Exit(m.Run())
}

// BenchmarkGrowth is the in-process measure of the growth budgets (see
// growth.go): cpu-ns/op is the action's own CPU time per event, the fakes
// answering from another process. `make bench` runs the same cases and
// judges them.
func BenchmarkGrowth(b *testing.B) {
	addr, stop, err := startFakes()
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	for _, gc := range growthCases {
		b.Run(gc.name, growthRun(addr, gc.metadata, gc.rules, "../../action.yml", "../../testdata/events/push.json"))
	}
}
