package httpx

import (
	"context"
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
