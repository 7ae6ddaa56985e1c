package versioner_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/rawjson"
	"github.com/deploytrack/deploytrack/internal/runner"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

var at = time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)

// deployment is a fully detected deployment event.
func deployment() event.Event {
	return event.Event{
		Kind:           event.Deployment,
		Product:        "web",
		Version:        "1.2.3",
		Environment:    "production",
		Status:         event.Completed,
		Repository:     "acme/web",
		SHA:            "0123456789abcdef0123456789abcdef01234567",
		Branch:         "main",
		Actor:          "octocat",
		ActorName:      "Mona Lisa",
		ActorEmail:     "mona@example.com",
		RunURL:         "https://github.com/acme/web/actions/runs/987654321",
		RunID:          "987654321",
		RunNumber:      "77",
		RunAttempt:     "1",
		Metadata:       map[string]any{"vi_gh_workflow": "Deploy", "vi_gh_run_attempt": "1"},
		EnvironmentURL: "https://web.example.com",
		Description:    "ship it",
		At:             at,
		IdempotencyKey: "deploytrack-00112233445566778899aabbccddeeff",
	}
}

// build is the same run recording a build.
func build() event.Event {
	ev := deployment()
	ev.Kind = event.Build
	ev.Environment = ""
	return ev
}

func with(ev event.Event, f func(*event.Event)) event.Event {
	f(&ev)
	return ev
}

