package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/runner"
)

// The container figures: what the runner's `docker run` of the action's
// image costs for one full event, beside `docker run` of a scratch image
// that holds only the bare floor (the price of Docker's own start), both
// run with the runner's options (internal/runner's Container) on a job
// network whose gateway serves the fakes, on a Docker engine this program
// starts for itself, as tools/test-image.sh does: its own socket, data and
// exec roots, no iptables, no docker0, stopped by its pid. It never uses
// the machine's default socket.

// containerRuns is how many docker runs of each image are timed.
const containerRuns = 20

// containerResult is the container figures, or why there are none.
type containerResult struct {
	skipped          string
	engine           string
	floor, event     []time.Duration
	image, floorSize int64
}

// engine is a private dockerd.
type engine struct {
	dockerd, cli string
	dir          string
	env          []string // DOCKER_HOST, DOCKER_CONFIG, PATH for the CLI
	socket       string
	cmd          *exec.Cmd
	version      string // the engine's and the CLI's, and the storage driver
}

func measureContainers(ctx context.Context, cfg config, dir string, bins binaries) (*containerResult, error) {
	if cfg.docker == "off" {
		return nil, nil
	}
	dockerd, err := exec.LookPath("dockerd")
	if err != nil {
		dockerd, err = exec.LookPath("/usr/sbin/dockerd")
	}
	why := ""
	switch {
	case err != nil:
		why = "no dockerd (apt-get install docker.io)"
	case os.Getuid() != 0:
		why = "dockerd needs root"
	}
	if why != "" {
		if cfg.docker == "on" {
			return nil, fmt.Errorf("-docker on: %s", why)
		}
		return &containerResult{skipped: why}, nil
	}
	fmt.Fprintf(os.Stderr, "bench: containers: starting a private dockerd...\n")
	e, err := startEngine(dockerd)
	if err != nil {
		return nil, err
	}
	defer e.stop()
	return e.measure(ctx, cfg, dir, bins)
}

