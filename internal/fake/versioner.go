package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Versioner fakes the Versioner event API as its public documentation describes it (summarised in
// the project's reference notes, versioner-api.md): a FastAPI service, so errors are
// {"detail": ...} and validation errors list every problem with its location. No live server is
// reachable from CI, so this fake is the contract.
//
// Where the real service is lenient and the reference is not, the fake is strict so that client
// bugs surface in tests: Content-Type must be JSON (400 otherwise), required fields must be
// non-empty strings, and status words are case-sensitive.
//
// An Idempotency-Key header makes a retry safe: a later POST to the same route with the same key
// and the same body gets the first answer again and records nothing. Only successful answers are
// remembered, so a retry after a 5xx, a validation error or a preflight rejection is evaluated
// afresh; the same key with a different body is a 422 (the key was reused by mistake).
type Versioner struct {
	recorder

	// PathPrefix is prepended to every route, for a base URL with a path such as
	// https://host/versioner. Set it before serving.
	PathPrefix string
	// Now is the fake's clock (default time.Now). Set it before serving.
	Now func() time.Time

	apiKey     string
	mu         sync.Mutex
	seq        int               // last counter used for a UUID
	ids        map[string]string // "product\x00name" and friends -> UUID
	shas       map[string]string // product\x00version -> first scm_sha seen
	events     []Event
	rejections map[string]Rejection
	rules      []map[string]any // preflight_status.rules_evaluated
	idem       map[string]idemEntry
}

// Event is an event the fake Versioner accepted.
type Event struct {
	Kind           string         // "deployment" or "build"
	Body           map[string]any // the request body as decoded JSON
	IdempotencyKey string         // the Idempotency-Key header, if any
}

// Rejection scripts a preflight rejection of a product's deployment "started" events, the way an
// account's rules (no-deploy window, approval required, ...) block a deployment.
type Rejection struct {
	Product    string // "" rejects every product
	Status     int    // 409, 423 or 428; 0 lifts the product's rejection
	Code       string // e.g. NO_DEPLOY_WINDOW, APPROVAL_REQUIRED
	Message    string
	RetryAfter string // RFC 3339; omitted from the body when empty
	RuleName   string
	TopLevel   bool // send the object at the top level instead of under "detail", as some servers do
	// Shape is how the body words the rejection; the zero value is the documented object.
	Shape RejectionShape
}

// RejectionShape is how a rejection's body looks. The reference documents one object, but servers
// (and versions of them) send others, and a client must read a 409, 423 or 428 on a deployment
// as a rejection whatever its body.
type RejectionShape string

// The shapes a rejection's body takes.
const (
	// ShapeDocumented is {"detail": {"error": "deployment_blocked", "message", "code",
	// "retry_after", "details": {"rule_name"}}}, or the object alone with TopLevel.
	ShapeDocumented RejectionShape = ""
	// ShapeNoError is the object without "error", with only the fields that are set:
	// {"detail": {"message": "Deployment in progress", "code": "DEPLOYMENT_IN_PROGRESS"}}, the shape
	// the official action's tests use. TopLevel applies.
	ShapeNoError RejectionShape = "no-error"
	// ShapeString is {"detail": "<Message>"}.
	ShapeString RejectionShape = "string"
	// ShapeText is the Message alone, as text/plain.
	ShapeText RejectionShape = "text"
	// ShapeEmpty is no body at all.
	ShapeEmpty RejectionShape = "empty"
)

type idemEntry struct {
	body []byte // the request body, to spot a key reused for a different event
	rp   reply
}

// NewVersioner returns a fake that accepts `Authorization: Bearer <apiKey>`.
func NewVersioner(apiKey string) *Versioner {
	return &Versioner{
		apiKey:     apiKey,
		ids:        map[string]string{},
		shas:       map[string]string{},
		rejections: map[string]Rejection{},
		idem:       map[string]idemEntry{},
	}
}

// endpoint describes one event route: its fields and its status vocabulary.
type endpoint struct {
	kind     string
	required []string
	optional []string
	words    []string          // accepted status words, in the reference's order
	status   map[string]string // accepted word -> canonical state
}

func newEndpoint(kind string, required, optional []string, started, completed string) endpoint {
	table := [][]string{
		{"pending", "pending", "queued", "scheduled"},
		{"started", "started", "in_progress", "init", started},
		{"completed", "success", "completed", "complete", "finished", completed},
		{"failed", "failed", "fail", "failure", "error"},
		{"aborted", "aborted", "abort", "cancelled", "cancel", "skipped"},
	}
	e := endpoint{kind: kind, required: required, optional: optional, status: map[string]string{}}
	for _, row := range table {
		for _, w := range row[1:] {
			e.words = append(e.words, w)
			e.status[w] = row[0]
		}
	}
	return e
}

var (
	deploymentEndpoint = newEndpoint("deployment",
		[]string{"product_name", "version", "environment_name", "status"},
		[]string{"deployed_by", "deployed_by_email", "deployed_by_name", "scm_repository", "scm_sha", "scm_branch",
			"build_url", "deploy_url", "build_number", "source_system", "invoke_id", "completed_at"},
		"deploying", "deployed")
	buildEndpoint = newEndpoint("build",
		[]string{"product_name", "version", "status"},
		[]string{"built_by", "built_by_email", "built_by_name", "scm_repository", "scm_sha", "scm_branch", "build_url",
			"build_number", "source_system", "invoke_id", "started_at", "completed_at", "error_message", "error_code"},
		"building", "built")
)

// fieldError is one entry of a FastAPI 422 body.
type fieldError struct {
	Type  string `json:"type"`
	Loc   []any  `json:"loc"`
	Msg   string `json:"msg"`
	Input any    `json:"input,omitempty"`
}

// validate checks body like the service's pydantic model: every problem, in field order.
// Optional fields may be null (pydantic's Optional[str]); unknown fields are ignored.
func (e endpoint) validate(body map[string]any) []fieldError {
	var errs []fieldError
	add := func(field, typ, msg string, input any) {
		errs = append(errs, fieldError{Type: typ, Loc: []any{"body", field}, Msg: msg, Input: input})
	}
	for _, f := range e.required {
		v, ok := body[f]
		s, isString := v.(string)
		switch {
		case !ok:
			add(f, "missing", "Field required", nil)
		case !isString:
			add(f, "string_type", "Input should be a valid string", v)
		case s == "":
			add(f, "string_too_short", "String should have at least 1 character", v)
		case f == "status" && e.status[s] == "":
			add(f, "enum", "Input should be "+quoteList(e.words), v)
		}
	}
	for _, f := range e.optional {
		v := body[f]
		s, isString := v.(string)
		switch {
		case v == nil:
		case !isString:
			add(f, "string_type", "Input should be a valid string", v)
		case strings.HasSuffix(f, "_at"):
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				add(f, "datetime_from_date_parsing", "Input should be a valid datetime or date", v)
			}
		}
	}
	if v := body["extra_metadata"]; v != nil {
		if _, ok := v.(map[string]any); !ok {
			add("extra_metadata", "dict_type", "Input should be a valid dictionary", v)
		}
	}
	return errs
}