func TestBody(t *testing.T) {
	t.Parallel()
	full := map[string]any{
		"product_name":      "web",
		"version":           "1.2.3",
		"environment_name":  "production",
		"status":            "completed",
		"source_system":     "github",
		"scm_repository":    "acme/web",
		"scm_sha":           "0123456789abcdef0123456789abcdef01234567",
		"scm_branch":        "main",
		"build_number":      "77",
		"invoke_id":         "987654321",
		"deployed_by":       "octocat",
		"deployed_by_name":  "Mona Lisa",
		"deployed_by_email": "mona@example.com",
		"deploy_url":        "https://github.com/acme/web/actions/runs/987654321",
		"completed_at":      "2024-05-01T12:30:00Z",
		"extra_metadata":    map[string]any{"vi_gh_workflow": "Deploy", "vi_gh_run_attempt": "1"},
	}
	edit := func(m map[string]any, f func(map[string]any)) map[string]any {
		c := map[string]any{}
		for k, v := range m {
			c[k] = v
		}
		f(c)
		return c
	}
	fullBuild := edit(full, func(m map[string]any) {
		delete(m, "environment_name")
		delete(m, "deployed_by")
		delete(m, "deployed_by_name")
		delete(m, "deployed_by_email")
		delete(m, "deploy_url")
		m["built_by"] = "octocat"
		m["built_by_name"] = "Mona Lisa"
		m["built_by_email"] = "mona@example.com"
		m["build_url"] = "https://github.com/acme/web/actions/runs/987654321"
	})

	tests := []struct {
		name string
		ev   event.Event
		want map[string]any
	}{
		{
			name: "completed deployment sends every detected field",
			ev:   deployment(),
			want: full,
		},
		{
			name: "deployment with a build-url keeps deploy_url for the run",
			ev:   with(deployment(), func(e *event.Event) { e.BuildURL = "https://ci.example.com/builds/5" }),
			want: edit(full, func(m map[string]any) { m["build_url"] = "https://ci.example.com/builds/5" }),
		},
		{
			name: "started deployment has no completed_at and no started_at",
			ev:   with(deployment(), func(e *event.Event) { e.Status = event.Started }),
			want: edit(full, func(m map[string]any) { m["status"] = "started"; delete(m, "completed_at") }),
		},
		{
			name: "pending deployment has no completed_at",
			ev:   with(deployment(), func(e *event.Event) { e.Status = event.Pending }),
			want: edit(full, func(m map[string]any) { m["status"] = "pending"; delete(m, "completed_at") }),
		},
		{
			name: "failed deployment is completed at the time",
			ev:   with(deployment(), func(e *event.Event) { e.Status = event.Failed }),
			want: edit(full, func(m map[string]any) { m["status"] = "failed" }),
		},
		{
			name: "aborted deployment is completed at the time",
			ev:   with(deployment(), func(e *event.Event) { e.Status = event.Aborted }),
			want: edit(full, func(m map[string]any) { m["status"] = "aborted" }),
		},
		{
			name: "a deployer without a name or an email sends neither",
			ev:   with(deployment(), func(e *event.Event) { e.ActorName, e.ActorEmail = "", "" }),
			want: edit(full, func(m map[string]any) { delete(m, "deployed_by_name"); delete(m, "deployed_by_email") }),
		},
		{
			name: "a name without an email",
			ev:   with(deployment(), func(e *event.Event) { e.ActorEmail = "" }),
			want: edit(full, func(m map[string]any) { delete(m, "deployed_by_email") }),
		},
		{
			name: "minimal deployment sends the required fields only",
			ev: event.Event{Kind: event.Deployment, Product: "web", Version: "1.2.3", Environment: "staging",
				Status: event.Started, At: at},
			want: map[string]any{"product_name": "web", "version": "1.2.3", "environment_name": "staging",
				"status": "started", "source_system": "github"},
		},
		{
			name: "completed build uses the run as build_url",
			ev:   build(),
			want: fullBuild,
		},
		{
			name: "build-url input wins over the run for a build",
			ev:   with(build(), func(e *event.Event) { e.BuildURL = "https://ci.example.com/builds/5" }),
			want: edit(fullBuild, func(m map[string]any) { m["build_url"] = "https://ci.example.com/builds/5" }),
		},
		{
			name: "started build has started_at and no completed_at",
			ev:   with(build(), func(e *event.Event) { e.Status = event.Started }),
			want: edit(fullBuild, func(m map[string]any) {
				m["status"] = "started"
				m["started_at"] = "2024-05-01T12:30:00Z"
				delete(m, "completed_at")
			}),
		},
		{
			name: "pending build has neither time",
			ev:   with(build(), func(e *event.Event) { e.Status = event.Pending }),
			want: edit(fullBuild, func(m map[string]any) { m["status"] = "pending"; delete(m, "completed_at") }),
		},
		{
			name: "failed build is completed at the time",
			ev:   with(build(), func(e *event.Event) { e.Status = event.Failed }),
			want: edit(fullBuild, func(m map[string]any) { m["status"] = "failed" }),
		},
		{
			name: "build never sends an environment",
			ev:   with(build(), func(e *event.Event) { e.Environment = "production" }),
			want: fullBuild,
		},
		{
			name: "a builder without a name or an email sends neither",
			ev:   with(build(), func(e *event.Event) { e.ActorName, e.ActorEmail = "", "" }),
			want: edit(fullBuild, func(m map[string]any) { delete(m, "built_by_name"); delete(m, "built_by_email") }),
		},
		{
			name: "minimal build sends the required fields only",
			ev:   event.Event{Kind: event.Build, Product: "web", Version: "1.2.3", Status: event.Completed, At: at},
			want: map[string]any{"product_name": "web", "version": "1.2.3", "status": "completed",
				"source_system": "github", "completed_at": "2024-05-01T12:30:00Z"},
		},
		{
			name: "user metadata keeps its JSON types",
			ev: with(deployment(), func(e *event.Event) {
				e.Metadata = map[string]any{"ticket": "OPS-1", "count": 3, "canary": true, "tags": []any{"a", "b"}, "nested": map[string]any{"k": nil}}
			}),
			want: edit(full, func(m map[string]any) {
				m["extra_metadata"] = map[string]any{"ticket": "OPS-1", "count": float64(3), "canary": true, "tags": []any{"a", "b"}, "nested": map[string]any{"k": nil}}
			}),
		},
		{
			name: "no metadata sends no extra_metadata",
			ev:   with(deployment(), func(e *event.Event) { e.Metadata = nil }),
			want: edit(full, func(m map[string]any) { delete(m, "extra_metadata") }),
		},
		{
			name: "time is written in RFC 3339",
			ev:   with(deployment(), func(e *event.Event) { e.At = time.Date(2024, 12, 31, 23, 59, 59, 999, time.UTC) }),
			want: edit(full, func(m map[string]any) { m["completed_at"] = "2024-12-31T23:59:59Z" }),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, err := versioner.Body(tt.ev)
			if err != nil {
				t.Fatalf("Body() error = %v", err)
			}
			sameAsMarshal(t, tt.ev, raw)
			var got map[string]any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("Body() is not a JSON object: %v\n%s", err, raw)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Body() mismatch (-want +got):\n%s", diff)
			}
			// Every field is a JSON string but extra_metadata.
			for k, v := range got {
				if _, ok := v.(string); !ok && k != "extra_metadata" {
					t.Errorf("Body() field %s = %v (%T), want a string", k, v, v)
				}
			}
		})
	}
}

func TestBodyUnencodableMetadata(t *testing.T) {
	t.Parallel()
	ev := with(deployment(), func(e *event.Event) { e.Metadata = map[string]any{"f": func() {}} })
	if _, err := versioner.Body(ev); err == nil {
		t.Errorf("Body() with unencodable metadata succeeded, want an error")
	}
}

