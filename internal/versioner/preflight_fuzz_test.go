package versioner

import (
	"net/http"
	"strings"
	"testing"

	"github.com/deploytrack/deploytrack/internal/event"
)

// FuzzDecodeError: whatever the body of a 409, 423 or 428, a deployment
// gets a rejection with a message on one line, and a build's 409 stays an
// API error.
func FuzzDecodeError(f *testing.F) {
	for _, seed := range []string{
		`{"detail":{"error":"deployment_blocked","message":"Frozen","code":"NO_DEPLOY_WINDOW","retry_after":"2026-12-27T09:00:00Z","details":{"rule_name":"freeze"}}}`,
		`{"message":"Deployment in progress","code":"DEPLOYMENT_IN_PROGRESS"}`,
		`{"detail":"preflight check failed"}`,
		`{"detail":[{"loc":["body","version"],"msg":"field required"}]}`,
		`{"detail":{"message":"  \n "}}`,
		`"frozen"`, "Deployments are frozen\n", "", "{}", "null", "<h1>423</h1>",
	} {
		for _, ctype := range []string{"application/json", "text/plain"} {
			f.Add(http.StatusLocked, ctype, []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, code int, ctype string, raw []byte) {
		code = []int{http.StatusConflict, http.StatusLocked, http.StatusPreconditionRequired}[uint(code)%3]
		resp := &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {ctype}}}
		err := decodeError("https://api.versioner.io/deployment-events/", event.Deployment, resp, raw)
		pe, ok := AsPreflight(err)
		if !ok {
			t.Fatalf("decodeError(%d, %q) = %v (%T), want a *PreflightError", code, raw, err, err)
		}
		if pe.Message == "" || strings.ContainsAny(pe.Message, "\r\n") {
			t.Errorf("decodeError(%d, %q) message = %q, want one line, never empty", code, raw, pe.Message)
		}
		if _, ok := AsPreflight(decodeError("https://api.versioner.io/build-events/", event.Build, &http.Response{StatusCode: http.StatusConflict, Header: resp.Header}, raw)); ok {
			t.Errorf("a build's 409 with body %q is a rejection, want an API error", raw)
		}
	})
}
