// Package outcome tells how the job went, for the post step of
// auto-finish: from ${{ job.status }} as the runner evaluated the
// job-status input for the post step, or, when that is empty, from the
// Actions API's record of the job's steps.
package outcome

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/deploytrack/deploytrack/internal/ghapi"
)

// FromJobStatus maps ${{ job.status }} to the status word to record:
// success to completed, failure to failed, cancelled to aborted.
func FromJobStatus(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "success":
		return "completed", true
	case "failure":
		return "failed", true
	case "cancelled":
		return "aborted", true
	}
	return "", false
}

// Jobs reads a run's jobs from the Actions API.
type Jobs struct {
	gh          *github.Client
	owner, repo string
}

// New returns a reader of repository's ("owner/name") runs at apiURL, the
// runner's GITHUB_API_URL, taken as given (see ghapi.Base).
func New(hc *http.Client, apiURL, token, repository, userAgent string) (*Jobs, error) {
	owner, repo, err := ghapi.Repo(repository)
	if err != nil {
		return nil, err
	}
	gh, err := ghapi.New(hc, apiURL, token, userAgent)
	if err != nil {
		return nil, fmt.Errorf("%w, or keep the job-status input at its default, ${{ job.status }}", err)
	}
	return &Jobs{gh: gh, owner: owner, repo: repo}, nil
}

// Outcome returns the status word for the job running on runnerName in
// the given run attempt: failed when one of its steps failed, aborted when
// one was cancelled, completed otherwise.
func (j *Jobs) Outcome(ctx context.Context, runID, attempt, runnerName string) (string, error) {
	id, err1 := strconv.ParseInt(runID, 10, 64)
	n, err2 := strconv.ParseInt(attempt, 10, 64)
	if err1 != nil || err2 != nil || runnerName == "" {
		return "", fmt.Errorf("GITHUB_RUN_ID %q, GITHUB_RUN_ATTEMPT %q or RUNNER_NAME %q is missing: the job's outcome is known only on a runner", runID, attempt, runnerName)
	}
	opts := &github.ListOptions{PerPage: 100}
	for page := 0; page < 5; page++ {
		jobs, resp, err := j.gh.Actions.ListWorkflowJobsAttempt(ctx, j.owner, j.repo, id, n, opts)
		if err != nil {
			return "", explain(err)
		}
		for _, job := range jobs.Jobs {
			if job.GetRunnerName() == runnerName && job.GetStatus() == "in_progress" {
				return fromSteps(job.Steps), nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return "", fmt.Errorf("GitHub lists no job of run %d attempt %d in progress on runner %s", id, n, runnerName)
}

func fromSteps(steps []*github.TaskStep) string {
	word := "completed"
	for _, s := range steps {
		switch s.GetConclusion() {
		case "failure":
			return "failed"
		case "cancelled":
			word = "aborted"
		}
	}
	return word
}

func explain(err error) error {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		code := er.Response.StatusCode
		msg := fmt.Sprintf("GitHub answered %d %s when asked for the run's jobs", code, http.StatusText(code))
		if code == http.StatusForbidden || code == http.StatusNotFound {
			msg += ": add `permissions: actions: read` to the job, or keep the job-status input at its default, ${{ job.status }}"
		}
		return errors.New(msg)
	}
	return fmt.Errorf("GitHub: could not read the run's jobs: %w", err)
}
