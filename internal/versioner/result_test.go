package versioner_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

func TestRecordResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		kind   event.Kind
		status int
		ctype  string
		body   string
		want   versioner.Result
	}{
		{
			name:   "deployment answer",
			kind:   event.Deployment,
			status: http.StatusCreated,
			body: `{"id":"8d1f5c2e-0000-4000-8000-000000000001","product_id":"p-1","product_name":"web","version_id":"v-1","version":"1.2.3",
				"environment_id":"env-1","environment_name":"production","status":"completed","deployed_at":"2024-05-01T12:30:00Z",
				"deployed_by":"octocat","extra_metadata":{}}`,
			want: versioner.Result{ID: "8d1f5c2e-0000-4000-8000-000000000001", ProductID: "p-1", VersionID: "v-1", EnvironmentID: "env-1", Status: "completed"},
		},
		{
			name:   "build answer",
			kind:   event.Build,
			status: http.StatusOK,
			body:   `{"id":"b-1","version_id":"v-1","product_id":"p-1","version":"1.2.3","status":"completed","started_at":null}`,
			want:   versioner.Result{ID: "b-1", ProductID: "p-1", VersionID: "v-1", Status: "completed"},
		},
		{
			name:   "report_only rules that failed are warnings",
			kind:   event.Deployment,
			status: http.StatusCreated,
			body: `{"id":"d-1","status":"started","extra_metadata":{"preflight_status":{"rules_evaluated":[
				{"rule_name":"Soak time","status":"report_only","evaluation_result":"failed","error_message":"staging soaked 10m of 1h"},
				{"rule_name":"Freeze","status":"report_only","evaluation_result":"passed","error_message":""},
				{"rule_name":"Approval","status":"enforced","evaluation_result":"passed"},
				{"rule_name":"Flow","status":"report_only","evaluation_result":"failed","error_message":"skipped staging"}
			]}}}`,
			want: versioner.Result{ID: "d-1", Status: "started", Warnings: []versioner.Rule{
				{Name: "Soak time", Status: "report_only", EvaluationResult: "failed", Message: "staging soaked 10m of 1h"},
				{Name: "Flow", Status: "report_only", EvaluationResult: "failed", Message: "skipped staging"},
			}},
		},
		{
			name:   "empty 201 body is recorded with a note",
			kind:   event.Deployment,
			status: http.StatusCreated,
			body:   "",
			want:   versioner.Result{Note: "Versioner recorded the deployment event but answered with an empty body, so its ids are unknown"},
		},
		{
			name:   "whitespace body counts as empty",
			kind:   event.Build,
			status: http.StatusCreated,
			body:   " \n",
			want:   versioner.Result{Note: "Versioner recorded the build event but answered with an empty body, so its ids are unknown"},
		},
		{
			name:   "204 No Content",
			kind:   event.Deployment,
			status: http.StatusNoContent,
			want:   versioner.Result{Note: "Versioner recorded the deployment event but answered with an empty body, so its ids are unknown"},
		},
		{
			name:   "JSON without an id",
			kind:   event.Deployment,
			status: http.StatusOK,
			body:   `{"ok":true}`,
			want:   versioner.Result{Note: "Versioner recorded the deployment event but answered with a body without an event id, so its ids are unknown"},
		},
		{
			name:   "truncated JSON",
			kind:   event.Deployment,
			status: http.StatusCreated,
			ctype:  "application/json",
			body:   `{"id": "8d1f5c2e-00`,
			want:   versioner.Result{Note: "Versioner recorded the deployment event but answered with a body that is not valid JSON, so its ids are unknown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			s.mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
				if tt.ctype != "" {
					w.Header().Set("Content-Type", tt.ctype)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			ev := deployment()
			ev.Kind = tt.kind
			got, err := client(t, s.url).Record(context.Background(), ev)
			if err != nil {
				t.Fatalf("Record() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Record() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
