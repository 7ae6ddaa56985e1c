package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/runner"
)

// The action as a runner runs it: each step a docker run of the image
// with the runner's options (internal/runner's Container), on a job
// network whose gateway serves the fakes.

// TestImageVersion: the binary runs on scratch (no libc, no shell) and
// prints the version and commit the release build stamped.
func TestImageVersion(t *testing.T) {
	t.Parallel()
	e := dockerEngine(t)
	out := e.must(t, "run", "--rm", e.image, "--version")
	if line := fmt.Sprintf("deploytrack %s (commit %s, ", releaseVersion, releaseCommit); !strings.HasPrefix(out, line) {
		t.Errorf("--version printed %q, want %q...", out, line)
	}
}

// TestImageStartedThenFinished: a started event, then the finishing step
// of the same job; then the post steps, which have nothing to finish.
func TestImageStartedThenFinished(t *testing.T) {
	t.Parallel()
	e := dockerEngine(t)
	w := e.newWorld(t)
	j, _ := e.job(t, w)
	start := jobRun(t, j, w.with(map[string]string{"status": "started", "environment-url": "https://shop.example.com"}))
	code(t, start, 0)
	checkStep(t, start.Stdout, start.Summary, testKey, testToken)
	finish := jobRun(t, j, w.with(map[string]string{"status": "success", "environment-url": "https://shop.example.com"}))
	code(t, finish, 0)
	checkStep(t, finish.Stdout, finish.Summary, testKey, testToken)
	if start.Outputs["status"] != "started" || finish.Outputs["status"] != "completed" {
		t.Errorf("outputs status: %q then %q, want started then completed", start.Outputs["status"], finish.Outputs["status"])
	}
	if start.Outputs["github-deployment-id"] == "" || start.Outputs["github-deployment-id"] != finish.Outputs["github-deployment-id"] {
		t.Errorf("github-deployment-id: %q then %q, want one deployment", start.Outputs["github-deployment-id"], finish.Outputs["github-deployment-id"])
	}
	wantSummary(t, finish.Summary, "✅ Completed: shop-api 1.2.3 → production")
	if diff := cmp.Diff([]string{"shop-api started", "shop-api completed"}, eventStatuses(w)); diff != "" {
		t.Errorf("Versioner events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"shop-api: in_progress → success"}, statuses(w)); diff != "" {
		t.Errorf("GitHub deployments (-want +got):\n%s", diff)
	}

	w.versioner.Reset()
	w.github.Reset()
	posts := jobPost(t, j)
	if len(posts) != 2 {
		t.Fatalf("%d post steps ran, want one per step", len(posts))
	}
	for _, p := range posts {
		code(t, p, 0)
		wantContains(t, "post step log", p.Stdout, "nothing to finish")
	}
	wantPaths(t, "Versioner", w.versioner.Requests())
	wantPaths(t, "GitHub", w.github.Requests())
}

// TestImageJobEnv: what a step writes to GITHUB_ENV reaches the next
// step's container: the job's own deployment, found by the started step,
// is handed to the finishing step, which posts to it without a lookup.
func TestImageJobEnv(t *testing.T) {
	t.Parallel()
	e := dockerEngine(t)
	w := e.newWorld(t)
	id := w.github.AddJobDeployment(fake.JobDeployment{RunID: runID, JobID: "555", SHA: headSHA, Ref: "main"})
	j, _ := e.job(t, w)
	first := jobRun(t, j, w.with(map[string]string{"status": "started"}))
	code(t, first, 0)
	wantPaths(t, "GitHub (started step)", w.github.Requests(), ghList, ghStatuses(id), ghStatus(fmt.Sprint(id)))
	handoff := deployments.HandoffVar(eventOf(nil))
	if got := first.Env[handoff]; got != fmt.Sprint(id) {
		t.Fatalf("GITHUB_ENV: %s=%q, want %d (all: %v)", handoff, got, id, first.Env)
	}
	w.github.Reset()
	later := jobRun(t, j, w.with(map[string]string{"status": "success"}))
	code(t, later, 0)
	wantPaths(t, "GitHub (finishing step)", w.github.Requests(), ghStatus(fmt.Sprint(id)))
	if got := later.Outputs["github-deployment-source"]; got != "job" {
		t.Errorf("github-deployment-source = %q, want job", got)
	}
}

// TestImageAutoFinish: the post step is docker run --entrypoint
// /deploytrack-post, with the STATE_* the main step wrote to GITHUB_STATE;
// and a later step's final status reaches it through GITHUB_ENV.
func TestImageAutoFinish(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		finish   bool // a later step records the final status itself
		wantPost string
	}{
		{"the post step records the job's outcome", false, "auto-finish: recording completed (from job.status is success)"},
		{"a later step recorded it: the post step does nothing", true, "shop-api: another step of the job recorded completed; nothing to finish"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := dockerEngine(t)
			w := e.newWorld(t)
			j, _ := e.job(t, w)
			start := jobRun(t, j, w.with(map[string]string{"status": "started", "auto-finish": "true"}))
			code(t, start, 0)
			if !strings.Contains(start.State["deploytrack"], `"github_deployment_id":1`) {
				t.Fatalf("GITHUB_STATE: %q", start.State)
			}
			if tt.finish {
				code(t, jobRun(t, j, w.with(map[string]string{"status": "success"})), 0)
			}
			posts := jobPost(t, j)
			p := posts[len(posts)-1] // the started step's: post steps run last first
			code(t, p, 0)
			checkStep(t, p.Stdout, p.Summary, testKey, testToken)
			wantContains(t, "post step log", p.Stdout, tt.wantPost)
			if diff := cmp.Diff([]string{"shop-api started", "shop-api completed"}, eventStatuses(w)); diff != "" {
				t.Errorf("Versioner events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"shop-api: in_progress → success"}, statuses(w)); diff != "" {
				t.Errorf("GitHub deployments (-want +got):\n%s", diff)
			}
		})
	}
}

