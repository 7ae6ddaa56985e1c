package runner

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Container makes Run start a step the way the runner starts a container
// action on Linux (actions/runner ContainerActionHandler and
// DockerCommandManager.DockerRun): not the binary as a process but
//
//	docker run --name NAME --label LABEL --workdir /github/workspace --rm
//	  -e NAME... -e GITHUB_ACTIONS=true [-e CI=true]
//	  [--entrypoint POST-ENTRYPOINT] [--network NETWORK]
//	  -v SOCKET:/var/run/docker.sock -v TEMP:/github/runner_temp
//	  -v TEMP/_github_home:/github/home -v TEMP/_github_workflow:/github/workflow
//	  -v FILE-COMMANDS:/github/file_commands -v WORKSPACE:/github/workspace
//	  IMAGE
//
// Each -e names a variable whose value is in the docker CLI's own
// environment, every host path in it turned into its container path. The
// step's Dir is the file-commands directory.
type Container struct {
	Docker string   // the docker CLI
	Env    []string // the CLI's own environment (DOCKER_HOST, DOCKER_CONFIG, PATH), before the step's
	Image  string
	// Label is the runner's --label, one per runner; a test finds its
	// containers by it (docker ps --filter label=...).
	Label   string
	Network string // the job's network; "" for none
	Socket  string // the host path mounted at /var/run/docker.sock
	// Temp is the runner's temporary directory on the host: it is mounted
	// at /github/runner_temp and holds the directories mounted at
	// /github/home and /github/workflow (TempHome, TempWorkflow).
	Temp      string
	Workspace string // the checkout, mounted at /github/workspace
	// Keep leaves the container behind when it exits (no --rm), so that a
	// test can read what it changed (docker diff) before removing it. The
	// runner always passes --rm.
	Keep bool
}

// The host directories under Temp, as the runner names them.
const (
	TempHome     = "_github_home"
	TempWorkflow = "_github_workflow"
)

// mount is one -v: a host path and where the container sees it.
type mount struct{ host, container string }

// mounts returns the runner's mounts in its order; the file commands are
// the step's Dir.
func (c *Container) mounts(dir string) []mount {
	return []mount{
		{c.Socket, "/var/run/docker.sock"},
		{c.Temp, "/github/runner_temp"},
		{filepath.Join(c.Temp, TempHome), "/github/home"},
		{filepath.Join(c.Temp, TempWorkflow), "/github/workflow"},
		{dir, "/github/file_commands"},
		{c.Workspace, "/github/workspace"},
	}
}

// translate turns a host path under a mount into the container's path
// (actions/runner ContainerInfo.TranslateToContainerPath), the most
// specific mount first; any other value is left as it is.
func translate(ms []mount, v string) string {
	best := -1
	for i, m := range ms {
		if m.host == "" || (v != m.host && !strings.HasPrefix(v, m.host+"/")) {
			continue
		}
		if best < 0 || len(m.host) > len(ms[best].host) {
			best = i
		}
	}
	if best < 0 {
		return v
	}
	return ms[best].container + strings.TrimPrefix(v, ms[best].host)
}

// command returns the docker CLI's arguments and environment that run the
// step s, whose environment (from Environ) is env.
func (c *Container) command(s Step, env []string) (args, cliEnv []string, err error) {
	for _, d := range []string{filepath.Join(c.Temp, TempHome), filepath.Join(c.Temp, TempWorkflow), c.Workspace} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, nil, err
		}
	}
	ms := c.mounts(s.Dir)
	name, err := containerName(c.Image)
	if err != nil {
		return nil, nil, err
	}
	args = []string{"run", "--name", name, "--label", c.Label, "--workdir", "/github/workspace"}
	if !c.Keep {
		args = append(args, "--rm")
	}
	// INPUT_* first, as the runner adds the inputs before the context.
	var inputs, others []string
	ci := false
	cliEnv = append([]string(nil), c.Env...)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "INPUT_") {
			inputs = append(inputs, "-e", k)
		} else {
			others = append(others, "-e", k)
		}
		ci = ci || k == "CI"
		cliEnv = append(cliEnv, k+"="+translate(ms, v))
	}
	args = append(append(args, inputs...), others...)
	args = append(args, "-e", "GITHUB_ACTIONS=true")
	if !ci {
		args = append(args, "-e", "CI=true")
	}
	if s.Post {
		if s.Metadata.Runs.PostEntrypoint == "" {
			return nil, nil, fmt.Errorf("action.yml has no runs.post-entrypoint")
		}
		args = append(args, "--entrypoint", s.Metadata.Runs.PostEntrypoint)
	}
	if c.Network != "" {
		args = append(args, "--network", c.Network)
	}
	for _, m := range ms {
		args = append(args, "-v", m.host+":"+m.container)
	}
	return append(args, c.Image), cliEnv, nil
}

// containerName is the runner's --name: the image's name kept to its
// letters and digits, then six random hex digits.
func containerName(image string) (string, error) {
	var b strings.Builder
	for _, r := range image {
		if r < 128 && (r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			b.WriteRune(r)
		}
	}
	suffix := make([]byte, 3)
	if _, err := rand.Read(suffix); err != nil {
		return "", err
	}
	return b.String() + "_" + hex.EncodeToString(suffix), nil
}
