package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/deploytrack/deploytrack/internal/fake"
)

func TestPreflightRejection(t *testing.T) {
	t.Parallel()
	for _, topLevel := range []bool{false, true} {
		t.Run(map[bool]string{false: "under detail", true: "top level"}[topLevel], func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.versioner.RejectPreflight(fake.Rejection{Product: "shop-api", Status: 423, Code: "NO_DEPLOY_WINDOW",
				Message: "Deploys are frozen for the holidays", RetryAfter: "2026-12-27T09:00:00Z", RuleName: "holiday freeze", TopLevel: topLevel})
			r := w.run(use{with: w.with(map[string]string{"status": "started", "fail-on-api-error": "false"})})
			wantCode(t, r, 1) // whatever fail-on-api-error says
			wantPaths(t, "Versioner", w.versioner.Requests(), deployEvents)
			deps := w.github.Deployments()
			if len(deps) != 1 || len(deps[0].Statuses) != 1 || deps[0].Statuses[0].State != "failure" {
				t.Fatalf("GitHub deployments = %+v, want one marked failure and never in_progress", deps)
			}
			wantContains(t, "GitHub status", deps[0].Statuses[0].Description, "Blocked by Versioner: Deploys are frozen")
			wantContains(t, "stdout", r.stdout, "::error title=Deployment blocked by Versioner::Versioner blocked the deployment (NO_DEPLOY_WINDOW) by rule \"holiday freeze\": Deploys are frozen for the holidays; retry after 2026-12-27T09:00:00Z")
			wantSummary(t, r.summary, "⛔ Blocked: shop-api 1.2.3 → production · by octocat · until Sun 27 Dec 2026 09:00 UTC\n",
				"Versioner's rule holiday freeze (NO_DEPLOY_WINDOW) stopped it: Deploys are frozen for the holidays.", "deployment 1, marked failure")
		})
	}
}

func TestReportOnlyRuleIsAWarning(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.versioner.ReportOnly("soak time", "staging ran for 10 minutes, the rule wants 1 hour")
	r := w.run(use{with: w.with(nil)})
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, `::warning::Versioner rule "soak time" (report only) failed: staging ran for 10 minutes, the rule wants 1 hour`)
	wantSummary(t, r.summary, "✅ Completed", "Warnings\n", "Versioner's rule soak time (report only) failed: staging ran for 10 minutes, the rule wants 1 hour.")
}

// TestSinksAreIndependent: one API failing never stops or loses the other.
func TestSinksAreIndependent(t *testing.T) {
	t.Parallel()
	t.Run("Versioner rejects the key; GitHub still recorded", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		r := w.run(use{with: w.with(map[string]string{"api-key": "sk_wrong"})})
		wantCode(t, r, 1)
		wantContains(t, "stdout", r.stdout, "::error title=Versioner::Versioner answered 401 Unauthorized", "check the api-key input")
		if deps := w.github.Deployments(); len(deps) != 1 || deps[0].Statuses[0].State != "success" {
			t.Errorf("GitHub deployments = %+v", deps)
		}
		wantSummary(t, r.summary, "✅ Completed", "❌ Recording in Versioner failed: Versioner answered 401", "\ndeployment 1\n")
	})
	t.Run("GitHub token lacks permission; Versioner still recorded", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.github.ReadOnly = true
		r := w.run(use{with: w.with(nil)})
		wantCode(t, r, 1)
		wantContains(t, "stdout", r.stdout, "GitHub answered 403 Forbidden", "permissions: deployments: write")
		if n := len(w.versioner.Events()); n != 1 {
			t.Errorf("Versioner recorded %d events, want 1", n)
		}
	})
	t.Run("fail-on-api-error false turns an outage into a warning", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		r := w.run(use{with: w.with(map[string]string{"api-url": "http://127.0.0.1:1", "fail-on-api-error": "false"})})
		wantCode(t, r, 0)
		wantContains(t, "stdout", r.stdout, "::warning::Versioner: could not reach Versioner at http://127.0.0.1:1/deployment-events/", "6 attempts", "connection refused", "(fail-on-api-error is false)")
		if len(commands(r.stdout, "error")) != 0 {
			t.Errorf("errors printed: %v", commands(r.stdout, "error"))
		}
		if len(w.github.Deployments()) != 1 {
			t.Error("GitHub deployment not recorded")
		}
		wantSummary(t, r.summary, "✅ Completed", "⚠️ Recording in Versioner failed: could not reach Versioner at http://127.0.0.1:1/deployment-events/",
			"The deploy itself is unaffected: the step went on, as fail-on-api-error is false.")
	})
	t.Run("deprecated alias fail_on_api_error is honoured", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.github.ReadOnly = true
		r := w.run(use{with: w.with(map[string]string{"fail_on_api_error": "false"})})
		wantCode(t, r, 0)
		wantContains(t, "stdout", r.stdout, "::warning::input fail_on_api_error is deprecated: rename it to fail-on-api-error")
	})
}

