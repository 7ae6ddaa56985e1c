package httpx

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// TimeoutError is the step's deadline running out while waiting for an API.
type TimeoutError struct {
	API      string
	After    time.Duration
	Attempts int
}

func (e *TimeoutError) Error() string {
	tries := ""
	if e.Attempts > 0 {
		tries = " (" + plural(e.Attempts, "attempt") + ")"
	}
	return fmt.Sprintf("timed out after %s waiting for %s%s: raise the timeout input if the API is slow", seconds(e.After), e.API, tries)
}

// Unwrap lets errors.Is(err, context.DeadlineExceeded) hold.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// CutError is an answer that broke off before its end: the connection
// failed while its body was read.
type CutError struct {
	API    string
	Status string // the answer's status line, such as "201 Created"
	Err    error
}

func (e *CutError) Error() string { return e.API + " " + e.reason() }

func (e *CutError) reason() string {
	return fmt.Sprintf("answered %s, but the connection broke before the end of the answer (%v)", e.Status, e.Err)
}

func (e *CutError) Unwrap() error { return e.Err }

// GiveUpError is a retry the deadline leaves no room for: the API asked
// for a wait longer than the time left, so the step stops at once.
type GiveUpError struct {
	API    string
	Reason string
	Wait   time.Duration
	Left   time.Duration
}

func (e *GiveUpError) Error() string {
	return fmt.Sprintf("%s: %s; the next try is due in %s, but only %s of the timeout is left: gave up rather than wait past it (raise the timeout input to wait longer)", e.API, e.Reason, seconds(e.Wait), seconds(e.Left))
}

// CancelError is the job's cancellation stopping a call before the API
// answered.
type CancelError struct {
	API string
}

func (e *CancelError) Error() string {
	return e.API + ": stopped before it answered: the step was cancelled"
}

// Unwrap lets errors.Is(err, context.Canceled) hold.
func (e *CancelError) Unwrap() error { return context.Canceled }

// Stopped says what stopped a call to api made under ctx, when ctx did:
// the layers between the client and the step do not all say it
// (go-github returns the bare context error). The step's timeout becomes
// a *TimeoutError saying after, the timeout the call had, and keeping the
// attempts counted below; the job's cancellation becomes a *CancelError.
// Any other error, and nil, come back unchanged.
func Stopped(ctx context.Context, err error, api string, after time.Duration) error {
	var te *TimeoutError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		return &TimeoutError{API: te.API, After: after, Attempts: te.Attempts}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &TimeoutError{API: api, After: after}
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return &CancelError{API: api}
	}
	return err
}

func seconds(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
