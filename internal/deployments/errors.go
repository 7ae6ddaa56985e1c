package deployments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v62/github"
)

// explain turns go-github's errors into messages that say what to do.
// resp is the answer, when there was one.
func (c *Client) explain(ctx context.Context, what string, resp *github.Response, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		// go-github returns the bare context error when the deadline
		// passes; the caller names the timeout.
		return fmt.Errorf("GitHub: could not %s: %w", what, err)
	}
	if body := notJSON(resp, err); body != "" {
		return fmt.Errorf("GitHub answered %s when asked to %s in %s/%s, but with %s: check that GITHUB_API_URL (%s) is GitHub's API, and that no proxy between the runner and GitHub answers in its place",
			resp.Status, what, c.owner, c.repo, body, strings.TrimSuffix(c.gh.BaseURL.String(), "/"))
	}
	var ae *github.AcceptedError
	if errors.As(err, &ae) {
		return fmt.Errorf("GitHub: could not %s: GitHub merged the default branch into the ref instead (202): %s", what, oneLine(string(ae.Raw)))
	}
	var arl *github.AbuseRateLimitError
	if errors.As(err, &arl) {
		return fmt.Errorf("GitHub: could not %s: secondary rate limit: %s: raise the timeout input to wait it out, or space out the jobs that call the API", what, oneLine(arl.Message))
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		return fmt.Errorf("GitHub: could not %s: rate limit exhausted until %s", what, rl.Rate.Reset.UTC().Format("15:04:05 MST"))
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		code := er.Response.StatusCode
		msg := fmt.Sprintf("GitHub answered %d %s when asked to %s in %s/%s", code, http.StatusText(code), what, c.owner, c.repo)
		if er.Message != "" {
			msg += ": " + oneLine(er.Message)
		}
		for _, e := range er.Errors {
			var parts []string
			for _, p := range []string{e.Resource, e.Field, e.Code, oneLine(e.Message)} {
				if p != "" && p != "custom" {
					parts = append(parts, p)
				}
			}
			if len(parts) > 0 {
				msg += " (" + strings.Join(parts, " ") + ")"
			}
		}
		switch code {
		case http.StatusUnauthorized:
			msg += ": check the github-token input"
		case http.StatusForbidden, http.StatusNotFound:
			msg += ": add `permissions: deployments: write` to the job (or set github-deployment: false)"
		}
		return errors.New(msg)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("GitHub: could not %s: %w", what, ue.Err)
	}
	return fmt.Errorf("GitHub: could not %s: %w", what, err)
}

// notJSON says what a success that go-github could not decode held: a
// page from a proxy, say. It is "" for any other error.
func notJSON(resp *github.Response, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if resp == nil || resp.StatusCode/100 != 2 || !(errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errNotList)) {
		return ""
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" || mt == "application/xhtml+xml" {
		return "an HTML page, not the API's JSON"
	}
	return "a body that is not the API's JSON (" + err.Error() + ")"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
