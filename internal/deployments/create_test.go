package deployments_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/httpx"
)

func TestCreateRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ev   event.Event
		want map[string]any
	}{
		{
			name: "deployment of this run's commit",
			ev:   deployment(),
			want: map[string]any{
				"ref":               sha,
				"task":              "deploy",
				"auto_merge":        false,
				"required_contexts": []any{},
				"environment":       "production",
				"description":       "web 1.2.3",
				"payload":           map[string]any{"product": "web", "version": "1.2.3", "run_id": "987654321", "run_attempt": "2"},
			},
		},
		{
			name: "long product and version are cut to 140 characters",
			ev:   with(deployment(), func(e *event.Event) { e.Product = strings.Repeat("p", 100); e.Version = strings.Repeat("v", 100) }),
			want: map[string]any{
				"ref":               sha,
				"task":              "deploy",
				"auto_merge":        false,
				"required_contexts": []any{},
				"environment":       "production",
				"description":       strings.Repeat("p", 100) + " " + strings.Repeat("v", 38) + "…",
				"payload":           map[string]any{"product": strings.Repeat("p", 100), "version": strings.Repeat("v", 100), "run_id": "987654321", "run_attempt": "2"},
			},
		},
		{
			name: "outside a run the payload keeps empty ids",
			ev:   with(deployment(), func(e *event.Event) { e.RunID = ""; e.RunAttempt = "" }),
			want: map[string]any{
				"ref":               sha,
				"task":              "deploy",
				"auto_merge":        false,
				"required_contexts": []any{},
				"environment":       "production",
				"description":       "web 1.2.3",
				"payload":           map[string]any{"product": "web", "version": "1.2.3", "run_id": "", "run_attempt": ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := deployments.CreateRequest(tt.ev)
			if diff := cmp.Diff(tt.want, toMap(t, req)); diff != "" {
				t.Errorf("CreateRequest() JSON mismatch (-want +got):\n%s", diff)
			}
			// The two fields whose omission changes GitHub's behaviour are
			// on the wire, not just in the struct.
			raw, _ := json.Marshal(req)
			for _, s := range []string{`"auto_merge":false`, `"required_contexts":[]`} {
				if !strings.Contains(string(raw), s) {
					t.Errorf("CreateRequest() JSON %s lacks %s", raw, s)
				}
			}
		})
	}
}

// The 202 is go-github's *AcceptedError: Ensure must not report a
// deployment id it does not have.
func TestEnsureAccepted(t *testing.T) {
	t.Parallel()
	g := setup(t)
	g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
		respond(w, http.StatusOK, `[]`)
	})
	g.mux.HandleFunc("POST /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
		respond(w, http.StatusAccepted, `{"message":"Auto-merged main into topic on deployment."}`)
	})
	id, created, err := g.client(t, g.url).Ensure(context.Background(), deployment())
	if err == nil {
		t.Fatal("Ensure() after a 202 succeeded")
	}
	if id != 0 || created {
		t.Errorf("Ensure() = %d, %v with the error; want 0, false", id, created)
	}
	if n := len(g.requests()); n != 2 {
		t.Errorf("server saw %d requests, want 2 (list, create)", n)
	}
}

// A create whose answer is lost or unreadable may still have made the
// deployment: Ensure lists again before it creates again. An answer that
// says nothing was made (a refusal, a rate limit the step gave up waiting
// for) is not lost.
func TestEnsureLostAnswer(t *testing.T) {
	t.Parallel()
	const (
		list   = "GET /repos/acme/web/deployments"
		create = "POST /repos/acme/web/deployments"
		found  = `[{"id":7,"payload":{"product":"web","run_id":"987654321"}}]`
	)
	tests := []struct {
		name        string
		create      func(w http.ResponseWriter) // the create's answer; it makes the deployment first
		wantID      int64
		wantErr     string
		wantSeen    []string
		wantCreated int // deployments GitHub made
	}{
		{
			name:   "an empty 201",
			create: func(w http.ResponseWriter) { w.WriteHeader(http.StatusCreated) },
			wantID: 7, wantSeen: []string{list, create, list}, wantCreated: 1,
		},
		{
			name:   "a connection closed before the answer",
			create: func(w http.ResponseWriter) { panic(http.ErrAbortHandler) },
			wantID: 7, wantSeen: []string{list, create, list}, wantCreated: 1,
		},
		{
			name:   "a truncated 201",
			create: func(w http.ResponseWriter) { respond(w, http.StatusCreated, `{"id": 7, "sha": "01234`) },
			wantID: 7, wantSeen: []string{list, create, list}, wantCreated: 1,
		},
		{
			name: "a secondary rate limit the step gave up waiting for",
			create: func(w http.ResponseWriter) {
				respond(w, http.StatusForbidden, `{"message":"You have exceeded a secondary rate limit."}`)
			},
			wantErr:  "GitHub: could not create a deployment: GitHub: answered 403: secondary rate limit (secondary rate limit: at least a minute); the next try is due in 1m0s",
			wantSeen: []string{list, create}, wantCreated: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			var mu sync.Mutex
			created := 0
			g.mux.HandleFunc(list, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				if created > 0 && tt.wantErr == "" {
					respond(w, http.StatusOK, found)
					return
				}
				respond(w, http.StatusOK, `[]`)
			})
			g.mux.HandleFunc(create, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				created++
				mu.Unlock()
				tt.create(w)
			})
			hc := httpx.New(httpx.Options{WaitMin: time.Millisecond, WaitMax: time.Millisecond}).For("GitHub")
			c, err := deployments.New(hc, g.url, token, "acme/web", userAgent)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			id, made, err := c.Ensure(ctx, deployment())
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("Ensure() error = %v, want it to start %q", err, tt.wantErr)
				}
			} else if err != nil || id != tt.wantID || made {
				t.Errorf("Ensure() = %d, created %v, %v; want %d found again", id, made, err, tt.wantID)
			}
			if diff := cmp.Diff(tt.wantSeen, g.paths()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
			if mu.Lock(); created != tt.wantCreated {
				t.Errorf("GitHub made %d deployments, want %d", created, tt.wantCreated)
			}
			mu.Unlock()
		})
	}
}