// quoteList renders words the way pydantic lists enum members: 'a', 'b' or 'c'.
func quoteList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + w + "'"
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func detail(status int, d any) reply { return jsonReply(status, map[string]any{"detail": d}) }

// ServeHTTP implements http.Handler.
func (v *Versioner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.serve(w, r, func(h http.Header) { h.Set("Content-Type", "application/json") }, v.handle)
}

func (v *Versioner) handle(r *http.Request, body []byte) reply {
	var ep *endpoint
	method := http.MethodPost
	switch rest, ok := strings.CutPrefix(r.URL.Path, strings.TrimSuffix(v.PathPrefix, "/")); {
	case !ok:
		return detail(http.StatusNotFound, "Not found")
	case rest == "/health":
		method = http.MethodGet
	case rest == "/deployment-events/":
		ep = &deploymentEndpoint
	case rest == "/build-events/":
		ep = &buildEndpoint
	default: // including the routes without their trailing slash
		return detail(http.StatusNotFound, "Not found")
	}
	if r.Method != method {
		rp := detail(http.StatusMethodNotAllowed, "Method Not Allowed")
		rp.header = http.Header{"Allow": {method}}
		return rp
	}
	if ep == nil {
		return jsonReply(http.StatusOK, map[string]string{"status": "ok"})
	}
	if scheme, key, _ := strings.Cut(r.Header.Get("Authorization"), " "); !strings.EqualFold(scheme, "Bearer") || key != v.apiKey || key == "" {
		rp := detail(http.StatusUnauthorized, "Invalid authentication credentials")
		rp.header = http.Header{"Www-Authenticate": {"Bearer"}}
		return rp
	}

	v.mu.Lock()
	defer v.mu.Unlock()
	key := r.Header.Get("Idempotency-Key")
	if key != "" {
		if seen, ok := v.idem[r.URL.Path+"\x00"+key]; ok {
			if !bytes.Equal(seen.body, body) {
				return detail(http.StatusUnprocessableEntity, "Idempotency-Key "+key+" was already used with a different request body")
			}
			return seen.rp
		}
	}
	rp := v.accept(r, *ep, body, key)
	if key != "" && rp.status/100 == 2 {
		v.idem[r.URL.Path+"\x00"+key] = idemEntry{body: body, rp: rp}
	}
	return rp
}

