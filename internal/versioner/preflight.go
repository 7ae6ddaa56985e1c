package versioner

import (
	"errors"
	"fmt"

	"github.com/deploytrack/deploytrack/internal/event"
)

// PreflightError is a deployment that Versioner's rules blocked: a policy
// decision, not an outage. It always fails the step and is never retried.
type PreflightError struct {
	Kind       event.Kind // a deployment, or a build answered 423 or 428
	Status     int
	Code       string // NO_DEPLOY_WINDOW, APPROVAL_REQUIRED, ...
	Message    string
	RetryAfter string // RFC 3339, when the API names one
	RuleName   string
}

func (e *PreflightError) Error() string {
	s := "Versioner blocked the deployment"
	if e.Kind == event.Build {
		s = "Versioner blocked the build"
	}
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.RuleName != "" {
		s += fmt.Sprintf(" by rule %q", e.RuleName)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter != "" {
		s += "; retry after " + e.RetryAfter
	}
	return s
}

type preflightBody struct {
	Error      string `json:"error"`
	Message    string `json:"message"`
	Code       string `json:"code"`
	RetryAfter string `json:"retry_after"`
	Details    struct {
		RuleName string `json:"rule_name"`
	} `json:"details"`
}

// AsPreflight returns the preflight rejection in err's chain, if there is
// one. It is the one test for "did Versioner's rules block this?", so that
// every caller agrees on the answer.
func AsPreflight(err error) (*PreflightError, bool) {
	var pe *PreflightError
	ok := errors.As(err, &pe)
	return pe, ok
}
