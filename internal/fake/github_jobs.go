package fake

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Job is a workflow job as the Actions API lists it: what the post step of
// auto-finish reads when job.status is not given.
type Job struct {
	ID                                   int64
	Name, RunnerName, Status, Conclusion string // Status: queued, in_progress or completed
	Steps                                []JobStep
}

// JobStep is one step of a Job.
type JobStep struct {
	Name, Status, Conclusion string // Conclusion: success, failure, cancelled, skipped or ""
}

// SetJobs sets the jobs of a run attempt.
func (g *GitHub) SetJobs(runID, attempt int64, jobs []Job) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.jobs == nil {
		g.jobs = map[[2]int64][]Job{}
	}
	g.jobs[[2]int64{runID, attempt}] = jobs
}

// listJobs answers GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs.
func (g *GitHub) listJobs(base string, parts []string) reply {
	if g.NoActionsRead {
		return ghError(http.StatusForbidden, "Resource not accessible by integration", docsRoot+"/actions/workflow-jobs#list-jobs-for-a-workflow-run-attempt")
	}
	run, err1 := strconv.ParseInt(parts[5], 10, 64)
	attempt, err2 := strconv.ParseInt(parts[7], 10, 64)
	jobs, ok := g.jobs[[2]int64{run, attempt}]
	if err1 != nil || err2 != nil || !ok {
		return ghError(http.StatusNotFound, "Not Found", docsRoot)
	}
	list := []any{}
	for _, j := range jobs {
		var steps []any
		for i, st := range j.Steps {
			var conclusion any
			if st.Conclusion != "" {
				conclusion = st.Conclusion
			}
			steps = append(steps, map[string]any{"name": st.Name, "status": st.Status, "conclusion": conclusion, "number": i + 1})
		}
		var conclusion any
		if j.Conclusion != "" {
			conclusion = j.Conclusion
		}
		list = append(list, map[string]any{
			"id": j.ID, "run_id": run, "run_attempt": attempt, "name": j.Name, "status": j.Status, "conclusion": conclusion,
			"runner_name": j.RunnerName, "steps": steps, "url": base + "/repos/" + g.owner + "/" + g.repo + "/actions/jobs/" + strconv.FormatInt(j.ID, 10),
		})
	}
	return jsonReply(http.StatusOK, map[string]any{"total_count": len(list), "jobs": list})
}

// JobDeployment describes the deployment GitHub makes for a job with an `environment:` key. It
// is created as the GitHub Actions app (creator github-actions[bot], performed_via_github_app
// github-actions) before the job's first step runs, with task deploy, an empty payload, a null
// description, ref = the branch (GITHUB_REF_NAME) and sha = GITHUB_SHA. GitHub posts its statuses
// itself: queued, then in_progress while the job runs, then success or failure when the job ends,
// each with log_url and target_url pointing at the job ($GITHUB_SERVER_URL/OWNER/REPO/actions/
// runs/RUN_ID/job/JOB_ID) and environment_url = the job's environment url, or "".
type JobDeployment struct {
	ServerURL      string // GITHUB_SERVER_URL; default https://github.com
	RunID, JobID   string // GITHUB_RUN_ID, and the job's id (its check run)
	Environment    string // the job's environment name; default production
	SHA            string // GITHUB_SHA
	Ref            string // GITHUB_REF_NAME; default main
	EnvironmentURL string // the job's environment url, if it has one
}

// JobURL is where the runner's statuses link: the job's page in its run.
func (j JobDeployment) JobURL(owner, repo string) string {
	return fmt.Sprintf("%s/%s/%s/actions/runs/%s/job/%s", strings.TrimRight(cmp.Or(j.ServerURL, "https://github.com"), "/"), owner, repo, j.RunID, j.JobID)
}

// AddJobDeployment stores the deployment the runner makes for job j, with the statuses GitHub
// has posted to it by the time the job's first step runs (queued, then in_progress), and
// returns its ID.
func (g *GitHub) AddJobDeployment(j JobDeployment) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	link := j.JobURL(g.owner, g.repo)
	d := g.add(Deployment{SHA: j.SHA, Ref: cmp.Or(j.Ref, "main"), Environment: j.Environment, ByRunner: true, Statuses: []Status{
		{State: "queued", LogURL: link, EnvironmentURL: j.EnvironmentURL},
		{State: "in_progress", LogURL: link, EnvironmentURL: j.EnvironmentURL},
	}})
	d.job = &j
	return d.ID
}

// EndJob posts what GitHub posts to job deployment id when its job ends: state (success or
// failure, the job's conclusion) linking to the job, with the job's environment url, and GitHub's
// default auto_inactive.
func (g *GitHub) EndJob(id int64, state string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.IndexFunc(g.deployments, func(d *deployment) bool { return d.ID == id && d.job != nil })
	if i < 0 {
		return fmt.Errorf("fake GitHub: no job deployment %d", id)
	}
	if state != "success" && state != "failure" {
		return fmt.Errorf("fake GitHub: a job ends in success or failure, not %q", state)
	}
	d := g.deployments[i]
	g.appendStatus(d, status{Status: Status{State: state, LogURL: d.job.JobURL(g.owner, g.repo), EnvironmentURL: d.job.EnvironmentURL}, byRunner: true}, true)
	return nil
}