// marshalBody is Body's members as json.Marshal writes them, which
// compacts every metadata value again: Body's own encoding, which appends
// the metadata's text as given, must mean the same. (TestBody's table
// checks the members themselves.)
func marshalBody(ev event.Event) ([]byte, error) {
	b := map[string]any{}
	for k, v := range versioner.Fields(ev) {
		b[k] = v
	}
	if ev.Metadata != nil {
		b["extra_metadata"] = ev.Metadata
	}
	return json.Marshal(b)
}

// sameAsMarshal checks that raw, Body's text for ev, is valid JSON that
// decodes to what marshalBody's does, numbers compared by their digits.
func sameAsMarshal(t *testing.T, ev event.Event, raw []byte) {
	t.Helper()
	want, err := marshalBody(ev)
	if err != nil {
		t.Fatalf("json.Marshal of the body: %v", err)
	}
	if !json.Valid(raw) {
		t.Fatalf("Body() is not valid JSON:\n%s", raw)
	}
	if diff := cmp.Diff(decodeNumbers(t, want), decodeNumbers(t, raw)); diff != "" {
		t.Errorf("Body() means something else than json.Marshal's body (-marshal +Body):\n%s", diff)
	}
}

func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return v
}

// TestBodyHostileMetadata: keys and values from testdata/hostile.json, as
// strings, as the JSON text ParseMetadata gives (with the space and
// escapes a user may write), beside numbers too long for a float64.
func TestBodyHostileMetadata(t *testing.T) {
	t.Parallel()
	hostile, err := runner.Hostile("../../testdata/hostile.json")
	if err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	in.WriteString("{\n")
	for i, s := range hostile {
		k, _ := json.Marshal(s)
		fmt.Fprintf(&in, " %s : [ %s , {\"n\": 12345678901234567890.5e-3 } ] ,\n", k, k)
		fmt.Fprintf(&in, "\"k%d\\u003c\\/\":%s,\n", i, k)
	}
	in.WriteString(`"nested":{"a":{"b":[null,true,false,-0.0,"\u2028\ud800"]}}}`)
	meta, err := config.ParseMetadata(in.String())
	if err != nil {
		t.Fatal(err)
	}
	plain := map[string]any{}
	for i, s := range hostile {
		plain[s] = s
		plain[fmt.Sprint("n", i)] = i
	}
	for name, m := range map[string]map[string]any{"parsed": meta, "strings": plain} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, ev := range []event.Event{deployment(), build()} {
				ev.Metadata = m
				ev.Product, ev.Version, ev.ActorName = hostile[len(hostile)-1], hostile[5], hostile[10]
				raw, err := versioner.Body(ev)
				if err != nil {
					t.Fatalf("Body() error = %v", err)
				}
				sameAsMarshal(t, ev, raw)
			}
		})
	}
}

// TestBodyInvalidRawMetadata: JSON text that is not JSON (not from
// ParseMetadata) fails as json.Marshal failed, rather than going out.
func TestBodyInvalidRawMetadata(t *testing.T) {
	t.Parallel()
	for _, v := range []json.RawMessage{json.RawMessage(`{"a":`), json.RawMessage(`1 2`)} {
		ev := with(deployment(), func(e *event.Event) { e.Metadata = map[string]any{"bad": v} })
		if _, err := versioner.Body(ev); err == nil {
			t.Errorf("Body() with metadata %q succeeded, want an error", v)
		}
	}
	ev := with(deployment(), func(e *event.Event) { e.Metadata = map[string]any{"nil": json.RawMessage(nil)} })
	raw, err := versioner.Body(ev)
	if err != nil {
		t.Fatalf("Body() with a nil json.RawMessage: %v", err)
	}
	sameAsMarshal(t, ev, raw)
}

// TestBodyValueMetadata: a rawjson.Value, which ParseMetadata gives, goes
// out as its text, spacing and escapes kept; the zero Value is null.
func TestBodyValueMetadata(t *testing.T) {
	t.Parallel()
	parsed, ok := rawjson.Parse(` { "a" : [1, 2e3, "\u003c"] } `)
	if !ok {
		t.Fatal("Parse() refused the value")
	}
	tests := []struct {
		name string
		v    rawjson.Value
		want string // in the body, after "k":
	}{
		{name: "as written", v: parsed, want: `{ "a" : [1, 2e3, "\u003c"] }`},
		{name: "the zero Value is null", want: `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := with(deployment(), func(e *event.Event) { e.Metadata = map[string]any{"k": tt.v} })
			raw, err := versioner.Body(ev)
			if err != nil {
				t.Fatalf("Body() error = %v", err)
			}
			if want := `"extra_metadata":{"k":` + tt.want + `}`; !bytes.Contains(raw, []byte(want)) {
				t.Errorf("Body() = %s\nwant it to hold %s", raw, want)
			}
			sameAsMarshal(t, ev, raw)
		})
	}
}
