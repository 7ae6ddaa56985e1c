package runner

import (
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestContainerCommand checks the docker run line against the runner's
// (DockerCommandManager.DockerRun, and a hosted runner's log): the inputs,
// then the context, each -e by name alone with its value in the docker
// CLI's environment, host paths there turned into container paths; the
// post step's --entrypoint; the job's network; the runner's mounts.
func TestContainerCommand(t *testing.T) {
	t.Parallel()
	def := "completed"
	m := &Metadata{Inputs: map[string]Input{"api-key": {}, "status": {Default: &def}}}
	m.Runs.PostEntrypoint = "/deploytrack-post"
	temp, ws, dir := t.TempDir(), t.TempDir(), t.TempDir()
	c := &Container{Docker: "docker", Env: []string{"DOCKER_HOST=unix:///x/docker.sock"}, Image: "deploytrack:e2e", Label: "5c6072",
		Network: "job-net", Socket: "/x/docker.sock", Temp: temp, Workspace: ws}
	context := map[string]string{"CI": "true", "GITHUB_EVENT_PATH": filepath.Join(temp, TempWorkflow, "event.json"),
		"GITHUB_WORKSPACE": ws, "HOME": "/github/home", "RUNNER_TEMP": temp, "GITHUB_SHA": "abc"}
	vars := []string{"-e", "INPUT_API-KEY", "-e", "INPUT_STATUS", "-e", "CI", "-e", "GITHUB_ENV", "-e", "GITHUB_EVENT_PATH",
		"-e", "GITHUB_OUTPUT", "-e", "GITHUB_SHA", "-e", "GITHUB_STATE", "-e", "GITHUB_STEP_SUMMARY", "-e", "GITHUB_WORKSPACE",
		"-e", "HOME", "-e", "RUNNER_TEMP"}
	mounts := []string{
		"-v", "/x/docker.sock:/var/run/docker.sock",
		"-v", temp + ":/github/runner_temp",
		"-v", filepath.Join(temp, TempHome) + ":/github/home",
		"-v", filepath.Join(temp, TempWorkflow) + ":/github/workflow",
		"-v", dir + ":/github/file_commands",
		"-v", ws + ":/github/workspace",
	}
	env := []string{"DOCKER_HOST=unix:///x/docker.sock", "CI=true",
		"GITHUB_ENV=/github/file_commands/env", "GITHUB_EVENT_PATH=/github/workflow/event.json",
		"GITHUB_OUTPUT=/github/file_commands/output", "GITHUB_SHA=abc", "GITHUB_STATE=/github/file_commands/state",
		"GITHUB_STEP_SUMMARY=/github/file_commands/step_summary", "GITHUB_WORKSPACE=/github/workspace",
		"HOME=/github/home", "INPUT_API-KEY=k", "INPUT_STATUS=completed", "RUNNER_TEMP=/github/runner_temp"}
	tests := []struct {
		name     string
		post     bool
		wantArgs []string
		wantEnv  []string
	}{
		{
			name:     "main step",
			wantArgs: concat(vars, []string{"-e", "GITHUB_ACTIONS=true", "--network", "job-net"}, mounts, []string{"deploytrack:e2e"}),
			wantEnv:  env,
		},
		{
			name: "post step",
			post: true,
			wantArgs: concat(vars, []string{"-e", "STATE_deploytrack", "-e", "GITHUB_ACTIONS=true", "--entrypoint", "/deploytrack-post",
				"--network", "job-net"}, mounts, []string{"deploytrack:e2e"}),
			wantEnv: append(slices.Clone(env), "STATE_deploytrack={}"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := Step{Metadata: m, With: map[string]string{"api-key": "k"}, Env: context, Dir: dir, Post: tt.post, Container: c}
			if tt.post {
				s.State = map[string]string{"deploytrack": "{}"}
			}
			stepEnv, _, err := s.Environ()
			if err != nil {
				t.Fatal(err)
			}
			args, cliEnv, err := c.command(s, stepEnv)
			if err != nil {
				t.Fatal(err)
			}
			if len(args) < 3 || !regexp.MustCompile(`^deploytracke2e_[0-9a-f]{6}$`).MatchString(args[2]) {
				t.Fatalf("docker %q: want --name of the image's letters and digits, _ and six hex digits", args)
			}
			want := concat([]string{"run", "--name", args[2], "--label", "5c6072", "--workdir", "/github/workspace", "--rm"}, tt.wantArgs)
			if diff := cmp.Diff(want, args); diff != "" {
				t.Errorf("docker %q\n(-want +got):\n%s", args, diff)
			}
			if diff := cmp.Diff(tt.wantEnv, cliEnv); diff != "" {
				t.Errorf("the docker CLI's environment (-want +got):\n%s", diff)
			}
		})
	}
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestTranslate(t *testing.T) {
	t.Parallel()
	ms := []mount{{"/t", "/github/runner_temp"}, {"/t/_github_home", "/github/home"}, {"/w", "/github/workspace"}}
	for in, want := range map[string]string{
		"/t":                 "/github/runner_temp",
		"/t/x":               "/github/runner_temp/x",
		"/t/_github_home/.c": "/github/home/.c",
		"/tx":                "/tx",
		"/w":                 "/github/workspace",
		"relative/t":         "relative/t",
		"":                   "",
	} {
		if got := translate(ms, in); got != want {
			t.Errorf("translate(%q) = %q, want %q", in, got, want)
		}
	}
}
