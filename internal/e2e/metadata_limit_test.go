package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/runner"
)

// TestMetadataOverTheLimit runs the binary as the runner does, with the
// metadata input in its environment: every size the runner can pass is
// either accepted or refused with our error, which names the input, its
// size and the limit; none is left to the runner's "Argument list too
// long". Nothing reaches either API.
func TestMetadataOverTheLimit(t *testing.T) {
	t.Parallel()
	largest := config.RunnerMaxInputBytes - len(config.EnvName("metadata")+"=") - 1
	for _, n := range []int{config.MaxMetadataBytes + 1, largest} {
		t.Run(fmt.Sprint(n, " bytes"), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.run(use{with: w.with(map[string]string{"metadata": metadataOf(n)})})
			wantCode(t, r, 1)
			wantContains(t, "log", r.stdout, fmt.Sprintf("::error title=Invalid input%%3A metadata::input metadata is %d bytes; the limit is %d (%d KiB), under the 128 KiB the runner can pass any input",
				n, config.MaxMetadataBytes, config.MaxMetadataBytes>>10))
			wantPaths(t, "Versioner", w.versioner.Requests())
			wantPaths(t, "GitHub", w.github.Requests())
		})
	}
}

// TestMetadataAtTheLimit: metadata of exactly the limit is sent.
func TestMetadataAtTheLimit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(use{with: w.with(map[string]string{"metadata": metadataOf(config.MaxMetadataBytes)})})
	wantCode(t, r, 0)
	events := w.versioner.Events()
	if len(events) != 1 {
		t.Fatalf("Versioner recorded %d events, want 1", len(events))
	}
	if md, _ := events[0].Body["extra_metadata"].(map[string]any); len(md["blob"].(string)) != config.MaxMetadataBytes-11 {
		t.Errorf("extra_metadata.blob has %d bytes, want %d", len(md["blob"].(string)), config.MaxMetadataBytes-11)
	}
}

// TestRunnerInputLimit checks what config.RunnerMaxInputBytes says on this
// machine's kernel: the largest metadata input it holds starts the binary,
// and one byte more cannot (Linux with 4 KiB pages, as GitHub's runners).
func TestRunnerInputLimit(t *testing.T) {
	t.Parallel()
	if os.Getpagesize() != 4096 {
		t.Skipf("pages of %d bytes: the kernel's limit is 32 of them", os.Getpagesize())
	}
	largest := config.RunnerMaxInputBytes - len(config.EnvName("metadata")+"=") - 1
	w := newWorld(t)
	if r := w.run(use{with: w.with(map[string]string{"metadata": metadataOf(largest)})}); r.code != 1 {
		t.Errorf("%d bytes: exit %d, want 1 (our error)", largest, r.code)
	}
	_, err := runStep(t, w, map[string]string{"metadata": metadataOf(largest + 1)})
	if !errors.Is(err, syscall.E2BIG) {
		t.Errorf("%d bytes: the binary started (err %v), want the kernel's E2BIG", largest+1, err)
	}
}

// runStep runs one step of w as w.run does, but returns the error of a
// step that could not start instead of failing the test.
func runStep(t *testing.T, w *world, over map[string]string) (runner.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := runner.Run(ctx, runner.Step{Binary: binary, Metadata: readAction(t), With: w.with(over), Env: w.context, Token: testToken, Dir: t.TempDir()})
	if err == nil {
		checkSummary(t, r.Summary, w.context, w.with(over), r.Outputs)
	}
	return r, err
}

// metadataOf is a metadata input of exactly n bytes (n >= 11).
func metadataOf(n int) string { return `{"blob":"` + strings.Repeat("x", n-11) + `"}` }