// startEngine starts dockerd as tools/test-image.sh does, overlay2 else
// vfs, and waits until it answers.
func startEngine(dockerd string) (*engine, error) {
	dir, err := os.MkdirTemp("", "deploytrack-bench-docker")
	if err != nil {
		return nil, err
	}
	e := &engine{dockerd: dockerd, dir: dir, socket: filepath.Join(dir, "docker.sock")}
	// The CLI packaged with the engine, else the first in PATH.
	e.cli = filepath.Join(filepath.Dir(filepath.Dir(dockerd)), "bin", "docker")
	if _, err := os.Stat(e.cli); err != nil {
		if e.cli, err = exec.LookPath("docker"); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	e.env = []string{"PATH=" + os.Getenv("PATH"), "DOCKER_HOST=unix://" + e.socket, "DOCKER_CONFIG=" + filepath.Join(dir, "config")}
	for _, driver := range []string{"overlay2", "vfs"} {
		log, err := os.Create(filepath.Join(dir, "dockerd-"+driver+".log"))
		if err != nil {
			return nil, err
		}
		e.cmd = exec.Command(dockerd, "--host", "unix://"+e.socket, "--data-root", filepath.Join(dir, "data"),
			"--exec-root", filepath.Join(dir, "exec"), "--pidfile", filepath.Join(dir, "docker.pid"),
			"--storage-driver", driver, "--iptables=false", "--ip6tables=false", "--bridge=none")
		e.cmd.Stdout, e.cmd.Stderr = log, log
		if err := e.cmd.Start(); err != nil {
			log.Close()
			return nil, err
		}
		log.Close()
		for range 150 {
			if _, err := e.docker("version", "--format", "{{.Server.Version}}"); err == nil {
				v, _ := e.docker("version", "--format", "engine {{.Server.Version}}, CLI {{.Client.Version}}")
				e.version = strings.TrimSpace(v) + ", storage driver " + driver
				return e, nil
			}
			if e.cmd.ProcessState != nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		e.stopDaemon()
	}
	e.cleanUp()
	return nil, fmt.Errorf("dockerd did not come up (logs in %s were removed)", dir)
}

// docker runs the CLI against the private engine.
func (e *engine) docker(args ...string) (string, error) {
	cmd := exec.Command(e.cli, args...)
	cmd.Env = e.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("docker %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// stop removes what the benchmark made on the engine, stops it by its
// pid, and removes its directory.
func (e *engine) stop() {
	if out, err := e.docker("ps", "--all", "--quiet"); err == nil && strings.TrimSpace(out) != "" {
		e.docker(append([]string{"rm", "--force"}, strings.Fields(out)...)...)
	}
	if out, err := e.docker("network", "ls", "--quiet", "--filter", "type=custom"); err == nil && strings.TrimSpace(out) != "" {
		e.docker(append([]string{"network", "rm"}, strings.Fields(out)...)...)
	}
	e.stopDaemon()
	e.cleanUp()
}

func (e *engine) stopDaemon() {
	if e.cmd == nil || e.cmd.Process == nil {
		return
	}
	e.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { e.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		e.cmd.Process.Kill()
		<-done
	}
	e.cmd = nil
}

// cleanUp unmounts what a daemon left mounted under its directory, and
// removes it.
func (e *engine) cleanUp() {
	if b, err := os.ReadFile("/proc/mounts"); err == nil {
		var mounts []string
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], e.dir+"/") {
				mounts = append(mounts, f[1])
			}
		}
		for i := len(mounts) - 1; i >= 0; i-- {
			syscall.Unmount(mounts[i], 0)
		}
	}
	os.RemoveAll(e.dir)
}

// lastFrom finds the Dockerfile's FROM lines; the last starts the final stage.
var lastFrom = regexp.MustCompile(`(?im)^[ \t]*FROM[ \t]`)

// buildImages builds the action's image as the Dockerfile's final stage
// does, from the release binary (a builder stage holding what the
// Dockerfile's builder leaves: the binary, its post link, the CA bundle),
// and the floor's: scratch with the bare floor alone. No base image is
// pulled: there is no registry.
func (e *engine) buildImages(dir string, bins binaries) (action, floor string, err error) {
	dockerfile, err := os.ReadFile("Dockerfile")
	if err != nil {
		return "", "", err
	}
	from := lastFrom.FindAllIndex(dockerfile, -1)
	if len(from) < 2 {
		return "", "", fmt.Errorf("the Dockerfile has no builder stage before its final stage")
	}
	build := regexp.MustCompile(`(?im)^[ \t]*FROM[^\n]*[ \t]AS[ \t]+(\S+)`).FindSubmatch(dockerfile)
	if build == nil {
		return "", "", fmt.Errorf("the Dockerfile names no builder stage")
	}
	ctxDir := filepath.Join(dir, "image")
	for _, d := range []string{"builder/out", "builder/etc/ssl/certs"} {
		if err := os.MkdirAll(filepath.Join(ctxDir, d), 0o755); err != nil {
			return "", "", err
		}
	}
	if err := copyFile(bins.action, filepath.Join(ctxDir, "builder/out/deploytrack"), 0o755); err != nil {
		return "", "", err
	}
	if err := os.Symlink("deploytrack", filepath.Join(ctxDir, "builder/out/deploytrack-post")); err != nil {
		return "", "", err
	}
	if err := copyFile("/etc/ssl/certs/ca-certificates.crt", filepath.Join(ctxDir, "builder/etc/ssl/certs/ca-certificates.crt"), 0o644); err != nil {
		return "", "", err
	}
	text := "FROM scratch AS " + string(build[1]) + "\nCOPY builder/ /\n" + string(dockerfile[from[len(from)-1][0]:])
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(text), 0o644); err != nil {
		return "", "", err
	}
	floorDir := filepath.Join(dir, "floor-image")
	if err := os.MkdirAll(floorDir, 0o755); err != nil {
		return "", "", err
	}
	if err := copyFile(bins.bare, filepath.Join(floorDir, "bare"), 0o755); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(filepath.Join(floorDir, "Dockerfile"), []byte("FROM scratch\nCOPY bare /bare\nENTRYPOINT [\"/bare\"]\n"), 0o644); err != nil {
		return "", "", err
	}
	action, floor = "deploytrack-bench:release", "deploytrack-bench:floor"
	for _, b := range [][2]string{{action, ctxDir}, {floor, floorDir}} {
		if _, err := e.dockerWith([]string{"DOCKER_BUILDKIT=0"}, "build", "--quiet", "--tag", b[0], b[1]); err != nil {
			return "", "", err
		}
	}
	return action, floor, nil
}

func (e *engine) dockerWith(env []string, args ...string) (string, error) {
	saved := e.env
	e.env = append(append([]string(nil), saved...), env...)
	defer func() { e.env = saved }()
	return e.docker(args...)
}

func copyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}

func (e *engine) imageSize(image string) (int64, error) {
	out, err := e.docker("image", "inspect", "--format", "{{.Size}}", image)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(out), 10, 64)
}

