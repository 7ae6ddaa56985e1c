package fake

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const deployBody = `{"product_name":"shop-api","version":"1.2.3","environment_name":"production","status":"deploying",
	"deployed_by":"octocat","scm_sha":"abc123","build_number":"77","extra_metadata":{"vi_gh_workflow":"deploy","n":3}}`

func newVersioner() *Versioner {
	v := NewVersioner(apiKey)
	v.Now = clock
	return v
}

func TestVersionerRequests(t *testing.T) {
	t.Parallel()
	auth, ctype := "Bearer "+apiKey, "application/json"
	tests := []struct {
		name       string
		prefix     string
		method     string
		path       string
		header     []string // replaces the correct client's headers when set
		body       string
		wantStatus int
		wantBody   string // exact JSON when set
		wantEvents int
	}{
		{
			name: "deployment accepted with canonical status", path: "/deployment-events/", body: deployBody,
			wantStatus: 201, wantEvents: 1,
			wantBody: `{"id":"00000000-0000-4000-8000-000000000001","product_id":"00000000-0000-4000-8000-000000000002",
				"product_name":"shop-api","version_id":"00000000-0000-4000-8000-000000000003","version":"1.2.3",
				"environment_id":"00000000-0000-4000-8000-000000000004","environment_name":"production","status":"started",
				"deployed_at":"2026-08-01T12:00:00Z","deployed_by":"octocat","extra_metadata":{"vi_gh_workflow":"deploy","n":3}}`,
		},
		{
			name: "build accepted with canonical status", path: "/build-events/",
			body:       `{"product_name":"shop-api","version":"1.2.3","status":"built","scm_sha":"abc123","completed_at":"2026-08-01T12:05:00Z"}`,
			wantStatus: 201, wantEvents: 1,
			wantBody: `{"id":"00000000-0000-4000-8000-000000000001","product_id":"00000000-0000-4000-8000-000000000002",
				"product_name":"shop-api","version_id":"00000000-0000-4000-8000-000000000003","version":"1.2.3","status":"completed",
				"started_at":"2026-08-01T12:00:00Z","completed_at":"2026-08-01T12:05:00Z","scm_sha":"abc123","built_by":null,"extra_metadata":{}}`,
		},
		{
			name: "every word of the vocabulary maps", path: "/deployment-events/",
			body:       `{"product_name":"p","version":"1","environment_name":"e","status":"cancelled"}`,
			wantStatus: 201, wantEvents: 1,
		},
		{
			name: "deployment refuses a build-only status", path: "/deployment-events/",
			body:       `{"product_name":"p","version":"1","environment_name":"e","status":"building"}`,
			wantStatus: 422,
			wantBody: `{"detail":[{"type":"enum","loc":["body","status"],"input":"building","msg":"Input should be 'pending', 'queued', 'scheduled', ` +
				`'started', 'in_progress', 'init', 'deploying', 'success', 'completed', 'complete', 'finished', 'deployed', 'failed', 'fail', ` +
				`'failure', 'error', 'aborted', 'abort', 'cancelled', 'cancel' or 'skipped'"}]}`,
		},
		{
			name: "build refuses a deployment-only status", path: "/build-events/",
			body: `{"product_name":"p","version":"1","status":"deployed"}`, wantStatus: 422,
		},
		{
			name: "status words are case-sensitive", path: "/build-events/",
			body: `{"product_name":"p","version":"1","status":"SUCCESS"}`, wantStatus: 422,
		},
		{
			name: "missing required fields are all listed", path: "/deployment-events/", body: `{}`, wantStatus: 422,
			wantBody: `{"detail":[
				{"type":"missing","loc":["body","product_name"],"msg":"Field required"},
				{"type":"missing","loc":["body","version"],"msg":"Field required"},
				{"type":"missing","loc":["body","environment_name"],"msg":"Field required"},
				{"type":"missing","loc":["body","status"],"msg":"Field required"}]}`,
		},
		{
			name: "build needs no environment", path: "/build-events/", body: `{"product_name":"p","version":"1","status":"started"}`,
			wantStatus: 201, wantEvents: 1,
		},
		{
			name: "numbers are not strings", path: "/deployment-events/",
			body:       `{"product_name":"p","version":1.5,"environment_name":"e","status":"success","build_number":77}`,
			wantStatus: 422,
			wantBody: `{"detail":[{"type":"string_type","loc":["body","version"],"msg":"Input should be a valid string","input":1.5},
				{"type":"string_type","loc":["body","build_number"],"msg":"Input should be a valid string","input":77}]}`,
		},
		{
			name: "empty required string", path: "/deployment-events/",
			body:       `{"product_name":"","version":"1","environment_name":"e","status":"success"}`,
			wantStatus: 422,
			wantBody:   `{"detail":[{"type":"string_too_short","loc":["body","product_name"],"msg":"String should have at least 1 character","input":""}]}`,
		},
		{
			name: "extra_metadata must be an object", path: "/deployment-events/",
			body:       `{"product_name":"p","version":"1","environment_name":"e","status":"success","extra_metadata":"{}"}`,
			wantStatus: 422,
			wantBody:   `{"detail":[{"type":"dict_type","loc":["body","extra_metadata"],"msg":"Input should be a valid dictionary","input":"{}"}]}`,
		},
		{
			name: "completed_at must be RFC 3339", path: "/deployment-events/",
			body:       `{"product_name":"p","version":"1","environment_name":"e","status":"success","completed_at":"yesterday"}`,
			wantStatus: 422,
		},
		{
			name: "unknown fields and null optionals are ignored", path: "/deployment-events/",
			body:       `{"product_name":"p","version":"1","environment_name":"e","status":"success","colour":7,"scm_sha":null}`,
			wantStatus: 201, wantEvents: 1,
		},
		{
			name: "malformed JSON", path: "/deployment-events/", body: `{"product_name":`, wantStatus: 400,
			wantBody: `{"detail":"There was an error parsing the body: a JSON object is required"}`,
		},
		{name: "JSON array", path: "/deployment-events/", body: `[]`, wantStatus: 400},
		{name: "JSON null", path: "/build-events/", body: `null`, wantStatus: 400},
		{
			name: "missing content type", path: "/deployment-events/", header: []string{"Authorization", auth}, body: deployBody,
			wantStatus: 400, wantBody: `{"detail":"Content-Type must be application/json"}`,
		},
		{
			name: "text content type", path: "/deployment-events/", header: []string{"Authorization", auth, "Content-Type", "text/plain"},
			body: deployBody, wantStatus: 400,
		},
		{
			name: "content type with charset", path: "/deployment-events/",
			header: []string{"Authorization", auth, "Content-Type", "application/json; charset=utf-8"}, body: deployBody,
			wantStatus: 201, wantEvents: 1,
		},
		{
			name: "missing key", path: "/deployment-events/", header: []string{"Content-Type", ctype}, body: deployBody,
			wantStatus: 401, wantBody: `{"detail":"Invalid authentication credentials"}`,
		},
		{
			name: "wrong key", path: "/deployment-events/", header: []string{"Authorization", "Bearer sk_other", "Content-Type", ctype},
			body: deployBody, wantStatus: 401,
		},
		{
			name: "key without Bearer", path: "/build-events/", header: []string{"Authorization", apiKey, "Content-Type", ctype},
			body: deployBody, wantStatus: 401,
		},
		{
			name: "lower-case bearer scheme", path: "/deployment-events/",
			header: []string{"Authorization", "bearer " + apiKey, "Content-Type", ctype}, body: deployBody,
			wantStatus: 201, wantEvents: 1,
		},
		{
			name: "route without trailing slash", path: "/deployment-events", body: deployBody,
			wantStatus: 404, wantBody: `{"detail":"Not found"}`,
		},
		{name: "unknown route", path: "/v1/deployment-events/", body: deployBody, wantStatus: 404},
		{
			name: "GET on an event route", method: http.MethodGet, path: "/build-events/",
			wantStatus: 405, wantBody: `{"detail":"Method Not Allowed"}`,
		},
		{
			name: "health needs no key", method: http.MethodGet, path: "/health", header: []string{},
			wantStatus: 200, wantBody: `{"status":"ok"}`,
		},
		{name: "POST on health", path: "/health", body: `{}`, wantStatus: 405},
		{
			name: "routes under a path prefix", prefix: "/versioner/", path: "/versioner/deployment-events/", body: deployBody,
			wantStatus: 201, wantEvents: 1,
		},
		{name: "health under a path prefix", prefix: "/versioner", method: http.MethodGet, path: "/versioner/health", wantStatus: 200},
		{name: "prefix is required when set", prefix: "/versioner", path: "/deployment-events/", body: deployBody, wantStatus: 404},
		{name: "prefix must be a whole segment", prefix: "/versioner", path: "/versionerx/deployment-events/", body: deployBody, wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVersioner()
			v.PathPrefix = tt.prefix
			srv := start(t, v)
			header := versionerHeaders
			if tt.header != nil {
				header = tt.header
			}
			method := cmpOr(tt.method, http.MethodPost)
			got := send(t, srv, method, tt.path, tt.body, header...)
			if got.status != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", got.status, tt.wantStatus, got.body)
			}
			if ct := got.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if tt.wantBody != "" {
				sameJSON(t, got.body, tt.wantBody)
			}
			if n := len(v.Events()); n != tt.wantEvents {
				t.Errorf("%d events recorded, want %d", n, tt.wantEvents)
			}
			reqs := v.Requests()
			if len(reqs) != 1 || reqs[0].Status != tt.wantStatus || reqs[0].Method != method || reqs[0].Path != tt.path || string(reqs[0].Body) != tt.body {
				t.Errorf("request log = %+v", reqs)
			}
		})
	}
}

func cmpOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func TestVersionerStableIDs(t *testing.T) {
	t.Parallel()
	srv := start(t, newVersioner())
	event := func(product, version, env string) map[string]any {
		a := vpost(t, srv, "/deployment-events/",
			fmt.Sprintf(`{"product_name":%q,"version":%q,"environment_name":%q,"status":"success"}`, product, version, env))
		if a.status != 201 {
			t.Fatalf("status %d: %s", a.status, a.body)
		}
		return decodeJSON(t, a.body).(map[string]any)
	}
	first := event("shop-api", "1.2.3", "production")
	again := event("shop-api", "1.2.3", "production")
	next := event("shop-api", "1.2.4", "staging")
	other := event("billing", "1.2.3", "production")
	build := decodeJSON(t, vpost(t, srv, "/build-events/", `{"product_name":"shop-api","version":"1.2.4","status":"success"}`).body).(map[string]any)

	same := func(what string, a, b any) {
		t.Helper()
		if a != b {
			t.Errorf("%s: %v != %v", what, a, b)
		}
	}
	differ := func(what string, a, b any) {
		t.Helper()
		if a == b {
			t.Errorf("%s: both %v", what, a)
		}
	}
	same("product_id for the same product", first["product_id"], again["product_id"])
	same("product_id across versions", first["product_id"], next["product_id"])
	same("version_id for the same version", first["version_id"], again["version_id"])
	same("environment_id for the same environment", first["environment_id"], other["environment_id"])
	same("version_id shared by build and deployment", next["version_id"], build["version_id"])
	differ("event id", first["id"], again["id"])
	differ("version_id across versions", first["version_id"], next["version_id"])
	differ("version_id across products", first["version_id"], other["version_id"])
	differ("product_id across products", first["product_id"], other["product_id"])
	differ("environment_id across environments", first["environment_id"], next["environment_id"])
}

