package e2e

import (
	"testing"

	"github.com/deploytrack/deploytrack/internal/fake"
)

// TestPreflightRejectionShapes: a 409, 423 or 428 on a deployment is a
// rejection whatever its body looks like. With fail-on-api-error: false
// the step still fails, GitHub never shows the deployment in progress,
// and the summary shows what the body said, else the status line.
func TestPreflightRejectionShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rejection fake.Rejection
		want      string // in the summary, the error and GitHub's description
	}{
		{
			name:      "409 without the error field, as the official action's tests send it",
			rejection: fake.Rejection{Status: 409, Code: "DEPLOYMENT_IN_PROGRESS", Message: "Deployment in progress", Shape: fake.ShapeNoError},
			want:      "Deployment in progress",
		},
		{
			name:      "423 with a string detail",
			rejection: fake.Rejection{Status: 423, Message: "Deployments are frozen until Monday", Shape: fake.ShapeString},
			want:      "Deployments are frozen until Monday",
		},
		{
			name:      "428 as text/plain",
			rejection: fake.Rejection{Status: 428, Message: "Needs approval from QA", Shape: fake.ShapeText},
			want:      "Needs approval from QA",
		},
		{
			name:      "409 with an empty body",
			rejection: fake.Rejection{Status: 409, Shape: fake.ShapeEmpty},
			want:      "409 Conflict",
		},
		{
			name:      "423 with an empty body",
			rejection: fake.Rejection{Status: 423, Shape: fake.ShapeEmpty},
			want:      "423 Locked",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			rej := tt.rejection
			rej.Product = "shop-api"
			w.versioner.RejectPreflight(rej)
			r := w.run(use{with: w.with(map[string]string{"status": "started", "fail-on-api-error": "false"})})
			wantCode(t, r, 1) // whatever fail-on-api-error says
			wantPaths(t, "Versioner", w.versioner.Requests(), deployEvents)
			deps := w.github.Deployments()
			if len(deps) != 1 || len(deps[0].Statuses) != 1 || deps[0].Statuses[0].State != "failure" {
				t.Fatalf("GitHub deployments = %+v, want one marked failure and never in_progress", deps)
			}
			wantContains(t, "GitHub status", deps[0].Statuses[0].Description, "Blocked by Versioner: "+tt.want)
			wantContains(t, "stdout", r.stdout, "::error title=Deployment blocked by Versioner::Versioner blocked the deployment", tt.want)
			wantSummary(t, r.summary, "⛔ Blocked: shop-api 1.2.3 → production", tt.want)
		})
	}
}
