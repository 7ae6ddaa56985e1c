package e2e

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/runner"
)

// The image, on a real Docker engine, run the way the runner runs it.
//
//	image_test.go            the engine, the image built from the release
//	                         build, and what the image holds
//	image_runs_test.go       the action run by docker run, as the runner does
//	image_dockerfile_test.go the Dockerfile built by both builders
//
// make test-image (tools/test-image.sh) starts a private dockerd and names
// its socket in DEPLOYTRACK_DOCKER_HOST; without it these tests skip. They
// never fall back to the machine's default engine.

const (
	dockerHostEnv = "DEPLOYTRACK_DOCKER_HOST" // unix://PATH of the private engine's socket
	dockerCLIEnv  = "DEPLOYTRACK_DOCKER"      // the docker CLI; default: docker in PATH
)

// engine is the private Docker engine, with the image built from the
// release build and the job's network.
type engine struct {
	cli    string
	env    []string // the CLI's: DOCKER_HOST, DOCKER_CONFIG, PATH
	socket string   // the engine's socket on the host
	image  string   // the image built from the release build
	// network is a user-defined bridge network, as the runner makes for a
	// job; the fakes listen on its gateway, the host's address on it.
	network, gateway string
}

var theEngine struct {
	once sync.Once
	e    *engine
	err  error
}

// dockerEngine returns the engine make test-image started, with the image
// built and the network made, or skips the test when there is none.
func dockerEngine(t *testing.T) *engine {
	t.Helper()
	host := os.Getenv(dockerHostEnv)
	if host == "" {
		t.Skipf("%s is not set: make test-image starts a private Docker engine and runs the image tests", dockerHostEnv)
	}
	bin := releaseBinary(t)
	theEngine.once.Do(func() { theEngine.e, theEngine.err = setUpEngine(host, bin) })
	if theEngine.err != nil {
		t.Fatal(theEngine.err)
	}
	return theEngine.e
}

func setUpEngine(host, bin string) (*engine, error) {
	socket, ok := strings.CutPrefix(host, "unix://")
	if !ok || !filepath.IsAbs(socket) {
		return nil, fmt.Errorf("%s=%q: want unix:///path/to/docker.sock", dockerHostEnv, host)
	}
	if s := filepath.Clean(socket); s == "/var/run/docker.sock" || s == "/run/docker.sock" {
		return nil, fmt.Errorf("%s names the machine's default Docker socket, which another process may use: make test-image starts a private engine", dockerHostEnv)
	}
	cli := os.Getenv(dockerCLIEnv)
	if cli == "" {
		var err error
		if cli, err = exec.LookPath("docker"); err != nil {
			return nil, err
		}
	}
	// binary's directory is TestMain's, removed when the tests end.
	config, err := os.MkdirTemp(filepath.Dir(binary), "docker-config")
	if err != nil {
		return nil, err
	}
	e := &engine{cli: cli, socket: socket,
		env: []string{"PATH=" + os.Getenv("PATH"), "DOCKER_HOST=" + host, "DOCKER_CONFIG=" + config}}
	if _, err := e.docker(nil, "version"); err != nil {
		return nil, err
	}
	if e.image, err = e.buildReleaseImage(bin); err != nil {
		return nil, fmt.Errorf("building the image from the release build: %w", err)
	}
	e.network = "deploytrack-e2e-" + randomHex(3)
	if _, err := e.docker(nil, "network", "create", e.network); err != nil {
		return nil, err
	}
	out, err := e.docker(nil, "network", "inspect", "--format", "{{range .IPAM.Config}}{{.Gateway}} {{end}}", e.network)
	if err != nil {
		return nil, err
	}
	gw := strings.Fields(out)
	if len(gw) == 0 || net.ParseIP(gw[0]) == nil || net.ParseIP(gw[0]).IsLoopback() {
		return nil, fmt.Errorf("network %s has gateway %q, want the host's address on it", e.network, out)
	}
	e.gateway = gw[0]
	return e, nil
}

// docker runs the docker CLI against the private engine, with extra
// variables in its environment, and returns its stdout.
func (e *engine) docker(env []string, args ...string) (string, error) {
	cmd := exec.Command(e.cli, args...)
	cmd.Env = append(slices.Clone(e.env), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("docker %s: %v\n%s%s", strings.Join(args, " "), err, &stdout, &stderr)
	}
	return stdout.String(), nil
}

