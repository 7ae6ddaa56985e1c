package e2e

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// The Dockerfile itself, built by the engine's two builders: the classic
// builder (DOCKER_BUILDKIT=0), which Docker 20.10 uses for the plain
// `docker build` the runner runs for `uses: ./` on a self-hosted runner,
// and BuildKit, which the release uses to cross-compile (#12 item 6).

// fromPlatform is a FROM instruction's --platform flag.
var fromPlatform = regexp.MustCompile(`(?im)^[ \t]*FROM[ \t]+--platform=(\S+)`)

// fromLine is a FROM instruction: its --platform flag, if any, and image.
var fromLine = regexp.MustCompile(`(?im)^[ \t]*FROM[ \t]+(?:--platform=(\S+)[ \t]+)?(\S+)`)

// globalArg is an ARG with a default before the first FROM.
var globalArg = regexp.MustCompile(`(?m)^[ \t]*ARG[ \t]+([A-Za-z_]\w*)=(\S*)`)

// platformChecks are what the FROM lines' --platform must do for each
// builder, checked without an engine (make test).
var platformChecks = []struct {
	name  string
	check func(dockerfile string) error
}{
	{"the classic builder can parse every FROM --platform", func(dockerfile string) error {
		// The classic builder expands the flag with the global ARGs alone:
		// it sets none of BuildKit's BUILDPLATFORM, TARGETPLATFORM, ...
		// and rejects an empty platform ("failed to parse platform").
		first := regexp.MustCompile(`(?im)^[ \t]*FROM[ \t]`).FindStringIndex(dockerfile)
		if first == nil {
			return errors.New("no FROM")
		}
		args := map[string]string{}
		for _, m := range globalArg.FindAllStringSubmatch(dockerfile[:first[0]], -1) {
			args[m[1]] = m[2]
		}
		var problems []string
		for _, m := range fromPlatform.FindAllStringSubmatch(dockerfile, -1) {
			p := os.Expand(m[1], func(s string) string {
				name, word, hasDefault := strings.Cut(s, ":-")
				if v := args[name]; v != "" || !hasDefault {
					return v
				}
				return word
			})
			if err := parsePlatform(p); err != nil {
				problems = append(problems, fmt.Sprintf("FROM --platform=%s is %q under the classic builder: %v", m[1], p, err))
			}
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems, "; "))
		}
		return nil
	}},
	{"BuildKit runs the builder on the build platform", func(dockerfile string) error {
		// Else the release's arm64 image would compile under emulation.
		p, err := parsePackaging(map[string]string{"Dockerfile": dockerfile})
		if err != nil {
			return err
		}
		if p.builder == nil {
			return errors.New("no stage runs tools/build.sh")
		}
		for _, m := range fromLine.FindAllStringSubmatch(dockerfile, -1) {
			if m[2] != p.builder.image {
				continue
			}
			if m[1] == "" {
				return fmt.Errorf("the builder's FROM %s has no --platform=$BUILDPLATFORM", m[2])
			}
			if !regexp.MustCompile(`\$\{?BUILDPLATFORM\b`).MatchString(m[1]) {
				return fmt.Errorf("the builder's FROM %s has --platform=%s, not $BUILDPLATFORM", m[2], m[1])
			}
			return nil
		}
		return fmt.Errorf("no FROM %s", p.builder.image)
	}},
}

// parsePlatform checks a platform as containerd's platforms.Parse does:
// os[/arch[/variant]], each part letters, digits, _ and -.
func parsePlatform(p string) error {
	parts := strings.Split(p, "/")
	if len(parts) > 3 {
		return errors.New("more than os/arch/variant")
	}
	for _, part := range parts {
		if !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(part) {
			return fmt.Errorf("%q is not a platform component", part)
		}
	}
	return nil
}

