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

// 409, 423 and 428 bodies that are not rejections stay API errors.
func TestRecordNotPreflight(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		body       string
		wantDetail string
	}{
		{name: "423 with a plain detail", status: http.StatusLocked, body: `{"detail":"locked"}`, wantDetail: "locked"},
		{name: "428 with HTML", status: http.StatusPreconditionRequired, body: "<h1>428</h1>", wantDetail: "unexpected body: <h1>428</h1>"},
		{name: "409 with an empty object", status: http.StatusConflict, body: `{}`, wantDetail: "unexpected body: {}"},
		{name: "409 with another error", status: http.StatusConflict, body: `{"detail":{"error":"duplicate"}}`, wantDetail: `{"error":"duplicate"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			s.mux.HandleFunc("POST /deployment-events/{$}", func(w http.ResponseWriter, r *http.Request) {
				respond(w, tt.status, tt.body)
			})
			_, err := client(t, s.url).Record(context.Background(), deployment())
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
