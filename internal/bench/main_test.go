package main

import (
	"testing"
	"time"

	"github.com/deploytrack/deploytrack/internal/fake"
)

// The whole benchmark runs under `make bench`, not `make test`; these
// check the arithmetic it judges the budgets by.

func millis(n ...int) []time.Duration {
	var ds []time.Duration
	for _, v := range n {
		ds = append(ds, time.Duration(v)*time.Millisecond)
	}
	return ds
}

func TestMedianAndPercentile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       []time.Duration
		med, p95 time.Duration
	}{
		{"odd count", millis(5, 1, 3), 3 * time.Millisecond, 5 * time.Millisecond},
		{"even count takes the mean of the middle two", millis(4, 1, 3, 2), 2500 * time.Microsecond, 4 * time.Millisecond},
		{"p95 of 30 is the 29th", millis(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30),
			15500 * time.Microsecond, 29 * time.Millisecond},
		{"empty", nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := median(tt.in); got != tt.med {
				t.Errorf("median = %v, want %v", got, tt.med)
			}
			if got := percentile(tt.in, 95); got != tt.p95 {
				t.Errorf("p95 = %v, want %v", got, tt.p95)
			}
		})
	}
}

func TestPeakRSS(t *testing.T) {
	t.Parallel()
	child, own, err := peakRSS("::warning::x\n\npeakrss 7864 1944\n")
	if err != nil || child != 7864<<10 || own != 1944<<10 {
		t.Errorf("peakRSS = %d, %d, %v", child, own, err)
	}
	for _, bad := range []string{"", "peakrss 1 2", "\npeakrss x 2\n", "\npeakrss 1\n"} {
		if _, _, err := peakRSS(bad); err == nil {
			t.Errorf("peakRSS(%q) succeeded", bad)
		}
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	got := names([]fake.Request{
		{Method: "POST", Path: "/deployment-events/", Status: 201},
		{Method: "GET", Path: "/api/v3/repos/acme/shop/deployments", Status: 200},
		{Method: "POST", Path: "/api/v3/repos/acme/shop/deployments", Status: 502},
		{Method: "POST", Path: "/api/v3/repos/acme/shop/deployments/1/statuses", Status: 201},
		{Method: "GET", Path: "/api/v3/repos/acme/shop/deployments/1", Status: 200},
	})
	want := []string{"event", "envlist", "create (502)", "status", "GET 1"}
	if len(got) != len(want) {
		t.Fatalf("names = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("names = %q, want %q", got, want)
		}
	}
}

func TestRefetches(t *testing.T) {
	t.Parallel()
	list := fake.Request{Method: "GET", Path: "/api/v3/repos/acme/shop/deployments", RawQuery: "environment=production&sha=abc"}
	env := fake.Request{Method: "GET", Path: "/api/v3/repos/acme/shop/deployments", RawQuery: "environment=production"}
	create := fake.Request{Method: "POST", Path: "/api/v3/repos/acme/shop/deployments"}
	tests := []struct {
		name string
		reqs []fake.Request
		want int
	}{
		{"a second look after a create is no refetch", []fake.Request{list, env, create, list}, 0},
		{"a second look without a create is", []fake.Request{list, env, list}, 1},
		{"a third look is", []fake.Request{list, create, list, list}, 1},
		{"the environment's list twice is", []fake.Request{list, env, env}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := refetches(tt.reqs); len(got) != tt.want {
				t.Errorf("refetches = %q, want %d", got, tt.want)
			}
		})
	}
}