// accept validates and records one event. v.mu is held.
func (v *Versioner) accept(r *http.Request, ep endpoint, raw []byte, key string) reply {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		// FastAPI would not parse a non-JSON body at all; the reference requires the header, so
		// the fake answers 400 like its other body-parsing errors rather than 415.
		return detail(http.StatusBadRequest, "Content-Type must be application/json")
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		return detail(http.StatusBadRequest, "There was an error parsing the body: a JSON object is required")
	}
	if errs := ep.validate(body); len(errs) > 0 {
		return detail(http.StatusUnprocessableEntity, errs)
	}

	str := func(f string) string { s, _ := body[f].(string); return s }
	product, version, sha := str("product_name"), str("version"), str("scm_sha")
	canonical := ep.status[str("status")]
	versionKey := product + "\x00" + version
	if ep.kind == "deployment" && canonical == "started" {
		if rej, ok := v.rejections[product]; ok {
			return rejectionReply(rej)
		} else if rej, ok := v.rejections[""]; ok {
			return rejectionReply(rej)
		}
	}
	if old, ok := v.shas[versionKey]; ok && sha != "" && old != sha && ep.kind == "build" {
		return detail(http.StatusConflict, fmt.Sprintf("Version %s of %s already exists with a different SHA", version, product))
	}
	if _, ok := v.shas[versionKey]; !ok && sha != "" {
		v.shas[versionKey] = sha
	}

	now := v.now()
	meta := map[string]any{}
	if m, ok := body["extra_metadata"].(map[string]any); ok {
		meta = cloneJSON(m).(map[string]any)
	}
	resp := map[string]any{
		"id":             v.uuid(),
		"product_id":     v.id("product", product),
		"product_name":   product,
		"version_id":     v.id("version", versionKey),
		"version":        version,
		"status":         canonical,
		"extra_metadata": meta,
	}
	if ep.kind == "deployment" {
		if len(v.rules) > 0 {
			meta["preflight_status"] = map[string]any{"rules_evaluated": cloneJSON(v.rules)}
		}
		resp["environment_id"] = v.id("environment", str("environment_name"))
		resp["environment_name"] = str("environment_name")
		resp["deployed_at"] = now
		resp["deployed_by"] = body["deployed_by"]
	} else {
		resp["started_at"] = now
		if s := str("started_at"); s != "" {
			resp["started_at"] = s
		}
		resp["completed_at"] = body["completed_at"]
		resp["scm_sha"] = body["scm_sha"]
		resp["built_by"] = body["built_by"]
	}
	v.events = append(v.events, Event{Kind: ep.kind, Body: body, IdempotencyKey: key})
	return jsonReply(http.StatusCreated, resp)
}

