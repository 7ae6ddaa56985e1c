// Package versioner records an Event in the Versioner deployment-tracking
// API (POST /deployment-events/ and /build-events/), and turns its answers
// into results and typed errors.
package versioner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/httpx"
)

// maxBody bounds how much of an answer is read.
const maxBody = 4 << 20

// Client posts events to one Versioner account.
type Client struct {
	http      *http.Client
	base      string // without a trailing slash
	key       string
	userAgent string
}

// New returns a client for the API at base (which may carry a path prefix).
func New(hc *http.Client, base *url.URL, key, userAgent string) *Client {
	return &Client{http: hc, base: strings.TrimRight(base.String(), "/"), key: key, userAgent: userAgent}
}

// Endpoint is the URL an event of kind k is posted to.
func (c *Client) Endpoint(k config.Kind) string { return c.base + path(k) }

func path(k config.Kind) string {
	if k == config.Build {
		return "/build-events/"
	}
	return "/deployment-events/"
}

// Result is what Versioner recorded.
type Result struct {
	ID            string // the deployment or build id
	ProductID     string
	VersionID     string
	EnvironmentID string
	Status        string // Versioner's canonical status
	// Warnings are report_only preflight rules that failed: shown, never fatal.
	Warnings []Rule
	// Note says what was odd about a successful answer (an empty body, say).
	Note string
}

// Rule is one evaluated preflight rule.
type Rule struct {
	Name             string `json:"rule_name"`
	Status           string `json:"status"`
	EvaluationResult string `json:"evaluation_result"`
	Message          string `json:"error_message"`
}

// Record posts ev and returns what Versioner recorded.
func (c *Client) Record(ctx context.Context, ev event.Event) (Result, error) {
	body, err := Body(ev)
	if err != nil {
		return Result{}, err
	}
	endpoint := c.Endpoint(ev.Kind)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("cannot build a request for Versioner at %s: %w", endpoint, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Idempotency-Key", ev.IdempotencyKey)

	resp, err := c.http.Do(req)
	if err != nil {
		return Result{}, unreachable(endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return Result{}, unreachable(endpoint, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Result{}, decodeError(endpoint, resp, raw)
	}
	if page(resp, raw) {
		// A web page, not the API: a sign-in page or a web app's catch-all
		// route at a wrong api-url. Nothing was recorded.
		return Result{}, &APIError{Endpoint: endpoint, Status: resp.StatusCode, Detail: "an HTML page, not the API's JSON: " + snippet(raw), Attempts: httpx.Attempts(resp)}
	}
	return decodeResult(ev.Kind, raw), nil
}

// page reports whether an answer is a web page rather than the API's JSON.
func page(resp *http.Response, raw []byte) bool {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return mt == "text/html" || mt == "application/xhtml+xml" || bytes.HasPrefix(bytes.TrimSpace(raw), []byte("<"))
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

type response struct {
	ID            string `json:"id"`
	ProductID     string `json:"product_id"`
	VersionID     string `json:"version_id"`
	EnvironmentID string `json:"environment_id"`
	Status        string `json:"status"`
	ExtraMetadata struct {
		PreflightStatus struct {
			RulesEvaluated []Rule `json:"rules_evaluated"`
		} `json:"preflight_status"`
	} `json:"extra_metadata"`
}

// decodeResult reads a 2xx answer. The event is recorded whatever the body
// says, so a body that cannot be read costs the ids, not the step.
func decodeResult(k config.Kind, raw []byte) Result {
	var r response
	if err := json.Unmarshal(raw, &r); err != nil || r.ID == "" {
		what := "a body without an event id"
		switch {
		case len(bytes.TrimSpace(raw)) == 0:
			what = "an empty body"
		case err != nil:
			what = "a body that is not valid JSON"
		}
		return Result{Note: fmt.Sprintf("Versioner recorded the %s event but answered with %s, so its ids are unknown", k, what)}
	}
	res := Result{ID: r.ID, ProductID: r.ProductID, VersionID: r.VersionID, EnvironmentID: r.EnvironmentID, Status: r.Status}
	for _, rule := range r.ExtraMetadata.PreflightStatus.RulesEvaluated {
		if rule.Status == "report_only" && rule.EvaluationResult == "failed" {
			res.Warnings = append(res.Warnings, rule)
		}
	}
	return res
}

// Body is the JSON the API receives for ev: exactly what Record sends and
// what a dry run prints.
func Body(ev event.Event) ([]byte, error) {
	b := map[string]any{
		"product_name":  ev.Product,
		"version":       ev.Version,
		"status":        string(ev.Status),
		"source_system": "github",
	}
	opt := func(k, v string) {
		if v != "" {
			b[k] = v
		}
	}
	opt("scm_repository", ev.Repository)
	opt("scm_sha", ev.SHA)
	opt("scm_branch", ev.Branch)
	opt("build_number", ev.RunNumber)
	opt("invoke_id", ev.RunID)
	at := ev.At.Format(time.RFC3339)
	if ev.Kind == config.Build {
		opt("built_by", ev.Actor)
		opt("build_url", first(ev.BuildURL, ev.RunURL))
		if ev.Status == event.Started {
			b["started_at"] = at
		}
	} else {
		b["environment_name"] = ev.Environment
		opt("deployed_by", ev.Actor)
		opt("deploy_url", ev.RunURL)
		opt("build_url", ev.BuildURL)
	}
	if ev.Status.Terminal() {
		b["completed_at"] = at
	}
	if ev.Metadata != nil {
		b["extra_metadata"] = ev.Metadata
	}
	return json.Marshal(b)
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
