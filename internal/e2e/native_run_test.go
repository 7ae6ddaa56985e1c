package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/runner"
)

// native/action.yml run as the runner runs a composite action: each step's
// script by bash --noprofile --norc -eo pipefail, with its env (the few
// expressions the file uses, evaluated), GITHUB_ACTION_PATH and file
// command files of its own; the action's outputs from its steps'. The
// scripts get a PATH that holds only the tools install.sh says it needs,
// so a new dependency shows here first.

// nativeTools are the commands native/install.sh and tools/build.sh may
// use; bash runs them. go and git (which go build asks for the commit)
// only build from source.
var nativeTools = []string{"bash", "curl", "sha256sum", "mkdir", "mktemp", "mv", "chmod", "rm", "dirname"}

// toolPath returns a directory of links to the tools, with go and git
// when withGo, for a PATH that holds nothing else.
func toolPath(t *testing.T, withGo bool) string {
	t.Helper()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("runs native/install.sh under bash on Linux or macOS")
	}
	dir := t.TempDir()
	tools := nativeTools
	if withGo {
		tools = append(tools[:len(tools):len(tools)], "go", "git")
	}
	for _, tool := range tools {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("native/install.sh needs %s, which this machine lacks: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runnerArch is RUNNER_ARCH on a runner like this machine.
func runnerArch(t *testing.T) (string, target) {
	t.Helper()
	arch := map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	goos := map[string]string{"linux": "Linux", "darwin": "macOS"}[runtime.GOOS]
	if arch == "" || goos == "" {
		t.Skipf("no native runner is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	return arch, target{runtime.GOOS, runtime.GOARCH}
}

// composite is one job's use of native/action.yml.
type composite struct {
	root  string            // the action's repository: action.yml, native/, tools/
	env   map[string]string // the job's environment
	token string
}

// newComposite returns a job of w's run that uses the native/action.yml
// in root, on a runner whose PATH is path and whose tool cache is its own.
func newComposite(t *testing.T, w *world, root, path string) *composite {
	t.Helper()
	arch, tg := runnerArch(t)
	env := maps.Clone(w.context)
	maps.Copy(env, map[string]string{
		"PATH": path, "HOME": t.TempDir(), "RUNNER_OS": map[string]string{"linux": "Linux", "darwin": "macOS"}[tg.goos],
		"RUNNER_ARCH": arch, "RUNNER_TEMP": t.TempDir(), "RUNNER_TOOL_CACHE": t.TempDir(),
		// go, as actions/setup-go leaves it; offline, from this machine's caches.
		"GOCACHE": goEnv(t, "GOCACHE"), "GOMODCACHE": goEnv(t, "GOMODCACHE"), "GOPATH": goEnv(t, "GOPATH"),
		"GOTOOLCHAIN": "local", "GOPROXY": "off",
	})
	return &composite{root: root, env: env, token: testToken}
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// compositeResult is what one use of the action left.
type compositeResult struct {
	failed  string // the id of the step that failed; "" when all passed
	log     string // every step's stdout and stderr
	outputs map[string]string
}

// expression is a ${{ ... }} in native/action.yml.
var expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// run runs the action's steps with the step's with:, as the runner does.
func (c *composite) run(t *testing.T, with map[string]string) compositeResult {
	t.Helper()
	meta := readActionFile(t, filepath.Join(c.root, "native", "action.yml"))
	// The inputs context: each declared input, the with: value or its
	// default, evaluated.
	inputs := map[string]string{}
	for name, in := range meta.Inputs {
		if in.Default != nil {
			d := strings.ReplaceAll(*in.Default, "${{ github.token }}", c.token)
			inputs[name] = strings.ReplaceAll(d, "${{ job.status }}", "success")
		} else {
			inputs[name] = ""
		}
	}
	for name, v := range with {
		if _, ok := meta.Inputs[name]; !ok {
			t.Fatalf("the step sets input %q, which native/action.yml does not declare", name)
		}
		inputs[name] = v
	}
	steps := map[string]map[string]string{}
	eval := func(s string) string {
		return expression.ReplaceAllStringFunc(s, func(e string) string {
			expr := expression.FindStringSubmatch(e)[1]
			if expr == "toJSON(inputs)" {
				b, err := json.MarshalIndent(inputs, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			if id, out, ok := strings.Cut(strings.TrimPrefix(expr, "steps."), ".outputs."); ok && strings.HasPrefix(expr, "steps.") {
				return steps[id][out]
			}
			t.Fatalf("native/action.yml uses ${{ %s }}, which this test does not evaluate: teach it", expr)
			return ""
		})
	}
	var res compositeResult
	var log strings.Builder
	for _, st := range meta.Runs.Steps {
		dir := t.TempDir()
		script := filepath.Join(dir, "script.sh")
		if err := os.WriteFile(script, []byte(eval(st.Run)), 0o644); err != nil {
			t.Fatal(err)
		}
		env := maps.Clone(c.env)
		for k, v := range st.Env {
			env[k] = eval(v)
		}
		env["GITHUB_ACTION_PATH"] = filepath.Join(c.root, "native")
		files := map[string]string{}
		for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_STATE"} {
			files[f] = filepath.Join(dir, strings.ToLower(f))
			if err := os.WriteFile(files[f], nil, 0o644); err != nil {
				t.Fatal(err)
			}
			env[f] = files[f]
		}
		cmd := exec.Command(filepath.Join(c.env["PATH"], "bash"), "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Dir = c.root
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.CombinedOutput()
		fmt.Fprintf(&log, "== step %s\n%s", st.ID, out)
		b, rerr := os.ReadFile(files["GITHUB_OUTPUT"])
		if rerr != nil {
			t.Fatal(rerr)
		}
		if steps[st.ID], rerr = runner.ParseOutputs(strings.NewReader(string(b))); rerr != nil {
			t.Fatalf("step %s: %v", st.ID, rerr)
		}
		if err != nil {
			res.failed = st.ID
			break
		}
	}
	res.log = log.String()
	res.outputs = map[string]string{}
	for name, o := range meta.Outputs {
		if v := eval(o.Value); v != "" {
			res.outputs[name] = v
		}
	}
	if testing.Verbose() {
		t.Logf("%s", res.log)
	}
	return res
}

// nonEmpty drops the outputs a step left empty.
func nonEmpty(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// TestNativeActionFromSource runs native/action.yml as it is on the
// default branch: the binary built from this checkout with go, and its
// outputs those of the container action given the same inputs.
func TestNativeActionFromSource(t *testing.T) {
	t.Parallel()
	path := toolPath(t, true)
	for _, tt := range []struct {
		name string
		with map[string]string
	}{
		{"a started deployment", map[string]string{"status": "started", "description": "rolling out\nin two lines"}},
		{"a build through the aliases", map[string]string{"event_type": "build", "product_name": "shop-web", "fail_on_api_error": "false"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			nw, cw := newWorld(t), newWorld(t)
			got := newComposite(t, nw, ".", path).run(t, nw.with(tt.with))
			if got.failed != "" {
				t.Fatalf("step %s failed:\n%s", got.failed, got.log)
			}
			if !strings.Contains(got.log, "not a release: building the binary from source with go version") {
				t.Errorf("the log does not say the binary was built from source:\n%s", got.log)
			}
			want := cw.run(use{with: cw.with(tt.with)})
			if want.code != 0 {
				t.Fatalf("the container action failed: %d\n%s", want.code, want.stdout)
			}
			if diff := cmp.Diff(nonEmpty(want.outputs), got.outputs); diff != "" {
				t.Errorf("outputs of the container action (-) and of native/action.yml (+) differ:\n%s", diff)
			}
			if len(nw.versioner.Events()) != 1 {
				t.Errorf("the fake Versioner received %d events, want 1", len(nw.versioner.Events()))
			}
		})
	}
}

// assetServer serves a release's assets as GitHub does, counting requests.
type assetServer struct {
	*httptest.Server
	requests atomic.Int32
	mu       sync.Mutex
	replaced map[string][]byte // asset name -> what is served instead
}

func serveRelease(t *testing.T, dir string) *assetServer {
	t.Helper()
	r := &assetServer{replaced: map[string][]byte{}}
	files := http.StripPrefix("/releases/download/"+releaseVersion+"/", http.FileServer(http.Dir(dir)))
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		r.mu.Lock()
		b, ok := r.replaced[filepath.Base(req.URL.Path)]
		r.mu.Unlock()
		if ok {
			_, _ = w.Write(b)
			return
		}
		files.ServeHTTP(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

// pinnedCopy copies the action's metadata and native/ to a directory and
// pins them to the release at url with tools/pin.sh, as the release does.
func pinnedCopy(t *testing.T, sums, url string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "native"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"action.yml", "native/action.yml", "native/install.sh"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pin, err := filepath.Abs("tools/pin.sh")
	if err != nil {
		t.Fatal(err)
	}
	image := "ghcr.io/deploytrack/deploytrack:" + releaseVersion + "@sha256:" + strings.Repeat("0123456789abcdef", 4)
	cmd := exec.Command(pin, releaseVersion, image, url, sums)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tools/pin.sh: %v\n%s", err, out)
	}
	return root
}

// TestNativeActionFromRelease runs native/action.yml as a release pins it
// (tools/pin.sh, against tools/release-binaries.sh's assets, served as
// GitHub serves a release's): the first use downloads and verifies the
// binary, the next uses the tool cache; a binary whose sum differs, in the
// cache or in the download, is never run.
func TestNativeActionFromRelease(t *testing.T) {
	t.Parallel()
	path := toolPath(t, false)
	_, tg := runnerArch(t)
	dist := releaseDist(t)
	srv := serveRelease(t, dist)
	root := pinnedCopy(t, filepath.Join(dist, "SHA256SUMS"), srv.URL+"/releases/download/"+releaseVersion)

	t.Run("pinned metadata", func(t *testing.T) {
		for _, p := range nativeProblems(readActionFile(t, filepath.Join(root, "action.yml")), readActionFile(t, filepath.Join(root, "native", "action.yml"))) {
			t.Error(p)
		}
		m, err := runner.ReadMetadata(filepath.Join(root, "action.yml"))
		if err != nil {
			t.Fatal(err)
		}
		if !pinnedImage.MatchString(m.Runs.Image) {
			t.Errorf("pinned runs.image %q", m.Runs.Image)
		}
	})

	w := newWorld(t)
	job := newComposite(t, w, root, path)
	// The tool cache's layout: deploytrack/<version>/<arch>/, the
	// processor as actions/tool-cache names it (x64, arm64).
	cache := filepath.Join(job.env["RUNNER_TOOL_CACHE"], "deploytrack", strings.TrimPrefix(releaseVersion, "v"), strings.ToLower(job.env["RUNNER_ARCH"]))
	cached := filepath.Join(cache, "deploytrack")
	with := w.with(map[string]string{"status": "started"})

	first := job.run(t, with)
	if first.failed != "" {
		t.Fatalf("step %s failed:\n%s", first.failed, first.log)
	}
	if want := "downloading " + srv.URL + "/releases/download/" + releaseVersion + "/" + tg.asset(); !strings.Contains(first.log, want) {
		t.Errorf("the log lacks %q:\n%s", want, first.log)
	}
	if first.outputs["status"] != "started" || first.outputs["deployment-id"] == "" {
		t.Errorf("outputs %v", first.outputs)
	}
	if got := fileSHA256(t, cached); got != fileSHA256(t, filepath.Join(dist, tg.asset())) {
		t.Errorf("the tool cache holds %s with SHA-256 %s, not the release's", cached, got)
	}
	if _, err := os.Stat(cache + ".complete"); err != nil {
		t.Errorf("no marker beside the cached binary: %v", err)
	}

	with["status"] = "completed"
	second := job.run(t, with)
	if second.failed != "" {
		t.Fatalf("step %s failed:\n%s", second.failed, second.log)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("the release was asked %d times, want once: the second step should use the tool cache", n)
	}
	if !strings.Contains(second.log, "from the tool cache, SHA-256 verified") || second.outputs["status"] != "completed" {
		t.Errorf("second step: outputs %v\n%s", second.outputs, second.log)
	}

	// A binary changed in the cache after it was verified.
	b, err := os.ReadFile(cached)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cached, append(b, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	tampered := job.run(t, with)
	if tampered.failed != "install" || !strings.Contains(tampered.log, "::error title=deploytrack/native::the tool cache's "+cached+" has SHA-256") ||
		!strings.Contains(tampered.log, "it changed after it was verified, and is not run") {
		t.Errorf("a changed cached binary: failed step %q\n%s", tampered.failed, tampered.log)
	}
	if n := len(w.versioner.Events()); n != 2 {
		t.Errorf("the fake Versioner received %d events, want the 2 of the steps that ran", n)
	}
}

// TestNativeInstallRefusesWhatItCannotVerify: a download that is not the
// binary the release built, a release that cannot be reached, a runner
// with no binary, a ref with no release and no go: each stops the install
// step with an error that says why, and nothing is run or kept.
func TestNativeInstallRefusesWhatItCannotVerify(t *testing.T) {
	t.Parallel()
	path := toolPath(t, false)
	_, tg := runnerArch(t)
	dist := releaseDist(t)
	tests := []struct {
		name  string
		setup func(srv *assetServer, env map[string]string)
		pins  bool // the release's pins, or none (any other ref)
		want  string
	}{
		{"a download whose checksum differs", func(srv *assetServer, _ map[string]string) {
			srv.replaced[tg.asset()] = []byte("#!/bin/sh\necho not deploytrack\n")
		}, true, "::error title=deploytrack/native::checksum mismatch: " + tg.asset() + " from "},
		{"a release that answers 404", func(srv *assetServer, _ map[string]string) {
			srv.replaced = nil
			srv.Config.Handler = http.NotFoundHandler()
		}, true, "could not download"},
		{"a 32-bit runner", func(_ *assetServer, env map[string]string) { env["RUNNER_ARCH"] = "X86" }, true,
			"no deploytrack binary for runner processor 'X86': the native variant runs on X64 and ARM64"},
		{"an unknown OS", func(_ *assetServer, env map[string]string) { env["RUNNER_OS"] = "FreeBSD" }, true,
			"no deploytrack binary for runner OS 'FreeBSD'"},
		{"no release and no go", nil, false, "is not a release (its action.yml pins no version), so there is no binary to download, and go is not on the PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serveRelease(t, dist)
			root := "."
			if tt.pins {
				root = pinnedCopy(t, filepath.Join(dist, "SHA256SUMS"), srv.URL+"/releases/download/"+releaseVersion)
			}
			w := newWorld(t)
			job := newComposite(t, w, root, path)
			if tt.setup != nil {
				tt.setup(srv, job.env)
			}
			got := job.run(t, w.with(nil))
			if got.failed != "install" || !strings.Contains(got.log, tt.want) {
				t.Errorf("failed step %q, want install with %q:\n%s", got.failed, tt.want, got.log)
			}
			if n := len(w.versioner.Events()); n != 0 {
				t.Errorf("the fake Versioner received %d events: a binary ran", n)
			}
			var kept []string
			_ = filepath.Walk(job.env["RUNNER_TOOL_CACHE"], func(p string, fi os.FileInfo, err error) error {
				if err == nil && !fi.IsDir() {
					kept = append(kept, p)
				}
				return nil
			})
			if len(kept) > 0 {
				t.Errorf("the tool cache keeps %q", kept)
			}
		})
	}
}
