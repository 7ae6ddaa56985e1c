package deployments_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/deployments"
)

func TestErrors(t *testing.T) {
	t.Parallel()
	const (
		list   = "GET /repos/acme/web/deployments"
		create = "POST /repos/acme/web/deployments"
		status = "POST /repos/acme/web/deployments/7/statuses"
	)
	tests := []struct {
		name     string
		fail     string // the endpoint that fails; the others succeed
		code     int
		header   map[string]string
		body     string
		want     string
		wantSeen []string
	}{
		{
			name: "403 on list says to add the permission",
			fail: list, code: 403,
			body:     `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/deployments/deployments#list-deployments"}`,
			want:     "GitHub answered 403 Forbidden when asked to list deployments in acme/web: Resource not accessible by integration: add `permissions: deployments: write` to the job (or set github-deployment: false)",
			wantSeen: []string{list},
		},
		{
			name: "404 on list says to add the permission",
			fail: list, code: 404,
			body:     `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`,
			want:     "GitHub answered 404 Not Found when asked to list deployments in acme/web: Not Found: add `permissions: deployments: write` to the job (or set github-deployment: false)",
			wantSeen: []string{list},
		},
		{
			name: "403 on create says to add the permission",
			fail: create, code: 403,
			body:     `{"message":"Resource not accessible by integration"}`,
			want:     "GitHub answered 403 Forbidden when asked to create a deployment in acme/web: Resource not accessible by integration: add `permissions: deployments: write` to the job (or set github-deployment: false)",
			wantSeen: []string{list, create},
		},
		{
			name: "404 on a status says to add the permission",
			fail: status, code: 404,
			body:     `{"message":"Not Found"}`,
			want:     "GitHub answered 404 Not Found when asked to post a status to deployment 7 in acme/web: Not Found: add `permissions: deployments: write` to the job (or set github-deployment: false)",
			wantSeen: []string{status},
		},
		{
			name: "401 says to check the token",
			fail: list, code: 401,
			body:     `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`,
			want:     "GitHub answered 401 Unauthorized when asked to list deployments in acme/web: Bad credentials: check the github-token input",
			wantSeen: []string{list},
		},
		{
			name: "422 includes GitHub's errors",
			fail: create, code: 422,
			body:     `{"message":"Validation Failed","errors":[{"resource":"Deployment","field":"ref","code":"invalid"}],"documentation_url":"https://docs.github.com/rest"}`,
			want:     "GitHub answered 422 Unprocessable Entity when asked to create a deployment in acme/web: Validation Failed (Deployment ref invalid)",
			wantSeen: []string{list, create},
		},
		{
			name: "409 failed status checks",
			fail: create, code: 409,
			body:     `{"message":"Conflict: Commit status checks failed for main.","errors":[{"contexts":[{"context":"ci","state":"failure"}],"resource":"Deployment","field":"required_contexts","code":"invalid"}]}`,
			want:     "GitHub answered 409 Conflict when asked to create a deployment in acme/web: Conflict: Commit status checks failed for main. (Deployment required_contexts invalid)",
			wantSeen: []string{list, create},
		},
		{
			name: "202 merged instead of deploying",
			fail: create, code: 202,
			body:     `{"message":"Auto-merged main into topic-branch on deployment."}`,
			want:     `GitHub: could not create a deployment: GitHub merged the default branch into the ref instead (202): {"message":"Auto-merged main into topic-branch on deployment."}`,
			wantSeen: []string{list, create},
		},
		{
			name: "primary rate limit names the reset",
			fail: list, code: 403,
			header:   map[string]string{"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1714566600"},
			body:     `{"message":"API rate limit exceeded for installation ID 1."}`,
			want:     "GitHub: could not list deployments: rate limit exhausted until 12:30:00 UTC",
			wantSeen: []string{list},
		},
		{
			name: "500 on a status",
			fail: status, code: 500,
			body:     `{"message":"Server Error"}`,
			want:     "GitHub answered 500 Internal Server Error when asked to post a status to deployment 7 in acme/web: Server Error",
			wantSeen: []string{status},
		},
		{
			name: "an HTML page on a 200 is not the API",
			fail: list, code: 200,
			header:   map[string]string{"Content-Type": "text/html; charset=utf-8"},
			body:     "<!DOCTYPE html><html><body>Sign in</body></html>",
			want:     "GitHub answered 200 OK when asked to list deployments in acme/web, but with an HTML page, not the API's JSON: check that GITHUB_API_URL ({url}) is GitHub's API, and that no proxy between the runner and GitHub answers in its place",
			wantSeen: []string{list},
		},
		{
			name: "a success cut short is not the API's JSON",
			fail: status, code: 201,
			body:     `{"id": 1, "state": "succ`,
			want:     "GitHub answered 201 Created when asked to post a status to deployment 7 in acme/web, but with a body that is not the API's JSON (not the JSON asked for: the answer is not one JSON object): check that GITHUB_API_URL ({url}) is GitHub's API, and that no proxy between the runner and GitHub answers in its place",
			wantSeen: []string{status},
		},
		{
			name: "multi-line message is folded",
			fail: create, code: 422,
			body:     `{"message":"Validation\nFailed"}`,
			want:     "GitHub answered 422 Unprocessable Entity when asked to create a deployment in acme/web: Validation Failed",
			wantSeen: []string{list, create},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			ok := map[string]string{list: `[]`, create: `{"id":7}`, status: `{"id":1}`}
			for _, ep := range []string{list, create, status} {
				g.mux.HandleFunc(ep, func(w http.ResponseWriter, r *http.Request) {
					if ep != tt.fail {
						code := http.StatusCreated
						if ep == list {
							code = http.StatusOK
						}
						respond(w, code, ok[ep])
						return
					}
					for k, v := range tt.header {
						w.Header().Set(k, v)
					}
					respond(w, tt.code, tt.body)
				})
			}
			c := g.client(t, g.url)
			var err error
			if tt.fail == status {
				err = c.SetStatus(context.Background(), 7, deployments.StatusRequest(deployment(), "success", ""))
			} else {
				_, _, err = c.Ensure(context.Background(), deployment())
			}
			if err == nil {
				t.Fatal("got no error")
			}
			if diff := cmp.Diff(strings.ReplaceAll(tt.want, "{url}", g.url), err.Error()); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSeen, g.paths()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// GitHub puts the explanation of a "custom" validation error in its
// message (a too-long description, an environment a rule forbids...), and
// some errors are plain strings.
func TestErrorsValidationMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want string
	}{
		{
			name: "custom code",
			body: `{"message":"Validation Failed","errors":[{"resource":"DeploymentStatus","code":"custom","field":"description","message":"description is too long (maximum is 140 characters)"}]}`,
			want: "description is too long (maximum is 140 characters)",
		},
		{
			name: "plain string",
			body: `{"message":"Validation Failed","errors":["Environment \"prod\" is protected by a deployment branch policy"]}`,
			want: `Environment "prod" is protected by a deployment branch policy`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			g.mux.HandleFunc("POST /repos/acme/web/deployments/7/statuses", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusUnprocessableEntity, tt.body)
			})
			err := g.client(t, g.url).SetStatus(context.Background(), 7, deployments.StatusRequest(deployment(), "success", ""))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SetStatus() error = %v, want it to include %q", err, tt.want)
			}
		})
	}
}

func TestErrorsUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	apiURL := srv.URL
	srv.Close()
	c, err := deployments.New(&http.Client{}, apiURL, token, "acme/web", userAgent)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Ensure(context.Background(), deployment())
	if err == nil {
		t.Fatal("Ensure() against a closed port succeeded")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Ensure() error = %v, want it to wrap ECONNREFUSED", err)
	}
	if !strings.HasPrefix(err.Error(), "GitHub: could not list deployments: ") {
		t.Errorf("Ensure() error = %q, want it to say what it could not do", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("Ensure() error = %q shows the token", err)
	}
}

func TestErrorsDeadline(t *testing.T) {
	t.Parallel()
	g := setup(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	g.mux.HandleFunc("GET /repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := g.client(t, g.url).Ensure(ctx, deployment())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ensure() error = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if diff := cmp.Diff("GitHub: could not list deployments: context deadline exceeded", err.Error()); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
}
