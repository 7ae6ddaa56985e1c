package versioner_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

// Preflight rejections are policy decisions: a typed error, never retried.
func TestRecordPreflight(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		want    *versioner.PreflightError
		wantMsg string
	}{
		{
			name:   "423 no-deploy window under detail",
			status: http.StatusLocked,
			body: `{"detail":{"error":"deployment_blocked","message":"Deployments to production are frozen until Monday",
				"code":"NO_DEPLOY_WINDOW","retry_after":"2024-05-06T08:00:00Z","details":{"rule_name":"Weekend freeze","window":"Fri 16:00-Mon 08:00"}}}`,
			want: &versioner.PreflightError{Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "Deployments to production are frozen until Monday",
				RetryAfter: "2024-05-06T08:00:00Z", RuleName: "Weekend freeze"},
			wantMsg: `Versioner blocked the deployment (NO_DEPLOY_WINDOW) by rule "Weekend freeze": Deployments to production are frozen until Monday; retry after 2024-05-06T08:00:00Z`,
		},
		{
			name:    "423 at the top level",
			status:  http.StatusLocked,
			body:    `{"error":"deployment_blocked","message":"Frozen","code":"NO_DEPLOY_WINDOW","retry_after":"2024-05-06T08:00:00Z"}`,
			want:    &versioner.PreflightError{Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "Frozen", RetryAfter: "2024-05-06T08:00:00Z"},
			wantMsg: "Versioner blocked the deployment (NO_DEPLOY_WINDOW): Frozen; retry after 2024-05-06T08:00:00Z",
		},
		{
			name:    "428 approval required under detail",
			status:  http.StatusPreconditionRequired,
			body:    `{"detail":{"error":"deployment_blocked","message":"Needs 2 approvals","code":"APPROVAL_REQUIRED","details":{"rule_name":"Prod approval"}}}`,
			want:    &versioner.PreflightError{Status: 428, Code: "APPROVAL_REQUIRED", Message: "Needs 2 approvals", RuleName: "Prod approval"},
			wantMsg: `Versioner blocked the deployment (APPROVAL_REQUIRED) by rule "Prod approval": Needs 2 approvals`,
		},
		{
			name:   "428 soak time at the top level",
			status: http.StatusPreconditionRequired,
			body:   `{"error":"deployment_blocked","message":"1.2.3 soaked 10m in staging, 1h needed","code":"INSUFFICIENT_SOAK_TIME","retry_after":"2024-05-01T13:20:00Z","details":{"rule_name":"Soak"}}`,
			want: &versioner.PreflightError{Status: 428, Code: "INSUFFICIENT_SOAK_TIME", Message: "1.2.3 soaked 10m in staging, 1h needed",
				RetryAfter: "2024-05-01T13:20:00Z", RuleName: "Soak"},
		},
		{
			name:    "428 flow violation",
			status:  http.StatusPreconditionRequired,
			body:    `{"detail":{"error":"deployment_blocked","message":"Deploy to staging first","code":"FLOW_VIOLATION"}}`,
			want:    &versioner.PreflightError{Status: 428, Code: "FLOW_VIOLATION", Message: "Deploy to staging first"},
			wantMsg: "Versioner blocked the deployment (FLOW_VIOLATION): Deploy to staging first",
		},
		{
			name:    "409 concurrent deployment under detail",
			status:  http.StatusConflict,
			body:    `{"detail":{"error":"deployment_blocked","message":"web 1.2.2 is deploying to production","code":"CONCURRENT_DEPLOYMENT"}}`,
			want:    &versioner.PreflightError{Status: 409, Code: "CONCURRENT_DEPLOYMENT", Message: "web 1.2.2 is deploying to production"},
			wantMsg: "Versioner blocked the deployment (CONCURRENT_DEPLOYMENT): web 1.2.2 is deploying to production",
		},
		{
			name:   "409 concurrent deployment at the top level",
			status: http.StatusConflict,
			body:   `{"error":"deployment_blocked","message":"busy","code":"CONCURRENT_DEPLOYMENT"}`,
			want:   &versioner.PreflightError{Status: 409, Code: "CONCURRENT_DEPLOYMENT", Message: "busy"},
		},
		{
			name:    "blocked without a code",
			status:  http.StatusLocked,
			body:    `{"detail":{"error":"deployment_blocked","message":"Frozen"}}`,
			want:    &versioner.PreflightError{Status: 423, Message: "Frozen"},
			wantMsg: "Versioner blocked the deployment: Frozen",
		},
		{
			name:   "a code without the error field",
			status: http.StatusPreconditionRequired,
			body:   `{"detail":{"code":"QUALITY_APPROVAL_REQUIRED","message":"QA has not signed off"}}`,
			want:   &versioner.PreflightError{Status: 428, Code: "QUALITY_APPROVAL_REQUIRED", Message: "QA has not signed off"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			s.mux.HandleFunc("POST /deployment-events/{$}", func(w http.ResponseWriter, r *http.Request) {
				respond(w, tt.status, tt.body)
			})
			ev := deployment()
			ev.Status = event.Started
			_, err := client(t, s.url).Record(context.Background(), ev)
			var got *versioner.PreflightError
			if !errors.As(err, &got) {
				t.Fatalf("Record() error = %v (%T), want a *versioner.PreflightError", err, err)
			}
			want := *tt.want
			want.Kind = event.Deployment
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("PreflightError mismatch (-want +got):\n%s", diff)
			}
			if tt.wantMsg != "" {
				if diff := cmp.Diff(tt.wantMsg, err.Error()); diff != "" {
					t.Errorf("Error() mismatch (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff([]string{"POST /deployment-events/"}, s.requests()); diff != "" {
				t.Errorf("a rejection was retried: requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRecordPreflightShapes: a 409, 423 or 428 is a rejection whatever
// its body looks like (both peers read it so), and the error shows what
// the body offers, else the status line. The one exception is a 409 on a
// build: version immutability, an API error.
func TestRecordPreflightShapes(t *testing.T) {
	t.Parallel()
	const retry = "2026-12-27T09:00:00Z"
	shapes := []struct {
		name  string
		ctype string // application/json unless set
		body  string
		want  versioner.PreflightError // Kind and Status are the case's; Message "{status}" is the status line
	}{
		{
			name: "documented, under detail",
			body: `{"detail":{"error":"deployment_blocked","message":"Frozen","code":"NO_DEPLOY_WINDOW","retry_after":"` + retry + `","details":{"rule_name":"holiday freeze"}}}`,
			want: versioner.PreflightError{Code: "NO_DEPLOY_WINDOW", Message: "Frozen", RetryAfter: retry, RuleName: "holiday freeze"},
		},
		{
			name: "documented, at the top level",
			body: `{"error":"deployment_blocked","message":"Frozen","code":"NO_DEPLOY_WINDOW","retry_after":"` + retry + `","details":{"rule_name":"holiday freeze"}}`,
			want: versioner.PreflightError{Code: "NO_DEPLOY_WINDOW", Message: "Frozen", RetryAfter: retry, RuleName: "holiday freeze"},
		},
		{
			name: "no error field, under detail",
			body: `{"detail":{"message":"Deployment in progress","code":"DEPLOYMENT_IN_PROGRESS"}}`,
			want: versioner.PreflightError{Code: "DEPLOYMENT_IN_PROGRESS", Message: "Deployment in progress"},
		},
		{
			name: "no error field, at the top level",
			body: `{"message":"Deployment in progress","code":"DEPLOYMENT_IN_PROGRESS","retry_after":"` + retry + `"}`,
			want: versioner.PreflightError{Code: "DEPLOYMENT_IN_PROGRESS", Message: "Deployment in progress", RetryAfter: retry},
		},
		{
			name: "a message alone",
			body: `{"detail":{"message":"Waiting for QA sign-off"}}`,
			want: versioner.PreflightError{Message: "Waiting for QA sign-off"},
		},
		{
			name: "a rule alone",
			body: `{"detail":{"details":{"rule_name":"holiday freeze"}}}`,
			want: versioner.PreflightError{Message: "{status}", RuleName: "holiday freeze"},
		},
		{
			name: "the error field alone",
			body: `{"detail":{"error":"deployment_blocked"}}`,
			want: versioner.PreflightError{Message: "{status}"},
		},
		{
			name: "another error word",
			body: `{"detail":{"error":"duplicate"}}`,
			want: versioner.PreflightError{Message: "duplicate"},
		},
		{
			name: "a string detail",
			body: `{"detail":"Preflight check failed:\n  production is frozen"}`,
			want: versioner.PreflightError{Message: "Preflight check failed: production is frozen"},
		},
		{
			name: "a JSON string",
			body: `"Preflight check failed"`,
			want: versioner.PreflightError{Message: "Preflight check failed"},
		},
		{
			name:  "text/plain",
			ctype: "text/plain; charset=utf-8",
			body:  "  Deployments are frozen\nuntil Monday\n",
			want:  versioner.PreflightError{Message: "Deployments are frozen until Monday"},
		},
		{
			name: "an empty body",
			want: versioner.PreflightError{Message: "{status}"},
		},
		{
			name: "an empty object",
			body: `{}`,
			want: versioner.PreflightError{Message: "{status}"},
		},
		{
			name:  "an HTML page",
			ctype: "text/html",
			body:  "<html><body><h1>Locked</h1></body></html>",
			want:  versioner.PreflightError{Message: "{status}"},
		},
	}
	for _, sh := range shapes {
		for _, status := range []int{http.StatusConflict, http.StatusLocked, http.StatusPreconditionRequired} {
			for _, kind := range []event.Kind{event.Deployment, event.Build} {
				t.Run(fmt.Sprintf("%s %d %s", sh.name, status, kind), func(t *testing.T) {
					t.Parallel()
					s := setup(t)
					answer := func(w http.ResponseWriter, r *http.Request) {
						ctype := sh.ctype
						if ctype == "" {
							ctype = "application/json"
						}
						w.Header().Set("Content-Type", ctype)
						w.WriteHeader(status)
						fmt.Fprint(w, sh.body)
					}
					s.mux.HandleFunc("POST /deployment-events/{$}", answer)
					s.mux.HandleFunc("POST /build-events/{$}", answer)
					ev := deployment()
					if kind == event.Build {
						ev = build()
					}
					ev.Status = event.Started
					_, err := client(t, s.url).Record(context.Background(), ev)
					if n := len(s.requests()); n != 1 {
						t.Errorf("server saw %d requests, want 1: an answer of %d is never retried", n, status)
					}

					if kind == event.Build && status == http.StatusConflict {
						var ae *versioner.APIError
						if _, ok := versioner.AsPreflight(err); ok || !errors.As(err, &ae) || ae.Status != status {
							t.Fatalf("Record() error = %v (%T), want an *APIError for 409 (version immutability)", err, err)
						}
						return
					}
					got, ok := versioner.AsPreflight(err)
					if !ok {
						t.Fatalf("Record() error = %v (%T), want a *versioner.PreflightError", err, err)
					}
					want := sh.want
					want.Kind, want.Status = kind, status
					if want.Message == "{status}" {
						want.Message = fmt.Sprintf("%d %s", status, http.StatusText(status))
					}
					if diff := cmp.Diff(&want, got); diff != "" {
						t.Errorf("PreflightError mismatch (-want +got):\n%s", diff)
					}
				})
			}
		}
	}
}

// TestRecordNotPreflight: only a 409, 423 or 428 is a rejection, and a
// 409 on a build is not one whatever its body says (versions are
// immutable). These stay API errors, which fail-on-api-error governs.
func TestRecordNotPreflight(t *testing.T) {
	t.Parallel()
	const blocked = `{"error":"deployment_blocked","message":"Frozen","code":"NO_DEPLOY_WINDOW"}`
	tests := []struct {
		name       string
		build      bool
		status     int
		body       string
		wantDetail string
	}{
		{name: "409 on a build, a rejection's body", build: true, status: http.StatusConflict, body: `{"detail":` + blocked + `}`, wantDetail: blocked},
		{name: "409 on a build, at the top level", build: true, status: http.StatusConflict, body: blocked, wantDetail: "unexpected body: " + blocked},
		{name: "409 on a build, empty", build: true, status: http.StatusConflict},
		{name: "403 on a deployment, a rejection's body", status: http.StatusForbidden, body: `{"detail":` + blocked + `}`, wantDetail: blocked},
		{name: "400 on a deployment, at the top level", status: http.StatusBadRequest, body: blocked, wantDetail: "unexpected body: " + blocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			ev, path := deployment(), "/deployment-events/"
			if tt.build {
				ev, path = build(), "/build-events/"
			}
			ev.Status = event.Started
			s.mux.HandleFunc("POST "+path+"{$}", func(w http.ResponseWriter, r *http.Request) {
				respond(w, tt.status, tt.body)
			})
			_, err := client(t, s.url).Record(context.Background(), ev)
			var pe *versioner.PreflightError
			if errors.As(err, &pe) {
				t.Fatalf("Record() error = %v, a PreflightError, want an APIError", err)
			}
			var ae *versioner.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("Record() error = %v (%T), want a *versioner.APIError", err, err)
			}
			got := [2]any{ae.Status, ae.Detail}
			if diff := cmp.Diff([2]any{tt.status, tt.wantDetail}, got); diff != "" {
				t.Errorf("APIError status, detail mismatch (-want +got):\n%s", diff)
			}
			if n := len(s.requests()); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

// TestConflictWithACodeIsNotPreflight: a 409 that is not
// "deployment_blocked" (a version conflict) stays an API error, which
// fail-on-api-error governs, and is not reported as a blocked deployment.
func TestConflictWithACodeIsNotPreflight(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"detail":{"code":"VERSION_IMMUTABLE","message":"1.2.3 exists with another sha"}}`))
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL)
	_, err := versioner.New(srv.Client(), base, "k", "ua").Record(context.Background(), event.Event{Kind: event.Build, Product: "p", Version: "1.2.3", Status: event.Completed})
	var ae *versioner.APIError
	var pe *versioner.PreflightError
	if errors.As(err, &pe) || !errors.As(err, &ae) || ae.Status != http.StatusConflict {
		t.Fatalf("Record() error = %v (%T), want an *APIError for 409", err, err)
	}
}

func TestAsPreflight(t *testing.T) {
	t.Parallel()
	pe := &versioner.PreflightError{Status: 423, Code: "NO_DEPLOY_WINDOW"}
	tests := []struct {
		name string
		err  error
		want *versioner.PreflightError
	}{
		{name: "a rejection", err: pe, want: pe},
		{name: "a wrapped rejection", err: fmt.Errorf("product web: %w", pe), want: pe},
		{name: "a joined rejection", err: errors.Join(errors.New("other"), pe), want: pe},
		{name: "an API error", err: &versioner.APIError{Status: 409}},
		{name: "no error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := versioner.AsPreflight(tt.err)
			if got != tt.want || ok != (tt.want != nil) {
				t.Errorf("AsPreflight(%v) = %v, %t, want %v, %t", tt.err, got, ok, tt.want, tt.want != nil)
			}
		})
	}
}

func TestPreflightErrorMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *versioner.PreflightError
		want string
	}{
		{
			name: "everything the body offers",
			err: &versioner.PreflightError{Kind: event.Deployment, Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "Frozen",
				RetryAfter: "2026-12-27T09:00:00Z", RuleName: "holiday freeze"},
			want: `Versioner blocked the deployment (NO_DEPLOY_WINDOW) by rule "holiday freeze": Frozen; retry after 2026-12-27T09:00:00Z`,
		},
		{
			name: "a build",
			err:  &versioner.PreflightError{Kind: event.Build, Status: 428, Code: "APPROVAL_REQUIRED", Message: "Needs QA"},
			want: "Versioner blocked the build (APPROVAL_REQUIRED): Needs QA",
		},
		{
			name: "a bare status says what it usually means",
			err:  &versioner.PreflightError{Kind: event.Deployment, Status: 409, Message: "409 Conflict"},
			want: "Versioner blocked the deployment: 409 Conflict (the answer gave no reason; a 409 usually means another deployment in progress: see the rules in Versioner)",
		},
		{
			name: "a bare 423 on a build",
			err:  &versioner.PreflightError{Kind: event.Build, Status: 423, Message: "423 Locked"},
			want: "Versioner blocked the build: 423 Locked (the answer gave no reason; a 423 usually means a no-deploy window: see the rules in Versioner)",
		},
		{
			name: "a bare 428",
			err:  &versioner.PreflightError{Status: 428, Message: "428 Precondition Required"},
			want: "Versioner blocked the deployment: 428 Precondition Required (the answer gave no reason; a 428 usually means a missing approval, an environment to deploy to first, or soak time: see the rules in Versioner)",
		},
		{
			name: "a rule is a reason",
			err:  &versioner.PreflightError{Status: 423, Message: "423 Locked", RuleName: "holiday freeze"},
			want: `Versioner blocked the deployment by rule "holiday freeze": 423 Locked`,
		},
		{
			name: "no kind reads as a deployment",
			err:  &versioner.PreflightError{Status: 423, Message: "Frozen"},
			want: "Versioner blocked the deployment: Frozen",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.err.Error()); diff != "" {
				t.Errorf("Error() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
