//go:build unix

package runner

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRunStoppable stops a step the way the runner stops a cancelled one:
// SIGINT; SIGTERM after a grace when the step goes on; then SIGKILL.
func TestRunStoppable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		traps    string // the step's traps, a sh script
		cancel   bool
		wantSigs []os.Signal
		wantCode int
	}{
		{"not cancelled", "", false, nil, 0},
		{"ends on SIGINT", "trap 'exit 3' INT", true, []os.Signal{os.Interrupt}, 3},
		{"ignores SIGINT, ends on SIGTERM", "trap '' INT; trap 'exit 4' TERM", true, []os.Signal{os.Interrupt, syscall.SIGTERM}, 4},
		{"ignores both: killed", "trap '' INT TERM", true, []os.Signal{os.Interrupt, syscall.SIGTERM, os.Kill}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loop := "while :; do sleep 0.01; done"
			if !tt.cancel {
				loop = "exit 0"
			}
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close() // after Start, which reads it
			cmd := exec.Command("/bin/sh", "-c", tt.traps+"\necho ready\n"+loop)
			cmd.Stdout = w
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type result struct {
				sigs []os.Signal
				err  error
			}
			done := make(chan result, 1)
			go func() {
				sigs, err := runStoppable(ctx, cmd, 50*time.Millisecond, 50*time.Millisecond)
				done <- result{sigs, err}
			}()
			if line, err := bufio.NewReader(r).ReadString('\n'); err != nil || line != "ready\n" {
				t.Fatalf("the step printed %q, %v", line, err)
			}
			if tt.cancel {
				cancel()
			}
			var got result
			select {
			case got = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the step was not stopped")
			}
			code := 0
			var ee *exec.ExitError
			if errors.As(got.err, &ee) {
				code = ee.ExitCode()
			} else if got.err != nil {
				t.Fatal(got.err)
			}
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			if diff := cmp.Diff(tt.wantSigs, got.sigs, cmp.Comparer(func(a, b os.Signal) bool { return a == b })); diff != "" {
				t.Errorf("signals sent (-want +got):\n%s", diff)
			}
		})
	}
}
