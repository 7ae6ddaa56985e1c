package deployments_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
)

func TestEnsure(t *testing.T) {
	t.Parallel()
	const (
		other  = `{"id":1,"payload":{"product":"api","run_id":"987654321"}},{"id":2,"payload":{"product":"web","run_id":"111"}}`
		ours   = `{"product":"web","run_id":"987654321"}`
		theirs = `{"product":"api","run_id":"987654321"}`
	)
	// at is deployment id with payload, created at hh:mm:ss on the day of the run.
	at := func(id int64, payload, hms string) string {
		return fmt.Sprintf(`{"id":%d,"payload":%s,"created_at":"2024-05-01T%sZ"}`, id, payload, hms)
	}
	tests := []struct {
		name        string
		pages       []string // list answers; each but the last links to the next
		wantID      int64
		wantCreated bool
		wantPages   int
	}{
		{
			name:      "finds this run's deployment by product and run_id",
			pages:     []string{`[` + other + `,{"id":3,"payload":{"product":"web","version":"1.2.2","run_id":"987654321","run_attempt":"1"}}]`},
			wantID:    3,
			wantPages: 1,
		},
		{
			name:      "payload stored as a JSON string holding the object",
			pages:     []string{`[` + other + `,{"id":4,"payload":"{\"product\":\"web\",\"run_id\":\"987654321\"}"}]`},
			wantID:    4,
			wantPages: 1,
		},
		{
			name:      "run_id stored as a number",
			pages:     []string{`[` + other + `,{"id":5,"payload":{"product":"web","run_id":987654321}}]`},
			wantID:    5,
			wantPages: 1,
		},
		{
			name:      "run_id stored as a number inside a JSON string",
			pages:     []string{`[{"id":6,"payload":"{\"product\":\"web\",\"run_id\":987654321}"}]`},
			wantID:    6,
			wantPages: 1,
		},
		{
			name:      "twins that steps created at the same moment: the oldest, as every step of the run picks it",
			pages:     []string{`[{"id":9,"payload":{"product":"web","run_id":"987654321"}},{"id":8,"payload":{"product":"web","run_id":"987654321"}}]`},
			wantID:    8,
			wantPages: 1,
		},
		{
			name:      "twins in any order",
			pages:     []string{`[{"id":8,"payload":{"product":"web","run_id":"987654321"}},` + other + `,{"id":9,"payload":"{\"product\":\"web\",\"run_id\":\"987654321\"}"}]`},
			wantID:    8,
			wantPages: 1,
		},
		{
			name: "a page that ends within a minute of ours may be followed by a twin: read on",
			pages: []string{`[` + at(9, ours, "12:00:30") + `,` + at(3, theirs, "12:00:00") + `]`,
				`[` + at(8, ours, "11:59:59") + `]`},
			wantID:    8,
			wantPages: 2,
		},
		{
			name: "a page that ends more than a minute before ours cannot: stop",
			pages: []string{`[` + at(9, ours, "12:00:30") + `,` + at(3, theirs, "11:59:29") + `]`,
				`[` + at(8, ours, "11:59:28") + `]`},
			wantID:    9,
			wantPages: 1,
		},
		{
			name:      "without times a twin may follow: read on",
			pages:     []string{`[{"id":9,"payload":{"product":"web","run_id":"987654321"}},` + other + `]`, `[{"id":8,"payload":{"product":"web","run_id":"987654321"}}]`},
			wantID:    8,
			wantPages: 2,
		},
		{
			name:        "no deployments: creates one",
			pages:       []string{`[]`},
			wantID:      99,
			wantCreated: true,
			wantPages:   1,
		},
		{
			name:        "other products and runs only: creates one",
			pages:       []string{`[` + other + `]`},
			wantID:      99,
			wantCreated: true,
			wantPages:   1,
		},
		{
			name: "payloads that are not objects are skipped",
			pages: []string{`[{"id":10},{"id":11,"payload":null},{"id":12,"payload":""},{"id":13,"payload":"not json"},` +
				`{"id":14,"payload":[1,2]},{"id":15,"payload":{}},{"id":16,"payload":"\"web\""}]`},
			wantID:      99,
			wantCreated: true,
			wantPages:   1,
		},
		{
			name:      "follows pagination",
			pages:     []string{`[` + other + `]`, `[{"id":7,"payload":{"product":"web","run_id":"987654321"}}]`},
			wantID:    7,
			wantPages: 2,
		},
		{
			name:        "gives up searching after three pages and creates",
			pages:       []string{`[` + other + `]`, `[` + other + `]`, `[` + other + `]`, `[{"id":7,"payload":{"product":"web","run_id":"987654321"}}]`},
			wantID:      99,
			wantCreated: true,
			wantPages:   3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			g.mux.HandleFunc("GET /api/v3/repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				page := 1
				if p := r.URL.Query().Get("page"); p != "" {
					fmt.Sscan(p, &page)
				}
				if page < len(tt.pages) {
					w.Header().Set("Link", fmt.Sprintf(`<%s/api/v3/repos/acme/web/deployments?%s&page=%d>; rel="next"`, g.url, listQuery, page+1))
				}
				respond(w, http.StatusOK, tt.pages[page-1])
			})
			g.mux.HandleFunc("POST /api/v3/repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				testJSON(t, r, toMap(t, deployments.CreateRequest(deployment())))
				respond(w, http.StatusCreated, `{"id":99,"sha":"`+sha+`","environment":"production"}`)
			})

			id, created, err := g.client(t, g.url+"/api/v3").Ensure(context.Background(), deployment())
			if err != nil {
				t.Fatalf("Ensure() error = %v", err)
			}
			if diff := cmp.Diff([2]any{tt.wantID, tt.wantCreated}, [2]any{id, created}); diff != "" {
				t.Errorf("Ensure() id, created mismatch (-want +got):\n%s", diff)
			}
			lists := []string{"GET /api/v3/repos/acme/web/deployments?" + listQuery}
			for p := 2; p <= tt.wantPages; p++ {
				lists = append(lists, fmt.Sprintf("GET /api/v3/repos/acme/web/deployments?environment=production&page=%d&per_page=100&sha=%s&task=deploy", p, sha))
			}
			want := lists
			if tt.wantCreated {
				// After its create the step looks again, for a twin.
				want = append(append(want, "POST /api/v3/repos/acme/web/deployments"), lists...)
			}
			if diff := cmp.Diff(want, g.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Matching compares the run id as text, so a large numeric id read from a
// payload is not mangled into a float.
func TestEnsureLargeNumericRunID(t *testing.T) {
	t.Parallel()
	g := setup(t)
	g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
		respond(w, http.StatusOK, `[{"id":21,"payload":{"product":"web","run_id":12345678901234567}}]`)
	})
	ev := with(deployment(), func(e *event.Event) { e.RunID = "12345678901234567" })
	id, created, err := g.client(t, g.url).Ensure(context.Background(), ev)
	if err != nil {
		t.Fatalf("Ensure() error = %v", err)
	}
	if id != 21 || created {
		t.Errorf("Ensure() = %d, %v; want 21, false", id, created)
	}
}
