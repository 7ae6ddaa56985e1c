package deployments_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
)

func TestState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   event.Status
		want string
	}{
		{event.Pending, "queued"},
		{event.Started, "in_progress"},
		{event.Completed, "success"},
		{event.Failed, "failure"},
		{event.Aborted, "inactive"},
		{"", "inactive"},
	}
	for _, tt := range tests {
		if got := deployments.State(tt.in); got != tt.want {
			t.Errorf("State(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "short text is kept", in: "web 1.2.3", want: "web 1.2.3"},
		{name: "empty", in: "", want: ""},
		{name: "whitespace is folded", in: "  web\n\t1.2.3 \r\n to   prod ", want: "web 1.2.3 to prod"},
		{name: "exactly 140 characters is kept", in: strings.Repeat("a", 140), want: strings.Repeat("a", 140)},
		{name: "141 characters are cut with an ellipsis", in: strings.Repeat("a", 141), want: strings.Repeat("a", 139) + "…"},
		{name: "140 multi-byte characters are kept", in: strings.Repeat("é", 140), want: strings.Repeat("é", 140)},
		{name: "multi-byte text is cut on a rune boundary", in: strings.Repeat("é", 300), want: strings.Repeat("é", 139) + "…"},
		{name: "CJK text", in: strings.Repeat("部署", 100), want: strings.Repeat("部署", 69) + "部…"},
		{name: "emoji", in: strings.Repeat("🚀", 141), want: strings.Repeat("🚀", 139) + "…"},
		{name: "folding comes before counting", in: strings.Repeat("a\n\n\n", 50), want: strings.TrimSpace(strings.Repeat("a ", 50))},
		{name: "folding then cutting", in: strings.Repeat("ab  ", 50), want: strings.Repeat("ab ", 46) + "a…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := deployments.Truncate(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Truncate() mismatch (-want +got):\n%s", diff)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Truncate() = %q, not valid UTF-8", got)
			}
			if n := utf8.RuneCountInString(got); n > deployments.MaxDescription {
				t.Errorf("Truncate() has %d characters, want at most %d", n, deployments.MaxDescription)
			}
		})
	}
}

func TestStatusRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		ev          event.Event
		state       string
		description string
		want        map[string]any
	}{
		{
			name:  "default description names product, version and status",
			ev:    deployment(),
			state: "success",
			want: map[string]any{"state": "success", "description": "web 1.2.3: completed",
				"log_url": "https://github.com/acme/web/actions/runs/987654321"},
		},
		{
			name:  "description input is used",
			ev:    with(deployment(), func(e *event.Event) { e.Description = "Canary at 5%" }),
			state: "in_progress",
			want: map[string]any{"state": "in_progress", "description": "Canary at 5%",
				"log_url": "https://github.com/acme/web/actions/runs/987654321"},
		},
		{
			name:        "a given description wins",
			ev:          with(deployment(), func(e *event.Event) { e.Description = "Canary at 5%" }),
			state:       "failure",
			description: "Versioner blocked the deployment",
			want: map[string]any{"state": "failure", "description": "Versioner blocked the deployment",
				"log_url": "https://github.com/acme/web/actions/runs/987654321"},
		},
		{
			name:  "environment URL is sent when set",
			ev:    with(deployment(), func(e *event.Event) { e.EnvironmentURL = "https://web.example.com" }),
			state: "success",
			want: map[string]any{"state": "success", "description": "web 1.2.3: completed",
				"log_url": "https://github.com/acme/web/actions/runs/987654321", "environment_url": "https://web.example.com"},
		},
		{
			name:  "no run URL sends no log_url",
			ev:    with(deployment(), func(e *event.Event) { e.RunURL = "" }),
			state: "queued",
			want:  map[string]any{"state": "queued", "description": "web 1.2.3: completed"},
		},
		{
			name:  "multi-line description is folded and cut",
			ev:    with(deployment(), func(e *event.Event) { e.Description = "line one\nline two\n" + strings.Repeat("x", 200) }),
			state: "success",
			want: map[string]any{"state": "success", "description": "line one line two " + strings.Repeat("x", 121) + "…",
				"log_url": "https://github.com/acme/web/actions/runs/987654321"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := toMap(t, deployments.StatusRequest(tt.ev, tt.state, tt.description))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("StatusRequest() JSON mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetStatus(t *testing.T) {
	t.Parallel()
	g := setup(t)
	ev := with(deployment(), func(e *event.Event) { e.EnvironmentURL = "https://web.example.com" })
	req := deployments.StatusRequest(ev, "success", "")
	g.mux.HandleFunc("POST /api/v3/repos/acme/web/deployments/42/statuses", func(w http.ResponseWriter, r *http.Request) {
		testJSON(t, r, map[string]any{
			"state":           "success",
			"description":     "web 1.2.3: completed",
			"log_url":         "https://github.com/acme/web/actions/runs/987654321",
			"environment_url": "https://web.example.com",
		})
		respond(w, http.StatusCreated, `{"id":1,"state":"success"}`)
	})
	if err := g.client(t, g.url+"/api/v3").SetStatus(context.Background(), 42, req); err != nil {
		t.Fatalf("SetStatus() error = %v", err)
	}
	if diff := cmp.Diff([]string{"POST /api/v3/repos/acme/web/deployments/42/statuses"}, g.requests()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
}