// TestDockerfilePlatform checks the FROM lines for both builders; the
// "catches" cases break a copy of the Dockerfile to prove each check
// bites. make test-image builds the Dockerfile with both.
func TestDockerfilePlatform(t *testing.T) {
	t.Parallel()
	dockerfile := readFiles(t, "Dockerfile")["Dockerfile"]
	for _, c := range platformChecks {
		t.Run("as written/"+c.name, func(t *testing.T) {
			if err := c.check(dockerfile); err != nil {
				t.Error(err)
			}
		})
	}
	tests := []struct {
		name, repl string // the builder's FROM --platform flag, replaced
		wantFailed string // the check that must catch it; "" when none
	}{
		{"BuildKit's variable alone (#12: failed to parse platform)", "--platform=$BUILDPLATFORM", platformChecks[0].name},
		{"in braces", "--platform=${BUILDPLATFORM}", platformChecks[0].name},
		{"an empty default", "--platform=${BUILDPLATFORM:-}", platformChecks[0].name},
		{"a bad default", "--platform=${BUILDPLATFORM:-linux/}", platformChecks[0].name},
		{"a constant platform", "--platform=linux/amd64", platformChecks[1].name},
		{"no --platform", "", platformChecks[1].name},
		{"another variable", "--platform=${TARGETPLATFORM:-linux}", platformChecks[1].name},
		{"a default for the OS alone", "--platform=${BUILDPLATFORM:-linux}", ""},
		{"a default with the architecture", "--platform=${BUILDPLATFORM:-linux/amd64}", ""},
	}
	flag := regexp.MustCompile(`(?im)^([ \t]*FROM[ \t]+)--platform=\S+[ \t]+(golang:)`)
	for _, tt := range tests {
		t.Run("catches/"+tt.name, func(t *testing.T) {
			t.Parallel()
			if !flag.MatchString(dockerfile) {
				t.Fatalf("the Dockerfile no longer matches %s: update this case to break it as intended", flag)
			}
			broken := flag.ReplaceAllString(dockerfile, "${1}"+strings.ReplaceAll(tt.repl, "$", "$$")+" ${2}")
			for _, c := range platformChecks {
				err := c.check(broken)
				switch {
				case c.name == tt.wantFailed && err == nil:
					t.Errorf("check %q passed the broken Dockerfile:\n%s", c.name, broken)
				case c.name != tt.wantFailed && err != nil:
					t.Errorf("check %q: %v", c.name, err)
				case err != nil:
					t.Logf("caught: %v", err)
				}
			}
		})
	}
}

// TestImageDockerfile builds the real Dockerfile with each builder of the
// engine. The builder's golang image cannot be pulled here: a stand-in is
// tagged with its name, holding this machine's Go, busybox for a shell,
// the CA bundle, and the module proxy's files for go.mod (the build runs
// with --network none). Debian's docker.io ships no docker/dockerfile:1
// frontend and none can be pulled, so the BuildKit build reads the
// Dockerfile without its syntax line, with the engine's own frontend; the
// CI workflow's buildx builds read it with the line.
func TestImageDockerfile(t *testing.T) {
	t.Parallel()
	e := dockerEngine(t)
	p, _, err := imagePlan()
	if err != nil {
		t.Fatal(err)
	}
	e.standInBuilder(t, p.builder.image)
	dockerfile := readFiles(t, "Dockerfile")["Dockerfile"]
	withoutSyntax := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(withoutSyntax, []byte(regexp.MustCompile(`(?im)^#[ \t]*syntax[ \t]*=.*\n`).ReplaceAllString(dockerfile, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		buildkit    string // DOCKER_BUILDKIT
		file        string
		platform    string // --platform; "" for the engine's own
		wantArch    string
		wantMachine elf.Machine
	}{
		{"classic builder", "0", "Dockerfile", "", runtime.GOARCH, hostMachine()},
		{"BuildKit cross-compiling for arm64", "1", withoutSyntax, "linux/arm64", "arm64", elf.EM_AARCH64},
	}
	// One after the other: each compiles the module on the machine's cores.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tag := "deploytrack-e2e:" + strings.ReplaceAll(tt.name, " ", "-")
			args := []string{"build", "--network", "none", "--file", tt.file, "--tag", tag,
				"--build-arg", "VERSION=" + releaseVersion, "--build-arg", "COMMIT=" + releaseCommit}
			if tt.platform != "" {
				args = append(args, "--platform", tt.platform)
			}
			if _, err := e.docker([]string{"DOCKER_BUILDKIT=" + tt.buildkit}, append(args, ".")...); err != nil {
				t.Fatal(err)
			}
			fs := e.checkImageHolds(t, tag)
			if arch := strings.TrimSpace(e.must(t, "image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", tag)); arch != "linux/"+tt.wantArch {
				t.Errorf("image platform %s, want linux/%s", arch, tt.wantArch)
			}
			bin := fs["deploytrack"].data
			if f, err := elf.NewFile(bytes.NewReader(bin)); err != nil || f.Machine != tt.wantMachine {
				t.Errorf("/deploytrack: %v, machine %v; want %v", err, f, tt.wantMachine)
			}
			if err := staticELFBytes(bin); err != nil {
				t.Errorf("/deploytrack: %v", err)
			}
			if tt.wantArch != runtime.GOARCH {
				return // no emulator here to run it
			}
			out := e.must(t, "run", "--rm", tag, "--version")
			if line := fmt.Sprintf("deploytrack %s (commit %s, ", releaseVersion, releaseCommit); !strings.HasPrefix(out, line) {
				t.Errorf("--version printed %q, want %q...", out, line)
			}
		})
	}
}

