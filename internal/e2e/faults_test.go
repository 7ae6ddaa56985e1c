package e2e

import (
	"cmp"
	"encoding/pem"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/fake"
)

// The fault table: one row per fault and API, each a run of the built
// binary against the fakes with that fault injected into one of them. A
// row checks what reached each API, the exit code, the outputs and the
// summary. README's Reliability section lists the same rows.

// set stands for any non-empty output value.
const set = "<set>"

// faultRow is one fault hitting one API.
type faultRow struct {
	name string
	api  string // the API the fault hits: "Versioner" or "GitHub"
	with map[string]string
	// inject installs the fault: on a fake, or by pointing the API's URL
	// at a raw server.
	inject func(t *testing.T, w *world)

	code int
	// versioner and github are the requests each fake received, every
	// attempt included (none when a raw server stood in for it).
	versioner, github []string
	// events and states are what the APIs hold afterwards: Versioner's
	// events, the states posted to GitHub's one deployment (nil: no
	// deployment).
	events int
	states []string
	// outputs are the step's deployment-id and github-deployment-id.
	outputs [2]string
	stdout  []string // in the log
	summary []string // in the job summary
	took    time.Duration
}

// What the API without the fault receives, records and reports.
var (
	vOK      = []string{deployEvents}
	gOK      = []string{ghList, ghCreate, ghList, ghStatus("1"), ghEnvList}
	githubOK = []string{"success"}
	// In the summary's table, as GitHub shows it: a column for
	// Versioner's id, and deployment 1 linked, in its usual state.
	versionerOK = "\nVersioner\n"
	githubRow   = "\ndeployment 1\n"
)

// repeat is n copies of a request.
func repeat(req string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = req
	}
	return out
}