// TestImageCancelled: a step cancelled while Versioner has not answered
// stops at once and still writes its outputs and summary, whether the
// container gets SIGTERM (docker kill -s TERM) or the runner cancels the
// step: SIGINT to docker run, which passes it on; the runner's SIGTERM,
// 7.5 s later, is never needed.
func TestImageCancelled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cancel   func(e *engine, id string, stop context.CancelFunc) error
		wantSent []os.Signal // by the runner, to docker run
	}{
		{"docker kill -s TERM", func(e *engine, id string, _ context.CancelFunc) error {
			_, err := e.docker(nil, "kill", "--signal", "TERM", id)
			return err
		}, nil},
		{"the runner cancels the step: SIGINT", func(_ *engine, _ string, stop context.CancelFunc) error {
			stop()
			return nil
		}, []os.Signal{os.Interrupt}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := dockerEngine(t)
			w := e.newWorld(t)
			w.versioner.Inject(fake.Fault{PathSuffix: "/deployment-events/", Hang: true})
			j, c := e.job(t, w)
			ctx, stop := context.WithTimeout(context.Background(), time.Minute)
			defer stop()
			type ran struct {
				r   runner.Result
				err error
			}
			done := make(chan ran, 1)
			go func() {
				r, err := j.Run(ctx, w.with(map[string]string{"status": "started"}))
				done <- ran{r, err}
			}()
			for len(w.versioner.Requests()) == 0 {
				select {
				case got := <-done:
					t.Fatalf("the step ended before it reached Versioner: %v\nstdout:\n%s\nstderr:\n%s", got.err, got.r.Stdout, got.r.Stderr)
				case <-time.After(20 * time.Millisecond):
				}
			}
			id, err := e.running(c)
			cancelled := time.Now()
			if err == nil {
				err = tt.cancel(e, id, stop)
			} else {
				stop()
			}
			got := <-done
			r := got.r
			if err != nil || got.err != nil {
				t.Fatalf("cancelling: %v; the step: exit %d, %v\nstdout:\n%s\nstderr:\n%s", err, r.Code, got.err, r.Stdout, r.Stderr)
			}
			t.Logf("stopped %s after the cancel; the runner sent %v", time.Since(cancelled).Round(time.Millisecond), r.Stopped)
			if !slices.Equal(r.Stopped, tt.wantSent) {
				t.Errorf("the runner sent %v to docker run, want %v: the step went on after the first signal", r.Stopped, tt.wantSent)
			}
			code(t, r, 1)
			checkStep(t, r.Stdout, r.Summary, testKey, testToken)
			checkSummary(t, r.Summary, j.Env, w.with(map[string]string{"status": "started"}), r.Outputs)
			wantContains(t, "log", r.Stdout, "Versioner: stopped before it answered: the step was cancelled")
			if r.Outputs["status"] != "started" || r.Outputs["results"] == "" {
				t.Errorf("outputs %v, want status started and results", r.Outputs)
			}
			wantSummary(t, r.Summary, "shop-api", "the step was cancelled")
		})
	}
}

// TestImageWritesOnlyItsMounts: a step writes nothing in the container
// but under the runner's mounts. The runner removes the container (--rm);
// this run keeps it to read docker diff.
func TestImageWritesOnlyItsMounts(t *testing.T) {
	t.Parallel()
	e := dockerEngine(t)
	w := e.newWorld(t)
	j, c := e.job(t, w)
	c.Keep = true
	r := jobRun(t, j, w.with(map[string]string{"status": "success"}))
	id := strings.TrimSpace(e.must(t, "ps", "--all", "--quiet", "--filter", "label="+c.Label))
	if id == "" || strings.Contains(id, "\n") {
		t.Fatalf("docker ps found %q, want the step's one container", id)
	}
	t.Cleanup(func() { e.must(t, "rm", id) })
	code(t, r, 0)
	// The mount points docker makes, and the directories above them.
	made := map[string]bool{}
	for _, m := range []string{"/var/run/docker.sock", "/github/runner_temp", "/github/home", "/github/workflow", "/github/file_commands", "/github/workspace"} {
		for ; m != "/"; m = path.Dir(m) {
			made["A "+m] = true
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(e.must(t, "diff", id)), "\n") {
		if line != "" && !made[line] {
			t.Errorf("docker diff: %s: the step wrote outside the runner's mounts", line)
		}
	}
}

// running returns the id of the step's container once the engine shows it
// running. The entrypoint can reach Versioner before the engine has
// marked its container running; until then docker ps does not list it,
// and docker run cannot pass a signal on to it.
func (e *engine) running(c *runner.Container) (string, error) {
	for try := 0; ; try++ {
		id, err := e.docker(nil, "ps", "--quiet", "--filter", "label="+c.Label, "--filter", "status=running")
		if id = strings.TrimSpace(id); err != nil || strings.Contains(id, "\n") {
			return "", fmt.Errorf("docker ps found %q, %v; want the step's one container", id, err)
		}
		if id != "" {
			return id, nil
		}
		if try == 200 {
			return "", errors.New("the step's container never showed as running")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