func TestRetries(t *testing.T) {
	t.Parallel()
	t.Run("Versioner 503 then 429 then success", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.versioner.Inject(
			fake.Fault{PathSuffix: "/deployment-events/", Status: 503, Body: `{"detail":"maintenance"}`},
			fake.Fault{PathSuffix: "/deployment-events/", Status: 429, Header: http.Header{"Retry-After": {"0"}}},
		)
		r := w.run(use{with: w.with(nil), env: map[string]string{"RUNNER_DEBUG": "1"}})
		wantCode(t, r, 0)
		wantPaths(t, "Versioner", w.versioner.Requests(), deployEvents, deployEvents, deployEvents)
		if n := len(w.versioner.Events()); n != 1 {
			t.Errorf("Versioner recorded %d events, want 1", n)
		}
		keys := map[string]bool{}
		for _, req := range w.versioner.Requests() {
			keys[req.Header.Get("Idempotency-Key")] = true
		}
		if len(keys) != 1 {
			t.Errorf("retries sent %d different idempotency keys, want 1", len(keys))
		}
		wantContains(t, "stdout", r.stdout, "::debug::Versioner: answered 503 Service Unavailable; retry 1 of 5", "::debug::Versioner: answered 429 Too Many Requests (Retry-After 0s); retry 2 of 5")
	})
	t.Run("4xx other than 429 are not retried", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.versioner.Inject(fake.Fault{PathSuffix: "/deployment-events/", Status: 400, Body: `{"detail":"bad"}`})
		r := w.run(use{with: w.with(nil)})
		wantCode(t, r, 1)
		wantPaths(t, "Versioner", w.versioner.Requests(), deployEvents)
	})
}

// TestHungVersionerOnStart: GitHub's status for a started deployment
// waits for Versioner's preflight answer, but not past the deadline: the
// deployment is marked error, and the message blames Versioner.
func TestHungVersionerOnStart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.versioner.Inject(fake.Fault{PathSuffix: "/deployment-events/", Hang: true})
	r := w.run(use{with: w.with(map[string]string{"status": "started", "timeout": "3"})})
	wantCode(t, r, 1)
	if r.took > 6*time.Second {
		t.Errorf("took %s with a 3 s timeout", r.took)
	}
	wantContains(t, "stdout", r.stdout, "::error title=Versioner::timed out after 2s waiting for Versioner")
	deps := w.github.Deployments()
	if len(deps) != 1 || len(deps[0].Statuses) != 1 || deps[0].Statuses[0].State != "error" {
		t.Fatalf("GitHub deployments = %+v, want one marked error", deps)
	}
	if len(commands(r.stdout, "error")) != 1 {
		t.Errorf("want one error, for Versioner only:\n%s", r.stdout)
	}
}

// TestBuildConflictIsNotABlock: a 409 for an immutable version is an API
// error that fail-on-api-error governs, not a preflight rejection.
func TestBuildConflictIsNotABlock(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	with := map[string]string{"api-key": testKey, "api-url": w.vURL, "version": "1.0.0", "event-type": "build", "fail-on-api-error": "false"}
	wantCode(t, w.run(use{id: "__a", with: with}), 0)
	w.context["GITHUB_SHA"] = "9999999999999999999999999999999999999999"
	r := w.run(use{id: "__b", with: with})
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "::warning::Versioner: Versioner answered 409 Conflict", "versions are immutable")
}