// must is docker for a test: it fails the test when the CLI fails.
func (e *engine) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.docker(nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// lastFrom is the final stage's FROM line.
var lastFrom = regexp.MustCompile(`(?im)^[ \t]*FROM[ \t]`)

// buildReleaseImage builds the image from the binary tools/build.sh made
// here: a builder stage holding what the Dockerfile's builder leaves (the
// binary and its links where tools/build.sh writes, the CA bundle, this
// machine's standing in for the builder's), then the Dockerfile's final
// stage, word for word. No base image is pulled: there is no registry.
func (e *engine) buildReleaseImage(bin string) (string, error) {
	dockerfile, err := os.ReadFile("Dockerfile")
	if err != nil {
		return "", err
	}
	p, files, err := imagePlan()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(filepath.Dir(binary), "image")
	if err != nil {
		return "", err
	}
	for _, f := range files {
		dst := filepath.Join(dir, "builder", filepath.FromSlash(f.src))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		switch {
		case f.link != "":
			err = os.Symlink(f.link, dst)
		case f.binary:
			err = copyTo(bin, dst, 0o755)
		default:
			err = copyTo(f.src, dst, 0o644)
		}
		if err != nil {
			return "", err
		}
	}
	from := lastFrom.FindAllIndex(dockerfile, -1)
	if len(from) < 2 {
		return "", errors.New("the Dockerfile has no builder stage before its final stage")
	}
	stage := "FROM scratch"
	if p.builder.name != "" {
		stage += " AS " + p.builder.name
	}
	text := stage + "\nCOPY builder/ /\n" + string(dockerfile[from[len(from)-1][0]:])
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(text), 0o644); err != nil {
		return "", err
	}
	tag := "deploytrack-e2e:release"
	_, err = e.docker([]string{"DOCKER_BUILDKIT=0"}, "build", "--quiet", "--tag", tag, dir)
	return tag, err
}

// imagePlan reads the Dockerfile for the files its final stage copies.
func imagePlan() (*packaging, []imageFile, error) {
	files := map[string]string{}
	for _, n := range []string{"Dockerfile", "Makefile", "go.mod", ciWorkflow, "action.yml"} {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, nil, err
		}
		files[n] = string(b)
	}
	p, err := parsePackaging(files)
	if err != nil {
		return nil, nil, err
	}
	fs, err := p.imageFiles()
	return p, fs, err
}

func copyTo(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}

// layerEntry is one path of an image's file system, as its layers leave it.
type layerEntry struct {
	typ  byte // tar.TypeReg, tar.TypeSymlink, tar.TypeDir
	mode int64
	link string
	data []byte // a regular file's content
}

// imageContents reads an image's file system from docker save: its layers
// applied in order, by path without the leading /.
func (e *engine) imageContents(t *testing.T, image string) map[string]layerEntry {
	t.Helper()
	saved := e.must(t, "save", image)
	blobs := map[string][]byte{}
	tr := tar.NewReader(strings.NewReader(saved))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("docker save %s: %v", image, err)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			blobs[h.Name] = b
		}
	}
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(blobs["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("docker save %s: manifest.json %q: %v", image, blobs["manifest.json"], err)
	}
	fs := map[string]layerEntry{}
	for _, l := range manifest[0].Layers {
		lr := tar.NewReader(bytes.NewReader(blobs[l]))
		for {
			h, err := lr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("layer %s: %v", l, err)
			}
			name := path.Clean("/" + h.Name)[1:]
			if name == "" {
				continue // the root directory
			}
			if strings.HasPrefix(path.Base(name), ".wh.") {
				t.Errorf("layer %s deletes %s: the final stage only adds files", l, name)
				continue
			}
			ent := layerEntry{typ: h.Typeflag, mode: h.Mode & 0o7777, link: h.Linkname}
			if h.Typeflag == tar.TypeReg {
				if ent.data, err = io.ReadAll(lr); err != nil {
					t.Fatal(err)
				}
			}
			fs[name] = ent
		}
	}
	return fs
}

