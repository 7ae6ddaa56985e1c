package versioner_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/httpx"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

func TestRecordErrors(t *testing.T) {
	t.Parallel()
	const endpoint = "{url}/deployment-events/"
	long := "<html><head><title>502 Bad Gateway</title></head><body>" + strings.Repeat("nginx ", 60) + "</body></html>"
	tests := []struct {
		name         string
		build        bool // post a build event, not a deployment
		status       int
		header       map[string]string
		body         string
		want         *versioner.APIError
		wantMsg      string
		wantRequests int
	}{
		{
			name:         "401 says to check the key",
			status:       http.StatusUnauthorized,
			body:         `{"detail":"Invalid authentication credentials"}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 401, Detail: "Invalid authentication credentials", Attempts: 1},
			wantMsg:      "Versioner answered 401 Unauthorized for POST {url}/deployment-events/: Invalid authentication credentials: check the api-key input (or VERSIONER_API_KEY): the key is missing, wrong or revoked",
			wantRequests: 1,
		},
		{
			name:         "403 says the key lacks permission",
			status:       http.StatusForbidden,
			body:         `{"detail":"API key cannot write to production"}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 403, Detail: "API key cannot write to production", Attempts: 1},
			wantMsg:      "Versioner answered 403 Forbidden for POST {url}/deployment-events/: API key cannot write to production: the api-key lacks permission for this product or environment",
			wantRequests: 1,
		},
		{
			name:         "404 says to check the URL",
			status:       http.StatusNotFound,
			body:         `{"detail":"Not found"}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 404, Detail: "Not found", Attempts: 1},
			wantMsg:      "Versioner answered 404 Not Found for POST {url}/deployment-events/: Not found: check api-url: it should be the API's base, such as https://api.versioner.io",
			wantRequests: 1,
		},
		{
			name:         "400 malformed",
			status:       http.StatusBadRequest,
			body:         `{"detail":"There was an error parsing the body"}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 400, Detail: "There was an error parsing the body", Attempts: 1},
			wantMsg:      "Versioner answered 400 Bad Request for POST {url}/deployment-events/: There was an error parsing the body",
			wantRequests: 1,
		},
		{
			name:   "422 FastAPI validation list is made readable",
			status: http.StatusUnprocessableEntity,
			body: `{"detail":[{"loc":["body","version"],"msg":"field required","type":"value_error.missing"},
				{"loc":["body","extra_metadata",0],"msg":"value is not a valid dict","type":"type_error.dict"}]}`,
			want: &versioner.APIError{Endpoint: endpoint, Status: 422, Attempts: 1,
				Detail: "body.version: field required; body.extra_metadata.0: value is not a valid dict"},
			wantMsg:      "Versioner answered 422 Unprocessable Entity for POST {url}/deployment-events/: body.version: field required; body.extra_metadata.0: value is not a valid dict: the event was refused as invalid",
			wantRequests: 1,
		},
		{
			name:         "409 on a build is immutability, an API error, not a preflight",
			build:        true,
			status:       http.StatusConflict,
			body:         `{"detail":"Version 1.2.3 of web already exists with SHA abc123"}`,
			want:         &versioner.APIError{Endpoint: "{url}/build-events/", Status: 409, Detail: "Version 1.2.3 of web already exists with SHA abc123", Attempts: 1},
			wantMsg:      "Versioner answered 409 Conflict for POST {url}/build-events/: Version 1.2.3 of web already exists with SHA abc123: versions are immutable: the same version was recorded from another commit",
			wantRequests: 1,
		},
		{
			name:         "multi-line detail is folded",
			status:       http.StatusBadRequest,
			body:         `{"detail":"line one\n  line two\r\n"}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 400, Detail: "line one line two", Attempts: 1},
			wantMsg:      "Versioner answered 400 Bad Request for POST {url}/deployment-events/: line one line two",
			wantRequests: 1,
		},
		{
			name:         "detail of another shape is shown as JSON",
			status:       http.StatusBadRequest,
			body:         `{"detail":{"reason":"odd"}}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 400, Detail: `{"reason":"odd"}`, Attempts: 1},
			wantMsg:      `Versioner answered 400 Bad Request for POST {url}/deployment-events/: {"reason":"odd"}`,
			wantRequests: 1,
		},
		{
			name:         "HTML error page from a proxy",
			status:       http.StatusForbidden,
			header:       map[string]string{"Content-Type": "text/html"},
			body:         "<html>\n<body><h1>Access denied</h1></body>\n</html>\n",
			want:         &versioner.APIError{Endpoint: endpoint, Status: 403, Detail: "unexpected body: <html> <body><h1>Access denied</h1></body> </html>", Attempts: 1},
			wantMsg:      "Versioner answered 403 Forbidden for POST {url}/deployment-events/: unexpected body: <html> <body><h1>Access denied</h1></body> </html>: the api-key lacks permission for this product or environment",
			wantRequests: 1,
		},
		{
			name:         "HTML page on a 200 is not the API: nothing was recorded",
			status:       http.StatusOK,
			header:       map[string]string{"Content-Type": "text/html; charset=utf-8"},
			body:         "<!DOCTYPE html>\n<html><body>Sign in</body></html>",
			want:         &versioner.APIError{Endpoint: endpoint, Status: 200, Detail: "an HTML page, not the API's JSON: <!DOCTYPE html> <html><body>Sign in</body></html>", Attempts: 1},
			wantMsg:      "Versioner answered 200 OK for POST {url}/deployment-events/: an HTML page, not the API's JSON: <!DOCTYPE html> <html><body>Sign in</body></html>: check api-url: it should be the API's base, such as https://api.versioner.io",
			wantRequests: 1,
		},
		{
			name:         "a page without a Content-Type is still a page",
			status:       http.StatusCreated,
			body:         "  <html>hello</html>",
			want:         &versioner.APIError{Endpoint: endpoint, Status: 201, Detail: "an HTML page, not the API's JSON: <html>hello</html>", Attempts: 1},
			wantRequests: 1,
		},
		{
			name:   "long HTML page after retries is cut",
			status: http.StatusBadGateway,
			header: map[string]string{"Content-Type": "text/html"},
			body:   long,
			want: &versioner.APIError{Endpoint: endpoint, Status: 502, Attempts: 3,
				Detail: "unexpected body: " + strings.Join(strings.Fields(string([]rune(long)[:200])), " ") + "…"},
			wantRequests: 3,
		},
		{
			name:         "empty 500 after retries",
			status:       http.StatusInternalServerError,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 500, Attempts: 3},
			wantMsg:      "Versioner answered 500 Internal Server Error for POST {url}/deployment-events/ after 3 attempts",
			wantRequests: 3,
		},
		{
			name:         "429 after retries",
			status:       http.StatusTooManyRequests,
			header:       map[string]string{"Retry-After": "0"},
			body:         `{"detail":"Rate limit exceeded"}`,
			want:         &versioner.APIError{Endpoint: endpoint, Status: 429, Detail: "Rate limit exceeded", Attempts: 3},
			wantMsg:      "Versioner answered 429 Too Many Requests for POST {url}/deployment-events/ after 3 attempts: Rate limit exceeded",
			wantRequests: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			ev, path := deployment(), "/deployment-events/"
			if tt.build {
				ev, path = build(), "/build-events/"
			}
			s.mux.HandleFunc("POST "+path+"{$}", func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			_, err := client(t, s.url).Record(context.Background(), ev)
			var got *versioner.APIError
			if !errors.As(err, &got) {
				t.Fatalf("Record() error = %v (%T), want a *versioner.APIError", err, err)
			}
			want := *tt.want
			want.Endpoint = strings.ReplaceAll(want.Endpoint, "{url}", s.url)
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("APIError mismatch (-want +got):\n%s", diff)
			}
			if tt.wantMsg != "" {
				if diff := cmp.Diff(strings.ReplaceAll(tt.wantMsg, "{url}", s.url), err.Error()); diff != "" {
					t.Errorf("Error() mismatch (-want +got):\n%s", diff)
				}
			}
			var pe *versioner.PreflightError
			if errors.As(err, &pe) {
				t.Errorf("Record() error is also a PreflightError: %v", pe)
			}
			if n := len(s.requests()); n != tt.wantRequests {
				t.Errorf("server saw %d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

func TestRecordUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL + "/versioner"
	srv.Close()

	_, err := client(t, base).Record(context.Background(), deployment())
	if err == nil {
		t.Fatal("Record() to a closed port succeeded")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Record() error = %v, want it to wrap ECONNREFUSED", err)
	}
	msg := err.Error()
	prefix := "could not reach Versioner at " + base + "/deployment-events/: "
	suffix := ": check api-url and that the runner can reach it"
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, suffix) {
		t.Errorf("Record() error = %q, want %q ... %q", msg, prefix, suffix)
	}
	var ae *versioner.APIError
	if errors.As(err, &ae) {
		t.Errorf("Record() error is an APIError: %v", ae)
	}
}

func TestRecordTimeout(t *testing.T) {
	t.Parallel()
	s := setup(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s.mux.HandleFunc("POST /deployment-events/{$}", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := client(t, s.url).Record(ctx, deployment())
	var te *httpx.TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("Record() error = %v (%T), want a *httpx.TimeoutError", err, err)
	}
	if diff := cmp.Diff(&httpx.TimeoutError{API: "Versioner", Attempts: 1}, te); diff != "" {
		t.Errorf("TimeoutError mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(err.Error(), "could not reach") {
		t.Errorf("Record() error = %q, want the timeout itself, not an unreachable API", err)
	}
}

func TestRecordGiveUp(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.mux.HandleFunc("POST /deployment-events/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		respond(w, http.StatusTooManyRequests, `{"detail":"Rate limit exceeded"}`)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := client(t, s.url).Record(ctx, deployment())
	var ge *httpx.GiveUpError
	if !errors.As(err, &ge) {
		t.Fatalf("Record() error = %v (%T), want a *httpx.GiveUpError", err, err)
	}
	if ge.Wait != time.Hour {
		t.Errorf("GiveUpError.Wait = %v, want 1h", ge.Wait)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestAPIErrorMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *versioner.APIError
		want string
	}{
		{
			name: "no detail, one attempt",
			err:  &versioner.APIError{Endpoint: "https://api.versioner.io/build-events/", Status: 503, Attempts: 1},
			want: "Versioner answered 503 Service Unavailable for POST https://api.versioner.io/build-events/",
		},
		{
			name: "409 hint",
			err:  &versioner.APIError{Endpoint: "https://api.versioner.io/build-events/", Status: 409, Detail: "exists"},
			want: "Versioner answered 409 Conflict for POST https://api.versioner.io/build-events/: exists: versions are immutable: the same version was recorded from another commit",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.err.Error()); diff != "" {
				t.Errorf("Error() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
