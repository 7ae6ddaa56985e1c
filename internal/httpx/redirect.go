package httpx

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// settings names, per API, where the user sets its URL: what a message
// about a redirect asks to check.
var settings = map[string]string{"Versioner": "api-url", "GitHub": "GITHUB_API_URL"}

// RedirectError is a redirect the client did not follow. Credentials go
// only to the origin they were given for, so a redirect to another origin
// is not followed, however alike the two look; nor is a 301, 302 or 303
// answering a request other than GET or HEAD, which Go would send again
// as a GET without its body.
type RedirectError struct {
	API    string
	Status int    // the redirect's status code
	Method string // of the request it answered
	To     string // the other origin it pointed to; "" when it pointed to the same one
}

func (e *RedirectError) Error() string {
	check := "check the API's URL"
	if s, ok := settings[e.API]; ok {
		check = "check " + s
	}
	if e.To != "" {
		return fmt.Sprintf("%s answered %d to another origin (%s): not followed, so the credentials were not sent there; %s", e.API, e.Status, e.To, check)
	}
	return fmt.Sprintf("%s answered %d to a %s: a redirect would turn it into a GET, so it was not followed; %s", e.API, e.Status, e.Method, check)
}

// checkRedirect is the redirect policy of the client For returns for api.
// The first request's URL is the origin the credentials were given for.
func checkRedirect(api string) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		prev := via[len(via)-1]
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		switch {
		case !sameOrigin(req.URL, via[0].URL):
			return &RedirectError{API: api, Status: status, Method: prev.Method, To: origin(req.URL)}
		case rewritesMethod(status) && prev.Method != http.MethodGet && prev.Method != http.MethodHead:
			return &RedirectError{API: api, Status: status, Method: prev.Method}
		case len(via) >= 10:
			return http.ErrUseLastResponse
		}
		return nil
	}
}

// rewritesMethod reports whether Go follows a redirect of this status as
// a GET, whatever the method of the request it answered.
func rewritesMethod(status int) bool {
	return status == http.StatusMovedPermanently || status == http.StatusFound || status == http.StatusSeeOther
}

// sameOrigin reports whether a and b are one origin: the same scheme, host
// (in any case) and port, an omitted port being the scheme's default.
// Comparing URL.Host alone takes https://h and http://h for one.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// port is u's port, or its scheme's default.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// origin is how a message shows u's origin: scheme and host as written,
// without the path, the query or any credentials.
func origin(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}
