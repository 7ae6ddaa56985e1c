package versioner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/deploytrack/deploytrack/internal/event"
)

// PreflightError is an event that Versioner's rules blocked (a
// deployment, or a build answered 423 or 428): a policy decision, not an
// outage. It always fails the step and is never retried.
type PreflightError struct {
	Kind       event.Kind // a deployment, or a build answered 423 or 428
	Status     int
	Code       string // NO_DEPLOY_WINDOW, APPROVAL_REQUIRED, ...
	Message    string // what the body says, else the status line ("423 Locked"): never empty
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
	return s + e.hint()
}

// hint says what a bare status usually means, when the answer gave no
// reason of its own.
func (e *PreflightError) hint() string {
	if e.Code != "" || e.RuleName != "" || e.Message != statusLine(e.Status) {
		return ""
	}
	usually := map[int]string{
		http.StatusConflict:             "another deployment in progress",
		http.StatusLocked:               "a no-deploy window",
		http.StatusPreconditionRequired: "a missing approval, an environment to deploy to first, or soak time",
	}[e.Status]
	if usually == "" {
		return ""
	}
	return fmt.Sprintf(" (the answer gave no reason; a %d usually means %s: see the rules in Versioner)", e.Status, usually)
}

// AsPreflight returns the preflight rejection in err's chain, if there is
// one. It is the one test for "did Versioner's rules block this?", so that
// every caller agrees on the answer.
func AsPreflight(err error) (*PreflightError, bool) {
	var pe *PreflightError
	ok := errors.As(err, &pe)
	return pe, ok
}

// rejects reports whether an answer of status code to an event of kind k
// is a preflight rejection. The status decides, not the body: servers send
// rejections in more shapes than the documented one, and both peers (the
// official action and the CLI) read every 409, 423 and 428 so. A 409 on a
// build is the exception: the version exists with another commit.
func rejects(k event.Kind, code int) bool {
	switch code {
	case http.StatusLocked, http.StatusPreconditionRequired:
		return true
	case http.StatusConflict:
		return k != event.Build
	}
	return false
}

// preflightBody is the documented rejection object.
type preflightBody struct {
	Error      string `json:"error"`
	Message    string `json:"message"`
	Code       string `json:"code"`
	RetryAfter string `json:"retry_after"`
	Details    struct {
		RuleName string `json:"rule_name"`
	} `json:"details"`
}

// rejection reads whatever a rejection's answer offers.
func rejection(k event.Kind, resp *http.Response, raw []byte) *PreflightError {
	code := resp.StatusCode
	pe := &PreflightError{Kind: k, Status: code}
	if !page(resp, raw) { // a proxy's page says nothing about the rules
		p := offered(raw)
		pe.Code, pe.Message, pe.RetryAfter, pe.RuleName = p.Code, oneLine(p.Message), p.RetryAfter, p.Details.RuleName
		if pe.Message == "" && p.Error != "deployment_blocked" {
			pe.Message = oneLine(p.Error)
		}
	}
	if pe.Message == "" {
		pe.Message = statusLine(code)
	}
	return pe
}

// offered finds the rejection in a body: the documented object under
// "detail" or at the top level (with or without its "error" field), a
// string or a list under "detail", a JSON string, or plain text.
func offered(raw []byte) preflightBody {
	var top struct {
		preflightBody
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(raw, &top) != nil {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return preflightBody{Message: oneLine(s)}
		}
		return preflightBody{Message: snippet(raw)}
	}
	var nested preflightBody
	if json.Unmarshal(top.Detail, &nested) == nil && nested != (preflightBody{}) {
		return nested
	}
	if top.preflightBody != (preflightBody{}) {
		return top.preflightBody
	}
	if d := bytes.TrimSpace(top.Detail); len(d) > 0 && d[0] != '{' {
		return preflightBody{Message: detail(d, nil)}
	}
	return preflightBody{}
}

func statusLine(code int) string { return fmt.Sprintf("%d %s", code, http.StatusText(code)) }