func TestFaults(t *testing.T) {
	t.Parallel()
	soon := func(d time.Duration) string { return strconv.FormatInt(time.Now().Add(d).Unix(), 10) }
	date := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(http.TimeFormat) }
	vfault2 := func(faults ...fake.Fault) func(*testing.T, *world) {
		for i := range faults {
			faults[i].PathSuffix = "/deployment-events/"
		}
		return func(_ *testing.T, w *world) { w.versioner.Inject(faults...) }
	}
	vfault := func(f fake.Fault) func(*testing.T, *world) { return vfault2(f) }
	gfault := func(method, suffix string, f fake.Fault) func(*testing.T, *world) {
		f.Method, f.PathSuffix = method, suffix
		if method == "GET" && suffix == "/deployments" {
			// The commit's list, not the environment's, which a success
			// sends at the same moment (deployments.Deliver).
			f.Query = "sha="
		}
		return func(_ *testing.T, w *world) { w.github.Inject(f) }
	}
	html := fake.Fault{Status: 200, Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}},
		Body: "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Sign in to continue</body></html>"}
	secondary := `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`
	primary := func(d time.Duration) http.Header {
		return http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {soon(d)}}
	}

	tests := []faultRow{
		// Versioner.
		{
			name: "connection refused", api: "Versioner",
			inject: func(t *testing.T, w *world) { w.vURL = refusedURL(t) },
			code:   1, github: gOK, events: 0, states: githubOK, outputs: [2]string{"", "1"},
			stdout:  []string{"::error title=Versioner::could not reach Versioner at http://127.0.0.1:", "6 attempts", "connection refused"},
			summary: []string{"Recording in Versioner failed: could not reach Versioner at", githubRow},
		},
		{
			name: "connection reset mid-response", api: "Versioner",
			inject: vfault(fake.Fault{Cut: true}),
			code:   0, versioner: repeat(deployEvents, 2), github: gOK, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::Versioner: answered 201 Created, but the connection broke before the end of the answer (", "connection reset by peer); retry 1 of 5"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "a server that accepts and never answers", api: "Versioner", with: map[string]string{"timeout": "3"},
			inject: func(t *testing.T, w *world) { w.vURL = silentURL(t) },
			code:   1, github: gOK, events: 0, states: githubOK, outputs: [2]string{"", "1"},
			stdout:  []string{"::error title=Versioner::timed out after 3s waiting for Versioner (1 attempt): raise the timeout input if the API is slow"},
			summary: []string{"Recording in Versioner failed: timed out after 3s waiting for Versioner", githubRow},
			took:    6 * time.Second,
		},
		{
			name: "a body that trickles in slower than the timeout", api: "Versioner", with: map[string]string{"timeout": "3"},
			inject: vfault(fake.Fault{Trickle: 200 * time.Millisecond}),
			code:   1, versioner: []string{deployEvents}, github: gOK, events: 1, states: githubOK, outputs: [2]string{"", "1"},
			stdout:  []string{"::error title=Versioner::timed out after 3s waiting for Versioner (1 attempt)"},
			summary: []string{"Recording in Versioner failed: timed out after 3s waiting for Versioner", githubRow},
			took:    6 * time.Second,
		},
		{
			name: "truncated JSON body after the event was recorded", api: "Versioner",
			inject: vfault(fake.Fault{Commit: true, Status: 201, Body: `{"id": "00000000-0000-4000-8000-0000000`}),
			code:   0, versioner: []string{deployEvents}, github: gOK, events: 1, states: githubOK, outputs: [2]string{"", "1"},
			stdout: []string{"Versioner: recorded deployment event with no id in the answer (completed)",
				"::warning::Versioner recorded the deployment event but answered with a body that is not valid JSON, so its ids are unknown"},
			summary: []string{"⚠️ Versioner recorded the deployment event but answered", githubRow},
		},
		{
			name: "200 with an HTML page", api: "Versioner",
			inject: vfault(html),
			code:   1, versioner: []string{deployEvents}, github: gOK, events: 0, states: githubOK, outputs: [2]string{"", "1"},
			stdout: []string{"::error title=Versioner::Versioner answered 200 OK for POST http://127.0.0.1:",
				"/deployment-events/: an HTML page, not the API's JSON: <!DOCTYPE html> <html><head><title>Sign in</title></head><body>Sign in to continue</body></html>: check api-url"},
			summary: []string{"Recording in Versioner failed: Versioner answered 200 OK", githubRow},
		},
		{
			name: "empty 201 body", api: "Versioner",
			inject: vfault(fake.Fault{Commit: true, Status: 201}),
			code:   0, versioner: []string{deployEvents}, github: gOK, events: 1, states: githubOK, outputs: [2]string{"", "1"},
			stdout: []string{"Versioner: recorded deployment event with no id in the answer (completed)",
				"::warning::Versioner recorded the deployment event but answered with an empty body, so its ids are unknown"},
			summary: []string{"⚠️ Versioner recorded the deployment event but answered", githubRow},
		},
		{
			name: "500 is retried", api: "Versioner",
			inject: vfault(fake.Fault{Status: 500, Body: `{"detail":"Internal Server Error"}`}),
			code:   0, versioner: repeat(deployEvents, 2), github: gOK, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::Versioner: answered 500 Internal Server Error; retry 1 of 5 in 5ms"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "502 from a proxy is retried", api: "Versioner",
			inject: vfault(fake.Fault{Status: 502, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}),
			code:   0, versioner: repeat(deployEvents, 2), github: gOK, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::Versioner: answered 502 Bad Gateway; retry 1 of 5 in 5ms"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "503 twice without Retry-After backs off", api: "Versioner",
			inject: vfault2(fake.Fault{Status: 503}, fake.Fault{Status: 503}),
			code:   0, versioner: repeat(deployEvents, 3), github: gOK, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::Versioner: answered 503 Service Unavailable; retry 1 of 5 in 5ms", "::debug::Versioner: answered 503 Service Unavailable; retry 2 of 5 in 10ms"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "503 with Retry-After in seconds", api: "Versioner",
			inject: vfault(fake.Fault{Status: 503, Header: http.Header{"Retry-After": {"1"}}}),
			code:   0, versioner: repeat(deployEvents, 2), github: gOK, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::Versioner: answered 503 Service Unavailable (Retry-After 1s); retry 1 of 5 in 1s"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "503 with Retry-After as an HTTP date", api: "Versioner",
			inject: func(t *testing.T, w *world) {
				vfault(fake.Fault{Status: 503, Header: http.Header{"Retry-After": {date(2 * time.Second)}}})(t, w)
			},
			code: 0, versioner: repeat(deployEvents, 2), github: gOK, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::Versioner: answered 503 Service Unavailable (Retry-After ", "s); retry 1 of 5 in "},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "501 is not retried", api: "Versioner",
			inject: vfault(fake.Fault{Status: 501, Body: `{"detail":"Not Implemented"}`}),
			code:   1, versioner: []string{deployEvents}, github: gOK, events: 0, states: githubOK, outputs: [2]string{"", "1"},
			stdout:  []string{"::error title=Versioner::Versioner answered 501 Not Implemented for POST http://127.0.0.1:"},
			summary: []string{"Recording in Versioner failed: Versioner answered 501 Not Implemented", githubRow},
		},
		{
			name: "429 with Retry-After", api: "Versioner",
			inject: vfault(fake.Fault{Status: 429, Header: http.Header{"Retry-After": {"1"}}, Body: `{"detail":"Too Many Requests"}`}),
			code:   0, versioner: repeat(deployEvents, 2), github: gOK, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::Versioner: answered 429 Too Many Requests (Retry-After 1s); retry 1 of 5 in 1s"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "Retry-After past the deadline gives up at once", api: "Versioner",
			inject: vfault(fake.Fault{Status: 429, Header: http.Header{"Retry-After": {"3600"}}}),
			code:   1, versioner: []string{deployEvents}, github: gOK, events: 0, states: githubOK, outputs: [2]string{"", "1"},
			stdout:  []string{"::error title=Versioner::Versioner: answered 429 Too Many Requests (Retry-After 1h0m0s); the next try is due in 1h0m0s, but only ", "of the timeout is left: gave up rather than wait past it"},
			summary: []string{"Recording in Versioner failed: Versioner: answered 429 Too Many Requests", githubRow},
			took:    3 * time.Second,
		},
		{
			name: "response lost after the event was recorded", api: "Versioner",
			inject: vfault(fake.Fault{AfterRecord: true}),
			code:   0, versioner: repeat(deployEvents, 2), github: gOK, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::Versioner: request failed: ", "; retry 1 of 5"},
			summary: []string{versionerOK, githubRow},
		},

		// GitHub.
		{
			name: "connection refused", api: "GitHub",
			inject: func(t *testing.T, w *world) { w.context["GITHUB_API_URL"] = refusedURL(t) },
			code:   1, versioner: vOK, events: 1, outputs: [2]string{set, ""},
			stdout:  []string{"::error title=GitHub deployment::GitHub: could not list deployments: ", "6 attempts", "connection refused"},
			summary: []string{versionerOK, "Recording on GitHub failed: GitHub: could not list deployments"},
		},
		{
			name: "connection reset mid-response of a list", api: "GitHub",
			inject: gfault("GET", "/deployments", fake.Fault{Cut: true}),
			code:   0, versioner: vOK, github: []string{ghList, ghList, ghCreate, ghList, ghStatus("1"), ghEnvList}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::GitHub: answered 200 OK, but the connection broke before the end of the answer (", "; retry 1 of 5"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "connection reset mid-response of a create", api: "GitHub",
			inject: gfault("POST", "/deployments", fake.Fault{Cut: true}),
			code:   0, versioner: vOK, github: []string{ghList, ghCreate, ghList, ghStatus("1"), ghEnvList}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::GitHub: answered 201 Created, but the connection broke before the end of the answer (", "not sent again: the server may have acted on it"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "a server that accepts and never answers", api: "GitHub", with: map[string]string{"timeout": "3"},
			inject: func(t *testing.T, w *world) { w.context["GITHUB_API_URL"] = silentURL(t) },
			code:   1, versioner: vOK, events: 1, outputs: [2]string{set, ""},
			stdout:  []string{"::error title=GitHub deployment::timed out after 3s waiting for GitHub: raise the timeout input if the API is slow"},
			summary: []string{versionerOK, "Recording on GitHub failed: timed out after 3s waiting for GitHub"},
			took:    6 * time.Second,
		},
		{
			name: "a body that trickles in slower than the timeout", api: "GitHub", with: map[string]string{"timeout": "3"},
			inject: gfault("POST", "/statuses", fake.Fault{Trickle: 200 * time.Millisecond}),
			code:   1, versioner: vOK, github: []string{ghList, ghEnvList, ghCreate, ghList, ghStatus("1")}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::error title=GitHub deployment::timed out after 3s waiting for GitHub"},
			summary: []string{versionerOK, "Posting the status of GitHub deployment 1 failed: timed out after 3s waiting for GitHub"},
			took:    6 * time.Second,
		},
		{
			name: "truncated JSON body after the deployment was created", api: "GitHub",
			inject: gfault("POST", "/deployments", fake.Fault{Commit: true, Status: 201, Body: `{"id": 1, "sha": "11111`}),
			code:   0, versioner: vOK, github: []string{ghList, ghCreate, ghList, ghStatus("1"), ghEnvList}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "200 with an HTML page", api: "GitHub",
			inject: gfault("GET", "/deployments", html),
			code:   1, versioner: vOK, github: []string{ghList, ghEnvList}, events: 1, outputs: [2]string{set, ""},
			stdout:  []string{"::error title=GitHub deployment::GitHub answered 200 OK when asked to list deployments in acme/shop, but with an HTML page, not the API's JSON: check that GITHUB_API_URL (http://127.0.0.1:"},
			summary: []string{versionerOK, "Recording on GitHub failed: GitHub answered 200 OK when asked to list deployments"},
		},
		{
			name: "empty 201 body after the deployment was created", api: "GitHub",
			inject: gfault("POST", "/deployments", fake.Fault{Commit: true, Status: 201}),
			code:   0, versioner: vOK, github: []string{ghList, ghCreate, ghList, ghStatus("1"), ghEnvList}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "500 is retried", api: "GitHub",
			inject: gfault("GET", "/deployments", fake.Fault{Status: 500, Body: `{"message":"Server Error"}`}),
			code:   0, versioner: vOK, github: []string{ghList, ghList, ghCreate, ghList, ghStatus("1"), ghEnvList}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::GitHub: answered 500 Internal Server Error; retry 1 of 5 in 5ms"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "502 on a create is retried", api: "GitHub",
			inject: gfault("POST", "/deployments", fake.Fault{Status: 502, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<html>Bad Gateway</html>"}),
			code:   0, versioner: vOK, github: []string{ghList, ghCreate, ghCreate, ghList, ghStatus("1"), ghEnvList}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::GitHub: answered 502 Bad Gateway; retry 1 of 5 in 5ms"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "503 with Retry-After in seconds", api: "GitHub",
			inject: gfault("POST", "/statuses", fake.Fault{Status: 503, Header: http.Header{"Retry-After": {"1"}}}),
			code:   0, versioner: vOK, github: []string{ghList, ghCreate, ghList, ghStatus("1"), ghStatus("1"), ghEnvList}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::GitHub: answered 503 Service Unavailable (Retry-After 1s); retry 1 of 5 in 1s"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "503 with Retry-After as an HTTP date", api: "GitHub",
			inject: func(t *testing.T, w *world) {
				gfault("GET", "/deployments", fake.Fault{Status: 503, Header: http.Header{"Retry-After": {date(2 * time.Second)}}})(t, w)
			},
			code: 0, versioner: vOK, github: []string{ghList, ghList, ghCreate, ghList, ghStatus("1"), ghEnvList}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::GitHub: answered 503 Service Unavailable (Retry-After ", "s); retry 1 of 5 in "},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "501 is not retried", api: "GitHub",
			inject: gfault("GET", "/deployments", fake.Fault{Status: 501, Body: `{"message":"Not Implemented"}`}),
			code:   1, versioner: vOK, github: []string{ghList, ghEnvList}, events: 1, outputs: [2]string{set, ""},
			stdout:  []string{"::error title=GitHub deployment::GitHub answered 501 Not Implemented when asked to list deployments in acme/shop: Not Implemented"},
			summary: []string{versionerOK, "Recording on GitHub failed: GitHub answered 501 Not Implemented"},
		},
		{
			name: "429 with Retry-After", api: "GitHub",
			inject: gfault("POST", "/deployments", fake.Fault{Status: 429, Header: http.Header{"Retry-After": {"1"}}, Body: `{"message":"Too Many Requests"}`}),
			code:   0, versioner: vOK, github: []string{ghList, ghCreate, ghCreate, ghList, ghStatus("1"), ghEnvList}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::GitHub: answered 429 Too Many Requests (Retry-After 1s); retry 1 of 5 in 1s"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "Retry-After past the deadline gives up at once", api: "GitHub",
			inject: gfault("GET", "/deployments", fake.Fault{Status: 503, Header: http.Header{"Retry-After": {"3600"}}}),
			code:   1, versioner: vOK, github: []string{ghList, ghEnvList}, events: 1, outputs: [2]string{set, ""},
			stdout: []string{"::error title=GitHub deployment::GitHub: could not list deployments: GitHub: answered 503 Service Unavailable (Retry-After 1h0m0s); the next try is due in 1h0m0s, but only ",
				"of the timeout is left: gave up rather than wait past it"},
			summary: []string{versionerOK, "Recording on GitHub failed: GitHub: could not list deployments: GitHub: answered 503"},
			took:    3 * time.Second,
		},
		{
			name: "403 secondary rate limit with retry-after", api: "GitHub",
			inject: gfault("POST", "/deployments", fake.Fault{Status: 403, Header: http.Header{"Retry-After": {"1"}}, Body: secondary}),
			code:   0, versioner: vOK, github: []string{ghList, ghCreate, ghCreate, ghList, ghStatus("1"), ghEnvList}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::GitHub: answered 403: secondary rate limit (Retry-After 1s); retry 1 of 5 in 1s"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "403 secondary rate limit named only in the message", api: "GitHub",
			inject: gfault("POST", "/deployments", fake.Fault{Status: 403, Body: secondary}),
			code:   1, versioner: vOK, github: []string{ghList, ghEnvList, ghCreate}, events: 1, outputs: [2]string{set, ""},
			stdout: []string{"::error title=GitHub deployment::GitHub: could not create a deployment: GitHub: answered 403: secondary rate limit (secondary rate limit: at least a minute); the next try is due in 1m0s, but only ",
				"of the timeout is left: gave up rather than wait past it (raise the timeout input to wait longer)"},
			summary: []string{versionerOK, "Recording on GitHub failed: GitHub: could not create a deployment: GitHub: answered 403: secondary rate limit"},
			took:    3 * time.Second,
		},
		{
			name: "403 primary rate limit until the reset", api: "GitHub",
			inject: func(t *testing.T, w *world) {
				gfault("GET", "/deployments", fake.Fault{Status: 403, Header: primary(time.Second), Body: `{"message":"API rate limit exceeded for installation ID 1."}`})(t, w)
			},
			code: 0, versioner: vOK, github: []string{ghList, ghList, ghCreate, ghList, ghStatus("1"), ghEnvList}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::GitHub: answered 403: primary rate limit exhausted (rate limit resets in "},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "429 primary rate limit until the reset", api: "GitHub",
			inject: func(t *testing.T, w *world) {
				gfault("POST", "/statuses", fake.Fault{Status: 429, Header: primary(time.Second), Body: `{"message":"API rate limit exceeded"}`})(t, w)
			},
			code: 0, versioner: vOK, github: []string{ghList, ghCreate, ghList, ghStatus("1"), ghStatus("1"), ghEnvList}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"::debug::GitHub: answered 429 Too Many Requests (rate limit resets in "},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "rate limit reset past the deadline gives up at once", api: "GitHub",
			inject: func(t *testing.T, w *world) {
				gfault("GET", "/deployments", fake.Fault{Status: 403, Header: primary(time.Hour), Body: `{"message":"API rate limit exceeded for installation ID 1."}`})(t, w)
			},
			code: 1, versioner: vOK, github: []string{ghList, ghEnvList}, events: 1, outputs: [2]string{set, ""},
			stdout: []string{"::error title=GitHub deployment::GitHub: could not list deployments: GitHub: answered 403: primary rate limit exhausted (rate limit resets in 1h0m",
				"of the timeout is left: gave up rather than wait past it"},
			summary: []string{versionerOK, "Recording on GitHub failed: GitHub: could not list deployments: GitHub: answered 403: primary rate limit exhausted"},
			took:    3 * time.Second,
		},
		{
			name: "response lost after the deployment was created", api: "GitHub",
			inject: gfault("POST", "/deployments", fake.Fault{AfterRecord: true}),
			code:   0, versioner: vOK, github: []string{ghList, ghCreate, ghList, ghStatus("1"), ghEnvList}, events: 1, states: githubOK, outputs: [2]string{set, "1"},
			stdout:  []string{"not sent again: the server may have acted on it"},
			summary: []string{versionerOK, githubRow},
		},
		{
			name: "response lost after a status was posted", api: "GitHub",
			inject: gfault("POST", "/statuses", fake.Fault{AfterRecord: true}),
			code:   0, versioner: vOK, github: []string{ghList, ghCreate, ghList, ghStatus("1"), ghStatus("1"), ghEnvList}, events: 1, states: []string{"success", "success"}, outputs: [2]string{set, "1"},
			summary: []string{versionerOK, githubRow},
		},
	}
	for _, tt := range tests {
		t.Run(tt.api+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			tt.inject(t, w)
			with := w.with(map[string]string{"status": "completed", "timeout": "10"})
			for k, v := range tt.with {
				with[k] = v
			}
			r := w.run(use{with: with, env: map[string]string{"RUNNER_DEBUG": "1"}})
			wantCode(t, r, tt.code)
			if r.stderr != "" {
				t.Errorf("stderr (where retryablehttp's own logger would write) = %q, want nothing", r.stderr)
			}
			if tt.took > 0 && r.took > tt.took {
				t.Errorf("took %s, want at most %s", r.took, tt.took)
			}

			wantPaths(t, "Versioner", w.versioner.Requests(), tt.versioner...)
			wantPaths(t, "GitHub", w.github.Requests(), tt.github...)
			if n := len(w.versioner.Events()); n != tt.events {
				t.Errorf("Versioner recorded %d events, want %d", n, tt.events)
			}
			if diff := gocmp.Diff(tt.states, deploymentStates(t, w)); diff != "" {
				t.Errorf("GitHub deployment's states (-want +got):\n%s", diff)
			}

			got := [2]string{r.outputs["deployment-id"], r.outputs["github-deployment-id"]}
			if got[0] != "" && tt.outputs[0] == set {
				got[0] = set
			}
			if got != tt.outputs || r.outputs["status"] != "completed" {
				t.Errorf("outputs deployment-id, github-deployment-id = %q, status = %q; want %q, completed", got, r.outputs["status"], tt.outputs)
			}
			wantContains(t, "stdout", r.stdout, tt.stdout...)
			wantSummary(t, r.summary, tt.summary...)
		})
	}
}

// deploymentStates returns the states posted to GitHub's only deployment,
// or nil when there is none; more than one deployment fails the test.
func deploymentStates(t *testing.T, w *world) []string {
	t.Helper()
	deps := w.github.Deployments()
	if len(deps) > 1 {
		t.Errorf("GitHub has %d deployments, want at most 1: %+v", len(deps), deps)
	}
	if len(deps) == 0 {
		return nil
	}
	var states []string
	for _, s := range deps[0].Statuses {
		states = append(states, s.State)
	}
	return states
}

// listen opens a TCP port on the loopback interface.
func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// refusedURL is the URL of a port nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	l := listen(t)
	defer l.Close()
	return "http://" + l.Addr().String()
}

// silentURL is the URL of a server that accepts connections and never
// reads from them nor answers.
func silentURL(t *testing.T) string {
	t.Helper()
	l := listen(t)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// TestNoDuplicates runs the workflows that could make a deployment twice:
// a re-run, and matrix jobs of one commit running at once. Each must leave
// exactly the deployments a user expects: one per product and environment
// in a run, whatever the attempt.
func TestNoDuplicates(t *testing.T) {
	t.Parallel()
	type job struct{ product, environment string }
	type want struct {
		job
		states []string // without the inactive statuses of auto_inactive
	}
	lifecycle := []string{"in_progress", "success"}
	tests := []struct {
		name string
		// attempts lists, per run attempt, the jobs that run at once and the
		// statuses each job's steps record in turn.
		attempts [][]job
		steps    [][]string // per attempt: the status of each step of a job
		want     []want
	}{
		{
			name:     "re-run of a failed deployment",
			attempts: [][]job{{{"shop-api", "production"}}, {{"shop-api", "production"}}},
			steps:    [][]string{{"started", "failure"}, {"started", "success"}},
			want:     []want{{job{"shop-api", "production"}, []string{"in_progress", "failure", "in_progress", "success"}}},
		},
		{
			name:     "re-run of the finishing step alone",
			attempts: [][]job{{{"shop-api", "production"}}, {{"shop-api", "production"}}},
			steps:    [][]string{{"started", "cancelled"}, {"success"}},
			want:     []want{{job{"shop-api", "production"}, []string{"in_progress", "inactive", "success"}}},
		},
		{
			name:     "matrix of environments",
			attempts: [][]job{{{"shop-api", "staging"}, {"shop-api", "production"}, {"shop-api", "qa"}}},
			steps:    [][]string{{"started", "success"}},
			want: []want{
				{job{"shop-api", "production"}, lifecycle}, {job{"shop-api", "qa"}, lifecycle}, {job{"shop-api", "staging"}, lifecycle},
			},
		},
		{
			name:     "matrix of products",
			attempts: [][]job{{{"api", "production"}, {"web", "production"}, {"worker", "production"}}},
			steps:    [][]string{{"started", "success"}},
			want: []want{
				{job{"api", "production"}, lifecycle}, {job{"web", "production"}, lifecycle}, {job{"worker", "production"}, lifecycle},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			steps := 0
			for i, jobs := range tt.attempts {
				attempt := strconv.Itoa(i + 1)
				// The jobs of one attempt run at once, as a matrix does.
				t.Run("attempt "+attempt, func(t *testing.T) {
					for _, j := range jobs {
						t.Run(j.product+" "+j.environment, func(t *testing.T) {
							t.Parallel()
							jw := *w
							jw.t = t
							jw.context = maps.Clone(w.context)
							jw.context["GITHUB_RUN_ATTEMPT"] = attempt
							jw.context["GITHUB_JOB"] = "deploy-" + j.environment
							for _, status := range tt.steps[i] {
								r := jw.run(use{id: "__" + status, with: jw.with(map[string]string{"product": j.product, "environment": j.environment, "status": status})})
								wantCode(t, r, 0)
							}
						})
					}
				})
				steps += len(jobs) * len(tt.steps[i])
			}

			var got []want
			for _, d := range w.github.Deployments() {
				var states []string
				for _, s := range d.Statuses {
					if s.State != "inactive" || !slices.Contains(states, "success") {
						states = append(states, s.State)
					}
				}
				got = append(got, want{job{fmt.Sprint(d.Payload["product"]), d.Environment}, states})
			}
			slices.SortFunc(got, func(a, b want) int { return cmp.Compare(a.product+" "+a.environment, b.product+" "+b.environment) })
			if diff := gocmp.Diff(tt.want, got, gocmp.AllowUnexported(want{}, job{})); diff != "" {
				t.Errorf("GitHub deployments (-want +got):\n%s", diff)
			}
			events := w.versioner.Events()
			keys := map[string]bool{}
			for _, e := range events {
				keys[e.IdempotencyKey] = true
			}
			if len(events) != steps || len(keys) != steps {
				t.Errorf("Versioner recorded %d events with %d idempotency keys, want %d of each (one per step)", len(events), len(keys), steps)
			}
		})
	}
}

// TestTLS: TLS is never unverified. A Versioner whose certificate no
// trusted authority signed is refused at once; trusting its authority
// (SSL_CERT_FILE, which Go reads on Linux) is the way to a private CA.
func TestTLS(t *testing.T) {
	t.Parallel()
	for _, trusted := range []bool{false, true} {
		t.Run(map[bool]string{false: "self-signed certificate is refused", true: "its authority trusted through SSL_CERT_FILE"}[trusted], func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			srv := httptest.NewTLSServer(w.versioner)
			t.Cleanup(srv.Close)
			env := map[string]string{}
			if trusted {
				pemFile := filepath.Join(t.TempDir(), "ca.pem")
				if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
					t.Fatal(err)
				}
				env["SSL_CERT_FILE"] = pemFile
			}
			r := w.run(use{with: w.with(map[string]string{"api-url": srv.URL}), env: env})
			if trusted {
				wantCode(t, r, 0)
				wantPaths(t, "Versioner", w.versioner.Requests(), deployEvents)
				return
			}
			wantCode(t, r, 1)
			wantPaths(t, "Versioner", w.versioner.Requests())
			wantContains(t, "stdout", r.stdout, "::error title=Versioner::could not reach Versioner at "+srv.URL+"/deployment-events/: tls: failed to verify certificate: x509: certificate signed by unknown authority")
			if strings.Contains(r.stdout, "attempts") {
				t.Errorf("an untrusted certificate was tried again:\n%s", r.stdout)
			}
			wantSummary(t, r.summary, githubRow)
		})
	}
}
