package ghapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/ghapi"
)

// GITHUB_API_URL is taken as given: github.com has no prefix, GHES has
// /api/v3; with or without a trailing slash, every request goes below it.
func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		suffix string // appended to the server URL to make GITHUB_API_URL
		want   string // the path the server sees
	}{
		{name: "github.com", suffix: "", want: "/repos/acme/web"},
		{name: "github.com with a slash", suffix: "/", want: "/repos/acme/web"},
		{name: "a slash too many", suffix: "//", want: "/repos/acme/web"},
		{name: "GHES", suffix: "/api/v3", want: "/api/v3/repos/acme/web"},
		{name: "GHES with a slash", suffix: "/api/v3/", want: "/api/v3/repos/acme/web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seen := make(chan []string, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen <- []string{r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("User-Agent")}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"id":1}`))
			}))
			defer srv.Close()
			gh, err := ghapi.New(srv.Client(), srv.URL+tt.suffix, "ghs_t0ken", "deploytrack/1.0.0")
			if err != nil {
				t.Fatalf("New() error = %v", err)
			}
			if _, _, err := gh.Repositories.Get(context.Background(), "acme", "web"); err != nil {
				t.Fatalf("a request through the client: %v", err)
			}
			want := []string{tt.want, "Bearer ghs_t0ken", "deploytrack/1.0.0"}
			if diff := cmp.Diff(want, <-seen); diff != "" {
				t.Errorf("request path, Authorization, User-Agent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	for _, apiURL := range []string{"api.github.com", "", "https://[::1", "/api/v3"} {
		_, err := ghapi.New(http.DefaultClient, apiURL, "t", "ua")
		want := `GITHUB_API_URL "` + apiURL + `" is not a URL: the runner sets it`
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("New(%q) error = %v, want it to start %q", apiURL, err, want)
		}
	}
}

func TestBase(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://api.github.com":          "https://api.github.com/",
		"https://api.github.com/":         "https://api.github.com/",
		"https://ghes.example.com/api/v3": "https://ghes.example.com/api/v3/",
		"":                                "/",
	} {
		if got := ghapi.Base(in); got != want {
			t.Errorf("Base(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRepo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in          string
		owner, name string
		ok          bool
	}{
		{in: "acme/web", owner: "acme", name: "web", ok: true},
		{in: "web"},
		{in: ""},
		{in: "acme/"},
		{in: "/web"},
		{in: "acme/web/x"},
	}
	for _, tt := range tests {
		owner, name, err := ghapi.Repo(tt.in)
		if tt.ok {
			if err != nil || owner != tt.owner || name != tt.name {
				t.Errorf("Repo(%q) = %q, %q, %v; want %q, %q", tt.in, owner, name, err, tt.owner, tt.name)
			}
			continue
		}
		if want := `GITHUB_REPOSITORY "` + tt.in + `" is not owner/name`; err == nil || err.Error() != want {
			t.Errorf("Repo(%q) error = %v, want %q", tt.in, err, want)
		}
	}
}