func rejectionReply(r Rejection) reply {
	switch r.Shape {
	case ShapeString:
		return detail(r.Status, r.Message)
	case ShapeText:
		return reply{status: r.Status, header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, body: []byte(r.Message + "\n")}
	case ShapeEmpty:
		return reply{status: r.Status}
	}
	obj := map[string]any{
		"error":   "deployment_blocked",
		"message": r.Message,
		"code":    r.Code,
		"details": map[string]any{"rule_name": r.RuleName},
	}
	if r.RetryAfter != "" {
		obj["retry_after"] = r.RetryAfter
	}
	if r.Shape == ShapeNoError {
		delete(obj, "error")
		for k, v := range map[string]string{"message": r.Message, "code": r.Code, "details": r.RuleName} {
			if v == "" {
				delete(obj, k)
			}
		}
	}
	if r.TopLevel {
		return jsonReply(r.Status, obj)
	}
	return detail(r.Status, obj)
}

func (v *Versioner) now() string {
	if v.Now != nil {
		return v.Now().UTC().Format(time.RFC3339)
	}
	return time.Now().UTC().Format(time.RFC3339)
}

// uuid returns a fresh, deterministic UUID (version 4 layout, counter in the last group).
func (v *Versioner) uuid() string {
	v.seq++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", v.seq)
}

// id returns the stable UUID of a named thing, minting it on first use.
func (v *Versioner) id(kind, name string) string {
	k := kind + "\x00" + name
	if id, ok := v.ids[k]; ok {
		return id
	}
	v.ids[k] = v.uuid()
	return v.ids[k]
}

// RejectPreflight makes deployment "started" events for r.Product fail the preflight check with
// r.Status, until lifted by a Rejection with Status 0. Rejected events are not recorded.
func (v *Versioner) RejectPreflight(r Rejection) {
	switch r.Shape {
	case ShapeDocumented, ShapeNoError, ShapeString, ShapeText, ShapeEmpty:
	default:
		panic(fmt.Sprintf("fake: RejectPreflight: unknown shape %q", r.Shape))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if r.Status == 0 {
		delete(v.rejections, r.Product)
		return
	}
	v.rejections[r.Product] = r
}

// ReportOnly adds a report-only rule that fails: every later deployment response lists it in
// extra_metadata.preflight_status.rules_evaluated, a warning the client must show, not a failure.
func (v *Versioner) ReportOnly(ruleName, message string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.rules = append(v.rules, map[string]any{
		"rule_name": ruleName, "status": "report_only", "evaluation_result": "failed", "error_message": message,
	})
}

// PassingRules adds n enforced rules that pass, to make deployment responses as large as an
// account with many rules makes them.
func (v *Versioner) PassingRules(n int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for range n {
		v.rules = append(v.rules, map[string]any{
			"rule_name": fmt.Sprintf("passing-rule-%d", len(v.rules)+1), "status": "enforced", "evaluation_result": "passed",
		})
	}
}

// Events returns a copy of the events accepted so far, oldest first. Rejected requests and
// idempotent replays are not events.
func (v *Versioner) Events() []Event {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]Event, len(v.events))
	for i, e := range v.events {
		out[i] = Event{Kind: e.Kind, Body: cloneJSON(e.Body).(map[string]any), IdempotencyKey: e.IdempotencyKey}
	}
	return out
}

// cloneJSON deep-copies a decoded JSON value.
func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = cloneJSON(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = cloneJSON(x)
		}
		return out
	case []map[string]any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = cloneJSON(x)
		}
		return out
	}
	return v
}
