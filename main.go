// Command deploytrack is a GitHub container action that records a build or
// deployment in Versioner and as a GitHub Deployment. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	// The runner stops a cancelled step with SIGTERM: end the requests in
	// flight and still write what is known.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args := os.Args[1:]
	if filepath.Base(os.Args[0]) == postName {
		// runs.post-entrypoint: the same binary under another name.
		args = append([]string{postFlag}, args...)
	}
	code := run(ctx, args, os.Getenv, os.Stdout, time.Now)
	stop()
	os.Exit(code)
}
