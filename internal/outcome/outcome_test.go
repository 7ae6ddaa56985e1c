package outcome

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/deploytrack/deploytrack/internal/fake"
)

func TestFromJobStatus(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"success": "completed", "Failure": "failed", "cancelled": "aborted", "": "", "skipped": ""} {
		got, ok := FromJobStatus(in)
		if got != want || ok != (want != "") {
			t.Errorf("FromJobStatus(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestOutcome(t *testing.T) {
	t.Parallel()
	step := func(conclusion string) fake.JobStep {
		return fake.JobStep{Name: "s", Status: "completed", Conclusion: conclusion}
	}
	tests := []struct {
		name    string
		jobs    []fake.Job
		runner  string
		noRead  bool
		want    string
		wantErr string
	}{
		{name: "all passed", runner: "r2", want: "completed", jobs: []fake.Job{
			{ID: 1, RunnerName: "r1", Status: "completed", Steps: []fake.JobStep{step("failure")}},
			{ID: 2, RunnerName: "r2", Status: "in_progress", Steps: []fake.JobStep{step("success"), step("skipped"), {Name: "post", Status: "in_progress"}}},
		}},
		{name: "a step failed", runner: "r2", want: "failed", jobs: []fake.Job{
			{ID: 2, RunnerName: "r2", Status: "in_progress", Steps: []fake.JobStep{step("cancelled"), step("failure")}},
		}},
		{name: "a step was cancelled", runner: "r2", want: "aborted", jobs: []fake.Job{
			{ID: 2, RunnerName: "r2", Status: "in_progress", Steps: []fake.JobStep{step("success"), step("cancelled")}},
		}},
		{name: "the runner ran an earlier job", runner: "r1", wantErr: "no job of run 7 attempt 1 in progress on runner r1", jobs: []fake.Job{
			{ID: 1, RunnerName: "r1", Status: "completed"},
		}},
		{name: "no runner name", wantErr: "RUNNER_NAME"},
		{name: "no actions: read", runner: "r2", noRead: true, wantErr: "add `permissions: actions: read`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := fake.NewGitHub("tok", "acme", "shop")
			gh.NoActionsRead = tt.noRead
			gh.SetJobs(7, 1, tt.jobs)
			srv := httptest.NewServer(gh)
			defer srv.Close()
			j, err := New(http.DefaultClient, srv.URL+"/api/v3", "tok", "acme/shop", "deploytrack/1.0.0")
			if err != nil {
				t.Fatal(err)
			}
			got, err := j.Outcome(context.Background(), "7", "1", tt.runner)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Outcome() = %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Outcome() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, apiURL, repository string
		want                     string
	}{
		{name: "not owner/name", apiURL: "https://api.github.com", repository: "shop",
			want: `GITHUB_REPOSITORY "shop" is not owner/name`},
		{name: "API URL without a host", apiURL: "api.github.com", repository: "acme/shop",
			want: `GITHUB_API_URL "api.github.com" is not a URL: the runner sets it; check that the workflow does not override it, or keep the job-status input at its default, ${{ job.status }}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(http.DefaultClient, tt.apiURL, "tok", tt.repository, "ua"); err == nil || err.Error() != tt.want {
				t.Errorf("New() error = %v, want %q", err, tt.want)
			}
		})
	}
}
