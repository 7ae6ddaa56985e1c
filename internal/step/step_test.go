package step

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/ghcontext"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

func TestWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		apiURL string
		alias  []string
		want   []string
	}{
		{name: "https", apiURL: "https://api.versioner.io"},
		{name: "plain http to loopback", apiURL: "http://127.0.0.1:8080"},
		{name: "plain http to localhost, any case", apiURL: "http://LocalHost:8080"},
		{name: "plain http to IPv6 loopback", apiURL: "http://[::1]:8080"},
		{name: "plain http elsewhere", apiURL: "http://versioner.internal", want: []string{"api-url http://versioner.internal is plain http: the api-key crosses the network in clear text; use https"}},
		{name: "credentials in the URL are not shown", apiURL: "http://user:pw@versioner.internal", want: []string{"api-url http://user:xxxxx@versioner.internal is plain http: the api-key crosses the network in clear text; use https"}},
		{name: "a deprecated alias", apiURL: "https://api.versioner.io", alias: []string{"api_key"}, want: []string{"input api_key is deprecated: rename it to api-key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tt.apiURL)
			if err != nil {
				t.Fatal(err)
			}
			got := warnings(&config.Config{APIURL: u, Deprecated: tt.alias}, ghcontext.Source{})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("warnings() (-want +got):\n%s", diff)
			}
		})
	}
}

// gatedState: GitHub shows a started deployment in progress only once
// Versioner's rules let it through.
func TestGatedState(t *testing.T) {
	t.Parallel()
	blocked := &versioner.PreflightError{Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "Frozen"}
	tests := []struct {
		name      string
		err       error
		failOnAPI bool
		wantState string
		wantDesc  string
	}{
		{name: "let through", wantState: "in_progress"},
		{name: "blocked", err: blocked, failOnAPI: false, wantState: "failure", wantDesc: "Blocked by Versioner: Frozen"},
		{name: "blocked, wrapped", err: fmt.Errorf("recording: %w", blocked), failOnAPI: true, wantState: "failure", wantDesc: "Blocked by Versioner: Frozen"},
		{name: "Versioner down and the step fails", err: errors.New("down"), failOnAPI: true, wantState: "error", wantDesc: "Versioner did not record the deployment; the step failed"},
		{name: "Versioner down, a warning: the deploy goes ahead", err: errors.New("down"), failOnAPI: false, wantState: "in_progress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			state, desc := gatedState(&report.Report{VersionerErr: tt.err, FailOnAPIError: tt.failOnAPI}, "in_progress")
			if state != tt.wantState || desc != tt.wantDesc {
				t.Errorf("gatedState() = %q, %q; want %q, %q", state, desc, tt.wantState, tt.wantDesc)
			}
		})
	}
}

// The start a step hands on is what a later finishing step reads: a round
// trip through starts and earlier.
func TestStartHandover(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	started := event.Event{Kind: event.Deployment, Product: "api", Environment: "production", Status: event.Started, At: at}
	tests := []struct {
		name     string
		start    *report.Report
		final    event.Status
		wantSkip string // a part of the reason; "" records
		wantDur  time.Duration
	}{
		{name: "started, then completed", start: &report.Report{Event: started}, final: event.Completed, wantDur: 90 * time.Second},
		{name: "blocked, then failed", start: &report.Report{Event: started, VersionerErr: &versioner.PreflightError{Status: 423, Code: "NO_DEPLOY_WINDOW", Message: "Frozen"}},
			final: event.Failed, wantSkip: "its start was blocked earlier in the job"},
		{name: "failed with the step, then failed", start: &report.Report{Event: started, VersionerErr: errors.New("down"), FailOnAPIError: true},
			final: event.Failed, wantSkip: "its start was failed earlier in the job"},
		{name: "Versioner down as a warning: the deploy ran", start: &report.Report{Event: started, VersionerErr: errors.New("down")},
			final: event.Completed, wantDur: 90 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for _, v := range starts([]*report.Report{tt.start}) {
				env[v.Name] = v.Value
				if !json.Valid([]byte(v.Value)) {
					t.Errorf("%s=%s is not JSON", v.Name, v.Value)
				}
			}
			a := githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }))
			final := started
			final.Status, final.At = tt.final, at.Add(90*time.Second)
			evs := []event.Event{final}
			skips := earlier(a, evs)
			if tt.wantSkip == "" && skips[0] != "" || !strings.Contains(skips[0], tt.wantSkip) {
				t.Errorf("skip = %q, want %q", skips[0], tt.wantSkip)
			}
			if got := evs[0].Duration(); got != tt.wantDur {
				t.Errorf("duration = %v, want %v", got, tt.wantDur)
			}
		})
	}
}
