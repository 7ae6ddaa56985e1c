package versioner_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

func TestRecordRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind event.Kind
		path string
	}{
		{name: "deployment event", kind: event.Deployment, path: "/deployment-events/"},
		{name: "build event", kind: event.Build, path: "/build-events/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			ev := deployment()
			if tt.kind == event.Build {
				ev = build()
			}
			want, err := versioner.Body(ev)
			if err != nil {
				t.Fatal(err)
			}
			s.mux.HandleFunc(tt.path+"{$}", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, http.MethodPost)
				testHeader(t, r, "Authorization", "Bearer "+apiKey)
				testHeader(t, r, "Content-Type", "application/json")
				testHeader(t, r, "Accept", "application/json")
				testHeader(t, r, "User-Agent", userAgent)
				testHeader(t, r, "Idempotency-Key", "deploytrack-00112233445566778899aabbccddeeff")
				testBody(t, r, string(want))
				respond(w, http.StatusCreated, `{"id":"e-1","status":"completed"}`)
			})
			if _, err := client(t, s.url).Record(context.Background(), ev); err != nil {
				t.Fatalf("Record() error = %v", err)
			}
			if diff := cmp.Diff([]string{"POST " + tt.path}, s.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Users point api-url at other bases: paths are joined without doubling
// or losing a slash.
func TestRecordPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		base string // after the server's URL
		kind event.Kind
		want string
	}{
		{name: "bare host", base: "", kind: event.Deployment, want: "/deployment-events/"},
		{name: "host with a slash", base: "/", kind: event.Deployment, want: "/deployment-events/"},
		{name: "path prefix", base: "/versioner", kind: event.Deployment, want: "/versioner/deployment-events/"},
		{name: "path prefix with a slash", base: "/versioner/", kind: event.Deployment, want: "/versioner/deployment-events/"},
		{name: "deep prefix", base: "/api/v1/", kind: event.Build, want: "/api/v1/build-events/"},
		{name: "build on a bare host", base: "", kind: event.Build, want: "/build-events/"},
		{name: "build under a prefix", base: "/versioner", kind: event.Build, want: "/versioner/build-events/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			s.mux.HandleFunc("POST "+tt.want+"{$}", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusCreated, `{"id":"e-1"}`)
			})
			c := client(t, s.url+tt.base)
			if got := c.Endpoint(tt.kind); got != s.url+tt.want {
				t.Errorf("Endpoint(%s) = %q, want %q", tt.kind, got, s.url+tt.want)
			}
			ev := deployment()
			ev.Kind = tt.kind
			if _, err := c.Record(context.Background(), ev); err != nil {
				t.Fatalf("Record() error = %v", err)
			}
			if diff := cmp.Diff([]string{"POST " + tt.want}, s.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// A transient failure followed by success records the event once more:
// the idempotency key lets the server drop the duplicate.
func TestRecordRetrySendsSameKey(t *testing.T) {
	t.Parallel()
	s := setup(t)
	var mu sync.Mutex
	var keys []string
	s.mux.HandleFunc("POST /deployment-events/{$}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		n := len(keys)
		mu.Unlock()
		if n == 1 {
			respond(w, http.StatusServiceUnavailable, `{"detail":"try again"}`)
			return
		}
		respond(w, http.StatusCreated, `{"id":"d-1"}`)
	})
	got, err := client(t, s.url).Record(context.Background(), deployment())
	if err != nil {
		t.Fatalf("Record() error = %v", err)
	}
	if got.ID != "d-1" {
		t.Errorf("Record() ID = %q, want d-1", got.ID)
	}
	mu.Lock()
	defer mu.Unlock()
	key := deployment().IdempotencyKey
	if diff := cmp.Diff([]string{key, key}, keys); diff != "" {
		t.Errorf("Idempotency-Key per attempt mismatch (-want +got):\n%s", diff)
	}
}
