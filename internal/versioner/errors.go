package versioner

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/httpx"
)

// APIError is an answer Versioner gave that is not a success and not a
// preflight rejection.
type APIError struct {
	Endpoint string
	Status   int
	Detail   string // the body's detail, made readable
	Attempts int
}

func (e *APIError) Error() string {
	var hint string
	switch e.Status {
	case http.StatusUnauthorized:
		hint = ": check the api-key input (or VERSIONER_API_KEY): the key is missing, wrong or revoked"
	case http.StatusForbidden:
		hint = ": the api-key lacks permission for this product or environment"
	case http.StatusNotFound:
		hint = ": check api-url: it should be the API's base, such as https://api.versioner.io"
	case http.StatusConflict:
		hint = ": versions are immutable: the same version was recorded from another commit"
	case http.StatusUnprocessableEntity:
		hint = ": the event was refused as invalid"
	}
	if e.Status >= 200 && e.Status <= 299 {
		// A success that is not the API's answer: a web page at api-url.
		hint = ": check api-url: it should be the API's base, such as https://api.versioner.io"
	}
	s := fmt.Sprintf("Versioner answered %d %s for POST %s", e.Status, http.StatusText(e.Status), e.Endpoint)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s + hint
}

func unreachable(endpoint string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	// These name the API and say what went wrong already.
	var te *httpx.TimeoutError
	var ge *httpx.GiveUpError
	var ce *httpx.CutError
	var re *httpx.RedirectError
	if errors.As(err, &te) || errors.As(err, &ge) || errors.As(err, &ce) || errors.As(err, &re) {
		return err
	}
	return fmt.Errorf("could not reach Versioner at %s: %w: check api-url and that the runner can reach it", endpoint, err)
}

// decodeError turns an answer that is not a success into a rejection
// or an APIError.
func decodeError(endpoint string, k event.Kind, resp *http.Response, raw []byte) error {
	code := resp.StatusCode
	if rejects(k, code) {
		return rejection(k, resp, raw)
	}
	var body struct {
		Detail json.RawMessage `json:"detail"`
	}
	_ = json.Unmarshal(raw, &body)
	return &APIError{Endpoint: endpoint, Status: code, Detail: detail(body.Detail, raw), Attempts: httpx.Attempts(resp)}
}

// detail makes a FastAPI detail readable: a string, or a list of
// validation errors ("body.version: field required").
func detail(d json.RawMessage, raw []byte) string {
	var s string
	if json.Unmarshal(d, &s) == nil {
		return oneLine(s)
	}
	var items []struct {
		Loc []any  `json:"loc"`
		Msg string `json:"msg"`
	}
	if json.Unmarshal(d, &items) == nil && len(items) > 0 {
		parts := make([]string, 0, len(items))
		for _, it := range items {
			loc := make([]string, 0, len(it.Loc))
			for _, l := range it.Loc {
				loc = append(loc, fmt.Sprint(l))
			}
			parts = append(parts, strings.Join(loc, ".")+": "+it.Msg)
		}
		return oneLine(strings.Join(parts, "; "))
	}
	if len(d) > 0 {
		return oneLine(string(d))
	}
	// Not the API's JSON: an HTML error page from a proxy, say.
	if text := snippet(raw); text != "" {
		return "unexpected body: " + text
	}
	return ""
}

// snippet is the start of a body that is not the API's JSON, on one line.
func snippet(raw []byte) string {
	text := strings.TrimSpace(string(raw))
	if r := []rune(text); len(r) > 200 {
		text = string(r[:200]) + "…"
	}
	return oneLine(text)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
