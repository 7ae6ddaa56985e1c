package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deploytrack/deploytrack/internal/runner"
)

// TestScratchImageRehearsal runs the release binary the way the runner runs
// the image, on a root directory that holds exactly what the Dockerfile's
// final stage copies (no shell, no libc, no /etc/passwd, no /tmp) plus the
// runner's /github mounts. There is no Docker engine here; chroot stands in.
func TestScratchImageRehearsal(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skipf("the image is linux; this is %s", runtime.GOOS)
	}
	if _, err := os.Stat(caBundle); err != nil {
		t.Skipf("the host has no CA bundle to stand in for the builder's: %v", err)
	}
	bin := releaseBinary(t)
	t.Run("statically linked", func(t *testing.T) {
		if err := staticELF(bin); err != nil {
			t.Fatalf("%s: %v", bin, err)
		}
	})

	p, err := parsePackaging(readFiles(t, "Dockerfile", "Makefile", "go.mod", ciWorkflow, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := p.imageFiles()
	if err != nil {
		t.Fatalf("the Dockerfile's final stage: %v", err)
	}
	argv, err := p.entrypoint()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	var want []string
	for _, f := range files {
		if f.link != "" {
			if err := os.Symlink(f.link, filepath.Join(root, f.dest)); err != nil {
				t.Fatal(err)
			}
			want = append(want, f.dest)
			continue
		}
		src := f.src // the builder's CA bundle; the host's stands in for it
		if f.binary {
			src = bin
		}
		mode := os.FileMode(0o644)
		if f.binary {
			mode = 0o755
		}
		copyFile(t, src, filepath.Join(root, f.dest), mode)
		want = append(want, f.dest)
	}
	slices.Sort(want)
	if got := listFiles(t, root); !slices.Equal(got, want) {
		t.Fatalf("the image holds %v, want only %v", got, want)
	}
	// What the runner mounts into the container.
	for _, d := range []string{"home", "workspace", "workflow", "file_commands", "runner_temp"} {
		if err := os.MkdirAll(filepath.Join(root, "github", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, eventFile("push.json"), filepath.Join(root, "github", "workflow", "event.json"), 0o644)

	tests := []struct {
		name  string
		args  []string // after the ENTRYPOINT
		event bool     // run one deployment event against the fakes
		post  bool     // run action.yml's post-entrypoint
	}{
		{name: "--version", args: []string{"--version"}},
		{name: "one deployment event", event: true},
		{name: "post step with nothing to finish", post: true},
	}
	post := readAction(t).Runs.PostEntrypoint
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if os.Geteuid() != 0 {
				t.Skip("chroot needs root: run as root (as the CI machines do) to rehearse the scratch image")
			}
			w := newWorld(t)
			w.context["GITHUB_EVENT_PATH"] = "/github/workflow/event.json"
			st := runner.Step{
				Binary: argv[0], Metadata: readAction(t), Env: w.context, Token: testToken,
				Dir: filepath.Join(root, "github", "file_commands"),
				With: w.with(map[string]string{
					"status": "success", "version": releaseVersion,
					"environment-url": "https://shop.example.com",
				}),
			}
			env, files, err := st.Environ()
			if err != nil {
				t.Fatal(err)
			}
			outFile := files["GITHUB_OUTPUT"]
			// The files are on the host at root/github/...; the binary sees
			// them at /github/..., as in the container.
			inside := func(host string) string { return "/" + strings.TrimPrefix(host, root+"/") }
			for i, kv := range env {
				k, v, _ := strings.Cut(kv, "=")
				if _, ok := files[k]; ok {
					env[i] = k + "=" + inside(v)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			// The binary was written by this process a moment ago: a child
			// forked meanwhile by a parallel test may still hold it open
			// for writing until it execs, and exec then fails with
			// ETXTBSY (golang/go#22315). Wait that out.
			for try := 0; ; try++ {
				cmd := exec.CommandContext(ctx, argv[0], append(argv[1:], tt.args...)...)
				if tt.post {
					// docker run --entrypoint <post-entrypoint>, as the runner does.
					cmd = exec.CommandContext(ctx, post)
				}
				cmd.Env = env
				cmd.Dir = "/github/workspace" // docker run --workdir, inside the chroot
				cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
				stdout.Reset()
				stderr.Reset()
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err = cmd.Run(); !errors.Is(err, syscall.ETXTBSY) || try == 20 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if errors.Is(err, syscall.EPERM) {
				t.Skipf("chroot is not permitted here (%v): the scratch image was not rehearsed", err)
			}
			if err != nil {
				t.Fatalf("%s in the image: %v\nstdout:\n%s\nstderr:\n%s", argv[0], err, &stdout, &stderr)
			}
			if testing.Verbose() {
				t.Logf("stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
			}
			if tt.post {
				if !strings.Contains(stdout.String(), "nothing to finish") {
					t.Errorf("%s printed %q, want the post step's no-op", post, stdout.String())
				}
				return
			}
			if !tt.event {
				line := fmt.Sprintf("deploytrack %s (commit %s, ", releaseVersion, releaseCommit)
				if !strings.HasPrefix(stdout.String(), line) {
					t.Errorf("--version printed %q, want %q...", stdout.String(), line)
				}
				return
			}
			f, err := os.Open(outFile)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			outputs, err := runner.ParseOutputs(f)
			if err != nil {
				t.Fatal(err)
			}
			if outputs["status"] != "completed" {
				t.Errorf("outputs: status = %q, want completed (all: %v)", outputs["status"], outputs)
			}
			if n := len(w.versioner.Events()); n != 1 {
				t.Errorf("Versioner recorded %d events, want 1", n)
			}
			deps := w.github.Deployments()
			if len(deps) != 1 || len(deps[0].Statuses) == 0 || deps[0].Statuses[len(deps[0].Statuses)-1].State != "success" {
				t.Errorf("GitHub deployments = %+v, want one whose latest status is success", deps)
			}
			if sum, err := os.ReadFile(files["GITHUB_STEP_SUMMARY"]); err != nil || len(sum) == 0 {
				t.Errorf("job summary: %q, %v", sum, err)
			}
		})
	}
	// Nothing the run wrote leaked outside the runner's mounts.
	var leaked []string
	for _, f := range listFiles(t, root) {
		if !slices.Contains(want, f) && !strings.HasPrefix(f, "/github/") {
			leaked = append(leaked, f)
		}
	}
	if len(leaked) > 0 {
		t.Errorf("the binary wrote outside /github: %v", leaked)
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
}

// listFiles returns every non-directory under root, as absolute paths
// inside root.
func listFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files = append(files, "/"+filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator))))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}
