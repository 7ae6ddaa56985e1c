// Command deploytrack is a GitHub container action that records a build or
// deployment in Versioner and as a GitHub Deployment. See README.md.
//
// main wires the real process (signals, the environment, stdout, the clock)
// into step.Run and exits with its code; the action lives in internal/step.
package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/deploytrack/deploytrack/internal/step"
)

func main() {
	// The runner stops a cancelled step with SIGINT, then SIGTERM: end the
	// requests in flight and still write what is known. On Windows (the
	// native variant) it sends the console's Ctrl+C, then Ctrl+Break, which
	// Go delivers both as os.Interrupt; SIGTERM there stands for closing
	// the console or shutting down.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args := os.Args[1:]
	if filepath.Base(os.Args[0]) == step.PostName {
		// runs.post-entrypoint: the same binary under another name.
		args = append([]string{step.PostFlag}, args...)
	}
	code := step.Run(ctx, args, os.Getenv, os.Stdout, time.Now)
	stop()
	os.Exit(code)
}