// checkImageHolds fails the test unless the image holds exactly the files
// the Dockerfile's final stage copies (the binary, its links, the CA
// bundle) and the directories above them, and runs the binary as root.
func (e *engine) checkImageHolds(t *testing.T, image string) map[string]layerEntry {
	t.Helper()
	p, files, err := imagePlan()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, f := range files {
		name := strings.TrimPrefix(f.dest, "/")
		switch {
		case f.link != "":
			want[name] = "link to " + f.link
		case f.binary:
			want[name] = "executable file"
		default:
			want[name] = "file"
		}
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			want[d] = "directory"
		}
	}
	fs := e.imageContents(t, image)
	got := map[string]string{}
	for name, ent := range fs {
		switch ent.typ {
		case tar.TypeDir:
			got[name] = "directory"
		case tar.TypeSymlink:
			got[name] = "link to " + ent.link
		case tar.TypeReg:
			got[name] = "file"
			if ent.mode&0o111 != 0 {
				got[name] = "executable file"
			}
		default:
			got[name] = fmt.Sprintf("tar type %q", ent.typ)
		}
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: /%s is %q, want %q", image, name, cmpOr(got[name], "missing"), w)
		}
	}
	for name, g := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s holds /%s (%s), which the final stage does not copy", image, name, g)
		}
	}
	var config struct {
		Entrypoint, Cmd []string
		User            string
		WorkingDir      string
	}
	if err := json.Unmarshal([]byte(e.must(t, "image", "inspect", "--format", "{{json .Config}}", image)), &config); err != nil {
		t.Fatal(err)
	}
	argv, err := p.entrypoint()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(config.Entrypoint, argv) || len(config.Cmd) > 0 || config.User != "" {
		t.Errorf("%s runs %q %q as user %q, want %q as root", image, config.Entrypoint, config.Cmd, config.User, argv)
	}
	return fs
}

// serve serves h on the job network's gateway, where the action's
// container reaches it, as a container action on a runner reaches the
// host: not on loopback, which is the container's own.
func (e *engine) serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(e.gateway, "0"))
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	return s.URL
}

// newWorld is the package's newWorld with the fakes on the gateway.
func (e *engine) newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, versioner: fake.NewVersioner(testKey), github: fake.NewGitHub(testToken, "acme", "shop")}
	w.vURL = e.serve(t, w.versioner)
	w.ghAPI = e.serve(t, w.github) + w.github.PathPrefix
	w.context = runner.Context(w.ghAPI, headSHA)
	w.context["DEPLOYTRACK_RETRY_WAIT"] = "5ms"
	return w
}

// job starts a job of w's run whose steps are docker runs of the image,
// as the runner runs them: the event payload in the runner's workflow
// directory, GITHUB_EVENT_PATH and GITHUB_WORKSPACE as host paths, which
// the container sees under /github.
func (e *engine) job(t *testing.T, w *world) (*runner.Job, *runner.Container) {
	t.Helper()
	c := &runner.Container{Docker: e.cli, Env: e.env, Image: e.image, Label: "deploytrack-e2e-" + randomHex(3),
		Network: e.network, Socket: e.socket, Temp: t.TempDir(), Workspace: t.TempDir()}
	event := filepath.Join(c.Temp, runner.TempWorkflow, "event.json")
	if err := os.MkdirAll(filepath.Dir(event), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyTo(eventFile("push.json"), event, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for k, v := range w.context {
		env[k] = v
	}
	env["GITHUB_EVENT_PATH"], env["GITHUB_WORKSPACE"] = event, c.Workspace
	j := &runner.Job{Metadata: readAction(t), Env: env, Token: testToken, Dir: filepath.Join(c.Temp, "_runner_file_commands"), Container: c}
	return j, c
}

// TestImageHoldsTheRelease: the image built from the release build holds
// the binary, the post step's link and the CA bundle, nothing else, and
// runs the binary as root.
func TestImageHoldsTheRelease(t *testing.T) {
	t.Parallel()
	e := dockerEngine(t)
	fs := e.checkImageHolds(t, e.image)
	if err := staticELFBytes(fs["deploytrack"].data); err != nil {
		t.Errorf("/deploytrack: %v", err)
	}
}

// staticELFBytes is staticELF for a file read from an image.
func staticELFBytes(b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(binary), "elf")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return staticELF(f.Name())
}
