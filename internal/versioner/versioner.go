// Package versioner records an Event in the Versioner deployment-tracking
// API (POST /deployment-events/ and /build-events/), and turns its answers
// into results and typed errors.
package versioner

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

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
func (c *Client) Endpoint(k event.Kind) string { return c.base + path(k) }

func path(k event.Kind) string {
	if k == event.Build {
		return "/build-events/"
	}
	return "/deployment-events/"
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
	raw, err := httpx.ReadAll(resp, maxBody)
	if err != nil {
		return Result{}, unreachable(endpoint, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Result{}, decodeError(endpoint, ev.Kind, resp, raw)
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
