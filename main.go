// Command deploytrack is a GitHub container action that records a build or
// deployment in Versioner and as a GitHub Deployment. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	// The runner stops a cancelled step with SIGTERM: end the requests in
	// flight and still write what is known.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, time.Now)
	stop()
	os.Exit(code)
}
