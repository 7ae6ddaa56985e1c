package deployments_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/deployments"
)

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		server, repo, env string
		want              string
	}{
		{"https://github.com", "acme/web", "production", "https://github.com/acme/web/deployments/production"},
		{"https://github.com/", "acme/web", "production", "https://github.com/acme/web/deployments/production"},
		{"https://ghes.example.com", "acme/web", "prod eu", "https://ghes.example.com/acme/web/deployments/prod%20eu"},
		{"https://github.com", "acme/web", "a/b", "https://github.com/acme/web/deployments/a%2Fb"},
	}
	for _, tt := range tests {
		if got := deployments.URL(tt.server, tt.repo, tt.env); got != tt.want {
			t.Errorf("URL(%q, %q, %q) = %q, want %q", tt.server, tt.repo, tt.env, got, tt.want)
		}
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		apiURL     string
		repository string
		wantPrefix string
	}{
		{name: "no owner", apiURL: "https://api.github.com", repository: "web", wantPrefix: `GITHUB_REPOSITORY "web" is not owner/name`},
		{name: "empty", apiURL: "https://api.github.com", repository: "", wantPrefix: `GITHUB_REPOSITORY "" is not owner/name`},
		{name: "empty name", apiURL: "https://api.github.com", repository: "acme/", wantPrefix: `GITHUB_REPOSITORY "acme/" is not owner/name`},
		{name: "empty owner", apiURL: "https://api.github.com", repository: "/web", wantPrefix: `GITHUB_REPOSITORY "/web" is not owner/name`},
		{name: "too many parts", apiURL: "https://api.github.com", repository: "acme/web/x", wantPrefix: `GITHUB_REPOSITORY "acme/web/x" is not owner/name`},
		{name: "API URL without a host", apiURL: "api.github.com", repository: "acme/web", wantPrefix: `GITHUB_API_URL "api.github.com" is not a URL`},
		{name: "API URL empty", apiURL: "", repository: "acme/web", wantPrefix: `GITHUB_API_URL "" is not a URL`},
		{name: "API URL unparsable", apiURL: "https://[::1", repository: "acme/web", wantPrefix: `GITHUB_API_URL "https://[::1" is not a URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := deployments.New(http.DefaultClient, tt.apiURL, token, tt.repository, userAgent)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantPrefix) {
				t.Errorf("New() error = %v, want it to start %q", err, tt.wantPrefix)
			}
		})
	}
}

// GITHUB_API_URL is taken as given: github.com has no prefix, GHES has
// /api/v3; with or without a trailing slash.
func TestEnsureAPIURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		prefix string
		suffix string // appended to the server URL to make GITHUB_API_URL
	}{
		{name: "github.com", prefix: "", suffix: ""},
		{name: "github.com with a slash", prefix: "", suffix: "/"},
		{name: "GHES", prefix: "/api/v3", suffix: "/api/v3"},
		{name: "GHES with a slash", prefix: "/api/v3", suffix: "/api/v3/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			g.mux.HandleFunc("GET "+tt.prefix+"/repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusOK, `[]`)
			})
			g.mux.HandleFunc("POST "+tt.prefix+"/repos/acme/web/deployments", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusCreated, `{"id":5}`)
			})
			g.mux.HandleFunc("POST "+tt.prefix+"/repos/acme/web/deployments/5/statuses", func(w http.ResponseWriter, r *http.Request) {
				respond(w, http.StatusCreated, `{"id":1,"state":"success"}`)
			})
			c := g.client(t, g.url+tt.suffix)
			id, _, err := c.Ensure(context.Background(), deployment())
			if err != nil {
				t.Fatalf("Ensure() error = %v", err)
			}
			if err := c.SetStatus(context.Background(), id, deployments.StatusRequest(deployment(), "success", "")); err != nil {
				t.Fatalf("SetStatus() error = %v", err)
			}
			want := []string{
				"GET " + tt.prefix + "/repos/acme/web/deployments?" + listQuery,
				"POST " + tt.prefix + "/repos/acme/web/deployments",
				"GET " + tt.prefix + "/repos/acme/web/deployments?" + listQuery,
				"POST " + tt.prefix + "/repos/acme/web/deployments/5/statuses",
			}
			if diff := cmp.Diff(want, g.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