// measure times docker run of each image, interleaved, against fakes on
// the job network's gateway.
func (e *engine) measure(ctx context.Context, cfg config, dir string, bins binaries) (*containerResult, error) {
	action, floor, err := e.buildImages(dir, bins)
	if err != nil {
		return nil, err
	}
	r := &containerResult{engine: e.version}
	if r.image, err = e.imageSize(action); err != nil {
		return nil, err
	}
	if r.floorSize, err = e.imageSize(floor); err != nil {
		return nil, err
	}
	network := "deploytrack-bench"
	if _, err := e.docker("network", "create", network); err != nil {
		return nil, err
	}
	out, err := e.docker("network", "inspect", "--format", "{{range .IPAM.Config}}{{.Gateway}} {{end}}", network)
	if err != nil {
		return nil, err
	}
	gw := strings.Fields(out)
	if len(gw) == 0 || net.ParseIP(gw[0]) == nil {
		return nil, fmt.Errorf("network %s has gateway %q", network, out)
	}
	vs, gh := fake.NewVersioner(apiKey), fake.NewGitHub(token, "acme", "shop")
	var servers []*httptest.Server
	for _, h := range []http.Handler{vs, gh} {
		ln, err := net.Listen("tcp", net.JoinHostPort(gw[0], "0"))
		if err != nil {
			return nil, err
		}
		s := httptest.NewUnstartedServer(h)
		s.Listener.Close()
		s.Listener = ln
		s.Start()
		servers = append(servers, s)
	}
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()
	meta, err := runner.ReadMetadata(cfg.action)
	if err != nil {
		return nil, err
	}
	temp, workspace := filepath.Join(dir, "runner-temp"), filepath.Join(dir, "workspace")
	event := filepath.Join(temp, runner.TempWorkflow, "event.json")
	if err := os.MkdirAll(filepath.Dir(event), 0o755); err != nil {
		return nil, err
	}
	if err := copyFile(cfg.event, event, 0o644); err != nil {
		return nil, err
	}
	files := filepath.Join(temp, "_runner_file_commands")
	if err := os.MkdirAll(files, 0o755); err != nil {
		return nil, err
	}
	run := func(image string, n int) (time.Duration, error) {
		c := &runner.Container{Docker: e.cli, Env: e.env, Image: image, Label: "deploytrack-bench", Network: network,
			Socket: e.socket, Temp: temp, Workspace: workspace}
		env := runner.Context(servers[1].URL+gh.PathPrefix, fmt.Sprintf("%040x", n))
		env["GITHUB_RUN_ID"] = fmt.Sprint(1000 + n)
		env["GITHUB_EVENT_PATH"], env["GITHUB_WORKSPACE"] = event, workspace
		with := map[string]string{"api-key": apiKey, "api-url": servers[0].URL, "product": "shop-api", "version": "1.4.0",
			"environment": "production", "status": "completed"}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		res, err := runner.Run(rctx, runner.Step{Metadata: meta, With: with, Env: env, Token: token, Dir: files, Container: c})
		if err != nil {
			return 0, err
		}
		if res.Code != 0 {
			return 0, fmt.Errorf("docker run %s: exit code %d\n%s%s", image, res.Code, res.Stdout, res.Stderr)
		}
		if image == action && (res.Outputs["deployment-id"] == "" || res.Outputs["github-deployment-id"] == "") {
			return 0, fmt.Errorf("docker run %s: outputs lack an id: %v\n%s", image, res.Outputs, res.Stdout)
		}
		return res.Took, nil
	}
	fmt.Fprintf(os.Stderr, "bench: containers: %d docker runs of each image, interleaved...\n", containerRuns)
	n := 0
	for round := -1; round < containerRuns; round++ {
		order := []string{floor, action}
		if round%2 == 1 {
			order = []string{action, floor}
		}
		for _, image := range order {
			n++
			took, err := run(image, n)
			if err != nil {
				return nil, err
			}
			if round < 0 {
				continue // the first run of each image warms the engine
			}
			if image == action {
				r.event = append(r.event, took)
			} else {
				r.floor = append(r.floor, took)
			}
		}
	}
	return r, nil
}

func (r *containerResult) print(w io.Writer) {
	if r.skipped != "" {
		fmt.Fprintf(w, "containers: not measured: %s\n\n", r.skipped)
		return
	}
	fmt.Fprintf(w, "containers (docker run with the runner's options, on a private engine: %s; %d runs each, interleaved):\n", r.engine, len(r.event))
	fmt.Fprintf(w, "  scratch + the bare floor      median %s  p95 %s  image %s\n", ms(median(r.floor)), ms(percentile(r.floor, 95)), mb(r.floorSize))
	fmt.Fprintf(w, "  the action's image, an event  median %s  p95 %s  image %s\n\n", ms(median(r.event)), ms(percentile(r.event, 95)), mb(r.image))
}

func (r *containerResult) verdicts() []verdict {
	if r.skipped != "" {
		return nil
	}
	ev, fl := median(r.event), median(r.floor)
	return []verdict{
		{ev <= time.Duration(maxContainer*float64(fl)), fmt.Sprintf("container: docker run of a full event, median %s ≤ %.2f × docker run of the bare floor's scratch image, %s (it is %.2f ×)",
			ms(ev), maxContainer, ms(fl), ratio(ev, fl))},
		{r.image <= maxImage, fmt.Sprintf("image: %s ≤ %s", mb(r.image), mb(maxImage))},
	}
}