func hostMachine() elf.Machine {
	return map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
}

// standInBuilder makes an image tagged as the Dockerfile's builder image,
// from this machine's files, with what the builder stage uses: Go, a
// shell with ln and dirname, the CA bundle, and the modules go.mod needs,
// served to go mod download as a file proxy.
func (e *engine) standInBuilder(t *testing.T, tag string) {
	t.Helper()
	busybox, err := exec.LookPath("busybox")
	if err == nil {
		err = staticELF(busybox)
	}
	if err != nil {
		t.Fatalf("no static busybox for the stand-in builder's shell (%v): apt-get install busybox-static, as .ci/run does", err)
	}
	goroot := strings.TrimSpace(hostOutput(t, "go", "env", "GOROOT"))
	if err := staticELF(filepath.Join(goroot, "bin", "go")); err != nil {
		t.Fatalf("this machine's Go cannot run on the stand-in's bare root: %v", err)
	}
	// The modules go mod download fetches in the builder, fetched here
	// from this machine's module cache (the proxy only for what it lacks).
	mods := t.TempDir()
	modcache := strings.TrimSpace(hostOutput(t, "go", "env", "GOMODCACHE"))
	proxy := strings.TrimSpace(hostOutput(t, "go", "env", "GOPROXY"))
	download := exec.Command("go", "mod", "download")
	download.Env = append(os.Environ(), "GOMODCACHE="+mods, "GOFLAGS=-modcacherw",
		"GOPROXY=file://"+filepath.Join(modcache, "cache", "download")+","+proxy)
	if out, err := download.CombinedOutput(); err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}

	var root bytes.Buffer
	tw := tar.NewWriter(&root)
	add := func(name string, mode int64, typ byte, link string, data []byte) {
		h := &tar.Header{Name: name, Mode: mode, Typeflag: typ, Linkname: link, Size: int64(len(data))}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	addTree := func(dir, as string, skip func(rel string, d fs.DirEntry) bool) {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			if skip != nil && skip(filepath.ToSlash(rel), d) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			name := path.Join(as, filepath.ToSlash(rel))
			info, err := d.Info()
			if err != nil {
				return err
			}
			switch {
			case d.IsDir():
				add(name+"/", 0o755, tar.TypeDir, "", nil)
			case d.Type()&fs.ModeSymlink != 0:
				target, err := os.Readlink(p)
				if err != nil {
					return err
				}
				add(name, 0o777, tar.TypeSymlink, target, nil)
			case d.Type().IsRegular():
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				add(name, int64(info.Mode().Perm()), tar.TypeReg, "", b)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"bin/", "etc/", "etc/ssl/", "etc/ssl/certs/", "go/", "root/", "usr/", "usr/local/"} {
		add(d, 0o755, tar.TypeDir, "", nil)
	}
	add("tmp/", 0o1777, tar.TypeDir, "", nil)
	b, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	add("bin/busybox", 0o755, tar.TypeReg, "", b)
	for _, applet := range strings.Fields(hostOutput(t, busybox, "--list")) {
		if applet != "busybox" {
			add("bin/"+applet, 0o777, tar.TypeSymlink, "busybox", nil)
		}
	}
	if b, err = os.ReadFile(caBundle); err != nil {
		t.Fatal(err)
	}
	add(strings.TrimPrefix(caBundle, "/"), 0o644, tar.TypeReg, "", b)
	addTree(goroot, "usr/local/go", func(rel string, d fs.DirEntry) bool {
		base := path.Base(rel)
		return rel == "test" || rel == "doc" || rel == "api" || rel == "misc" || base == "testdata" || strings.HasSuffix(base, "_test.go")
	})
	addTree(filepath.Join(mods, "cache", "download"), "goproxy", nil)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}

	// What the golang image sets, and the file proxy (GOTOOLCHAIN=local
	// is the image's own: the machine's Go stands in for its version).
	imp := exec.Command(e.cli, "import",
		"--change", "ENV PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"--change", "ENV GOPATH=/go", "--change", "ENV GOTOOLCHAIN=local", "--change", "ENV GOPROXY=file:///goproxy",
		"--change", "WORKDIR /go", "-", tag)
	imp.Env = e.env
	size := root.Len()
	imp.Stdin = &root
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("docker import %s: %v\n%s", tag, err, out)
	}
	t.Logf("stand-in %s: %d MB root, Go %s", tag, size>>20, strings.TrimSpace(hostOutput(t, "go", "env", "GOVERSION")))
}

// hostOutput runs a command on this machine and returns its stdout.
func hostOutput(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(out)
}