func TestVersionerVersionImmutability(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		path, body string
		wantStatus int
		wantBody   string
	}{
		{name: "same SHA again", path: "/build-events/", body: `{"product_name":"shop-api","version":"1.2.3","status":"success","scm_sha":"aaa"}`, wantStatus: 201},
		{name: "build without SHA", path: "/build-events/", body: `{"product_name":"shop-api","version":"1.2.3","status":"success"}`, wantStatus: 201},
		{
			name: "build with another SHA", path: "/build-events/", body: `{"product_name":"shop-api","version":"1.2.3","status":"success","scm_sha":"bbb"}`,
			wantStatus: 409, wantBody: `{"detail":"Version 1.2.3 of shop-api already exists with a different SHA"}`,
		},
		{name: "another version", path: "/build-events/", body: `{"product_name":"shop-api","version":"1.2.4","status":"success","scm_sha":"bbb"}`, wantStatus: 201},
		{name: "another product", path: "/build-events/", body: `{"product_name":"billing","version":"1.2.3","status":"success","scm_sha":"bbb"}`, wantStatus: 201},
		{
			name: "deployment events are not checked", path: "/deployment-events/",
			body: `{"product_name":"shop-api","version":"1.2.3","environment_name":"e","status":"success","scm_sha":"bbb"}`, wantStatus: 201,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVersioner()
			srv := start(t, v)
			vpost(t, srv, "/build-events/", `{"product_name":"shop-api","version":"1.2.3","status":"started","scm_sha":"aaa"}`)
			got := vpost(t, srv, tt.path, tt.body)
			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", got.status, tt.wantStatus, got.body)
			}
			if tt.wantBody != "" {
				sameJSON(t, got.body, tt.wantBody)
			}
			if want := 1 + btoi(got.status == 201); len(v.Events()) != want {
				t.Errorf("%d events, want %d", len(v.Events()), want)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestVersionerPreflight(t *testing.T) {
	t.Parallel()
	window := Rejection{Product: "shop-api", Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "Deployments are frozen",
		RetryAfter: "2026-08-03T08:00:00Z", RuleName: "weekend freeze"}
	tests := []struct {
		name       string
		rejections []Rejection
		body       string
		wantStatus int
		wantBody   string
	}{
		{
			name: "started deployment blocked", rejections: []Rejection{window}, body: deployBody, wantStatus: 423,
			wantBody: `{"detail":{"error":"deployment_blocked","message":"Deployments are frozen","code":"NO_DEPLOY_WINDOW",
				"retry_after":"2026-08-03T08:00:00Z","details":{"rule_name":"weekend freeze"}}}`,
		},
		{
			name: "top-level shape", body: deployBody, wantStatus: 428,
			rejections: []Rejection{{Product: "shop-api", Status: 428, Code: "APPROVAL_REQUIRED", Message: "Needs approval", RuleName: "qa sign-off", TopLevel: true}},
			wantBody:   `{"error":"deployment_blocked","message":"Needs approval","code":"APPROVAL_REQUIRED","details":{"rule_name":"qa sign-off"}}`,
		},
		{
			name: "concurrent deployment", body: deployBody, wantStatus: 409,
			rejections: []Rejection{{Product: "shop-api", Status: 409, Code: "CONCURRENT_DEPLOYMENT", Message: "busy"}},
		},
		{name: "empty product blocks every product", rejections: []Rejection{{Status: 423, Code: "NO_DEPLOY_WINDOW"}}, body: deployBody, wantStatus: 423},
		{name: "other product passes", rejections: []Rejection{{Product: "billing", Status: 423}}, body: deployBody, wantStatus: 201},
		{
			name: "completed event passes", rejections: []Rejection{window}, wantStatus: 201,
			body: `{"product_name":"shop-api","version":"1","environment_name":"e","status":"success"}`,
		},
		{
			name: "build event passes", rejections: []Rejection{window}, wantStatus: 201,
			body: `{"product_name":"shop-api","version":"1","status":"building"}`,
		},
		{name: "lifted rejection", rejections: []Rejection{window, {Product: "shop-api"}}, body: deployBody, wantStatus: 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVersioner()
			for _, r := range tt.rejections {
				v.RejectPreflight(r)
			}
			srv := start(t, v)
			path := "/deployment-events/"
			if strings.Contains(tt.body, "building") {
				path = "/build-events/"
			}
			got := vpost(t, srv, path, tt.body)
			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", got.status, tt.wantStatus, got.body)
			}
			if tt.wantBody != "" {
				sameJSON(t, got.body, tt.wantBody)
			}
			if want := btoi(got.status == 201); len(v.Events()) != want {
				t.Errorf("%d events, want %d (a rejected event is not recorded)", len(v.Events()), want)
			}
		})
	}
}

func TestVersionerReportOnlyRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(*Versioner)
		path    string
		body    string
		want    any // extra_metadata of the answer
		wantLen int // number of rules, when want is nil
	}{
		{
			name: "no rules, metadata echoed", setup: func(*Versioner) {}, path: "/deployment-events/", body: deployBody,
			want: map[string]any{"vi_gh_workflow": "deploy", "n": 3.0},
		},
		{
			name: "report-only failure listed", path: "/deployment-events/", body: deployBody,
			setup: func(v *Versioner) { v.ReportOnly("soak time", "staging soaked 2h of 24h"); v.PassingRules(1) },
			want: map[string]any{"vi_gh_workflow": "deploy", "n": 3.0, "preflight_status": map[string]any{"rules_evaluated": []any{
				map[string]any{"rule_name": "soak time", "status": "report_only", "evaluation_result": "failed", "error_message": "staging soaked 2h of 24h"},
				map[string]any{"rule_name": "passing-rule-2", "status": "enforced", "evaluation_result": "passed"},
			}}},
		},
		{
			name: "builds carry no preflight status", path: "/build-events/", body: `{"product_name":"p","version":"1","status":"built"}`,
			setup: func(v *Versioner) { v.ReportOnly("soak time", "x") },
			want:  map[string]any{},
		},
		{
			name: "500 rules", path: "/deployment-events/", body: deployBody,
			setup: func(v *Versioner) { v.PassingRules(499); v.ReportOnly("last", "fails") }, wantLen: 500,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVersioner()
			tt.setup(v)
			got := vpost(t, start(t, v), tt.path, tt.body)
			if got.status != 201 {
				t.Fatalf("status %d: %s", got.status, got.body)
			}
			meta := field(t, got.body, "extra_metadata")
			if tt.want == nil {
				rules := meta.(map[string]any)["preflight_status"].(map[string]any)["rules_evaluated"].([]any)
				if len(rules) != tt.wantLen || rules[tt.wantLen-1].(map[string]any)["rule_name"] != "last" {
					t.Errorf("%d rules, last %v", len(rules), rules[len(rules)-1])
				}
				return
			}
			if diff := cmp.Diff(tt.want, meta); diff != "" {
				t.Errorf("extra_metadata (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVersionerIdempotency(t *testing.T) {
	t.Parallel()
	other := `{"product_name":"shop-api","version":"1.2.3","environment_name":"production","status":"success"}`
	tests := []struct {
		name       string
		faults     []Fault
		first      string // body of the first POST to /deployment-events/
		second     string // path and body of the second, same key
		secondPath string
		wantStatus int
		wantSame   bool // the second answer repeats the first
		wantEvents int
	}{
		{name: "retry replays the answer", first: deployBody, second: deployBody, wantStatus: 201, wantSame: true, wantEvents: 1},
		{name: "key is scoped to the path", first: deployBody, secondPath: "/build-events/", second: `{"product_name":"p","version":"1","status":"built"}`, wantStatus: 201, wantEvents: 2},
		{name: "key reused for another event", first: deployBody, second: other, wantStatus: 422, wantEvents: 1},
		{name: "errors are not remembered", first: `{}`, second: deployBody, wantStatus: 201, wantEvents: 1},
		{
			name: "injected failure is not remembered", first: deployBody, second: deployBody, wantStatus: 201, wantEvents: 1,
			faults: []Fault{{Status: 503, Body: `{"detail":"Service Unavailable"}`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVersioner()
			v.Inject(tt.faults...)
			srv := start(t, v)
			a := vpost(t, srv, "/deployment-events/", tt.first, "Idempotency-Key", "run-1-attempt-1")
			b := vpost(t, srv, cmpOr(tt.secondPath, "/deployment-events/"), tt.second, "Idempotency-Key", "run-1-attempt-1")
			if b.status != tt.wantStatus {
				t.Fatalf("second status = %d, want %d: %s", b.status, tt.wantStatus, b.body)
			}
			if same := a.status == b.status && a.body == b.body; same != tt.wantSame {
				t.Errorf("answers same = %v, want %v:\n%s\n%s", same, tt.wantSame, a.body, b.body)
			}
			events := v.Events()
			if len(events) != tt.wantEvents {
				t.Fatalf("%d events, want %d", len(events), tt.wantEvents)
			}
			if events[0].IdempotencyKey != "run-1-attempt-1" {
				t.Errorf("IdempotencyKey = %q", events[0].IdempotencyKey)
			}
			if n := len(v.Requests()); n != 2 {
				t.Errorf("%d requests logged, want 2", n)
			}
		})
	}
}

func TestVersionerEventsAreCopies(t *testing.T) {
	t.Parallel()
	v := newVersioner()
	vpost(t, start(t, v), "/deployment-events/", deployBody)
	v.Events()[0].Body["extra_metadata"].(map[string]any)["n"] = "changed"
	want := Event{Kind: "deployment", Body: decodeJSON(t, deployBody).(map[string]any)}
	if diff := cmp.Diff([]Event{want}, v.Events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestVersionerPreflightShapes: the fake words a rejection the ways servers do, not only the
// documented way, so that clients are tested against each.
func TestVersionerPreflightShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rejection Rejection
		wantType  string
		wantBody  string // JSON when wantType is JSON, else the exact text
	}{
		{
			name:      "no error field, under detail",
			rejection: Rejection{Status: 409, Code: "DEPLOYMENT_IN_PROGRESS", Message: "Deployment in progress", Shape: ShapeNoError},
			wantType:  "application/json",
			wantBody:  `{"detail":{"message":"Deployment in progress","code":"DEPLOYMENT_IN_PROGRESS"}}`,
		},
		{
			name: "no error field, at the top level",
			rejection: Rejection{Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "Frozen", RetryAfter: "2026-08-03T08:00:00Z",
				RuleName: "weekend freeze", Shape: ShapeNoError, TopLevel: true},
			wantType: "application/json",
			wantBody: `{"message":"Frozen","code":"NO_DEPLOY_WINDOW","retry_after":"2026-08-03T08:00:00Z","details":{"rule_name":"weekend freeze"}}`,
		},
		{
			name:      "a string detail",
			rejection: Rejection{Status: 423, Code: "ignored", Message: "Deployments are frozen", Shape: ShapeString},
			wantType:  "application/json",
			wantBody:  `{"detail":"Deployments are frozen"}`,
		},
		{
			name:      "text/plain",
			rejection: Rejection{Status: 428, Code: "ignored", Message: "Needs approval", Shape: ShapeText},
			wantType:  "text/plain; charset=utf-8",
			wantBody:  "Needs approval\n",
		},
		{
			name:      "an empty body",
			rejection: Rejection{Status: 409, Message: "ignored", Shape: ShapeEmpty},
			wantType:  "application/json",
			wantBody:  "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVersioner()
			v.RejectPreflight(tt.rejection)
			srv := start(t, v)
			got := vpost(t, srv, "/deployment-events/", deployBody)
			if got.status != tt.rejection.Status {
				t.Fatalf("status = %d, want %d: %s", got.status, tt.rejection.Status, got.body)
			}
			if ct := got.header.Get("Content-Type"); ct != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", ct, tt.wantType)
			}
			if tt.wantType == "application/json" && tt.wantBody != "" {
				sameJSON(t, got.body, tt.wantBody)
			} else if got.body != tt.wantBody {
				t.Errorf("body = %q, want %q", got.body, tt.wantBody)
			}
			if n := len(v.Events()); n != 0 {
				t.Errorf("%d events, want 0 (a rejected event is not recorded)", n)
			}
		})
	}
}

func TestVersionerRejectPreflightUnknownShape(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("RejectPreflight with an unknown shape did not panic")
		}
	}()
	newVersioner().RejectPreflight(Rejection{Status: 423, Shape: "xml"})
}
