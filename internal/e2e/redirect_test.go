package e2e

import (
	"bufio"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/deploytrack/deploytrack/internal/fake"
)

// Credentials go only to the origin they were given for: the binary
// follows no redirect to another origin, however alike it looks, nor one
// that would send a POST again as a GET. These tests serve the fakes over
// TLS under names the test certificate holds, behind a proxy, the way a
// runner behind a corporate proxy reaches an API: https://NAME is port
// 443 and http://NAME port 80, the pair that URL.Host alone takes for one
// origin.

// site is a world whose fakes answer at https://versioner.example.com and
// https://github.example.com/api/v3, through an HTTPS_PROXY; the binary
// trusts the test authority through SSL_CERT_FILE, as a user trusts a
// private CA.
type site struct {
	*world
	env map[string]string // for step.env: the proxy, the CA, GITHUB_API_URL

	mu    sync.Mutex
	clear []string // plain http requests for those names, with their Authorization
}

const (
	versionerName = "versioner.example.com"
	githubName    = "github.example.com"
)

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{world: newWorld(t)}
	vs := httptest.NewTLSServer(s.versioner)
	gs := httptest.NewTLSServer(s.github)
	t.Cleanup(vs.Close)
	t.Cleanup(gs.Close)
	tunnels := map[string]string{
		versionerName + ":443": vs.Listener.Addr().String(),
		githubName + ":443":    gs.Listener.Addr().String(),
	}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			tunnel(t, w, tunnels[r.Host])
			return
		}
		// A request sent in clear text: record what crossed the network.
		s.mu.Lock()
		s.clear = append(s.clear, r.Method+" "+r.URL.String()+" Authorization: "+r.Header.Get("Authorization"))
		s.mu.Unlock()
		http.Error(w, "not found", http.StatusNotFound)
	}))
	t.Cleanup(proxy.Close)

	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: vs.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	s.vURL = "https://" + versionerName
	s.env = map[string]string{
		"HTTPS_PROXY": proxy.URL, "HTTP_PROXY": proxy.URL, "SSL_CERT_FILE": ca,
		"GITHUB_API_URL": "https://" + githubName + s.github.PathPrefix,
	}
	return s
}

// tunnel serves a CONNECT by joining the client to the server at addr.
func tunnel(t *testing.T, w http.ResponseWriter, addr string) {
	if addr == "" {
		http.Error(w, "no such host", http.StatusBadGateway)
		return
	}
	server, err := net.Dial("tcp", addr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	client, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Error(err)
		server.Close()
		return
	}
	io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func(from *bufio.Reader) {
		io.Copy(server, from)
		server.(*net.TCPConn).CloseWrite()
	}(buf.Reader)
	io.Copy(client, server)
	client.Close()
	server.Close()
}

// sentInClear returns the requests that went out as plain http.
func (s *site) sentInClear() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.clear...)
}

func TestRedirectToAnotherOrigin(t *testing.T) {
	t.Parallel()
	t.Run("Versioner: https to http on the same name", func(t *testing.T) {
		t.Parallel()
		for _, fail := range []string{"true", "false"} {
			t.Run("fail-on-api-error "+fail, func(t *testing.T) {
				t.Parallel()
				s := newSite(t)
				s.versioner.Inject(fake.Fault{Method: "POST", PathSuffix: "/deployment-events/", Status: http.StatusTemporaryRedirect,
					Header: http.Header{"Location": {"http://" + versionerName + "/deployment-events/"}}})
				r := s.run(use{with: s.with(map[string]string{"fail-on-api-error": fail}), env: s.env})
				if got := s.sentInClear(); len(got) != 0 {
					t.Errorf("sent in clear text: %q", got)
				}
				wantPaths(t, "Versioner", s.versioner.Requests(), deployEvents)
				msg := "Versioner answered 307 to another origin (http://" + versionerName + "): not followed, so the credentials were not sent there; check api-url"
				if fail == "true" {
					wantCode(t, r, 1)
					wantContains(t, "stdout", r.stdout, "::error title=Versioner::"+msg)
				} else {
					wantCode(t, r, 0)
					wantContains(t, "stdout", r.stdout, "::warning::Versioner: "+msg)
				}
				wantPaths(t, "GitHub", s.github.Requests(), gOK...)
			})
		}
	})
	t.Run("GitHub: https to http on the same name", func(t *testing.T) {
		t.Parallel()
		s := newSite(t)
		s.github.Inject(fake.Fault{Method: "GET", PathSuffix: "/deployments", Query: "sha=", Status: http.StatusTemporaryRedirect,
			Header: http.Header{"Location": {"http://" + githubName + "/api/v3/repos/acme/shop/deployments"}}})
		r := s.run(use{with: s.with(nil), env: s.env})
		if got := s.sentInClear(); len(got) != 0 {
			t.Errorf("sent in clear text: %q", got)
		}
		wantCode(t, r, 1)
		wantContains(t, "stdout", r.stdout, "::error title=GitHub deployment::",
			"GitHub answered 307 to another origin (http://"+githubName+"): not followed, so the credentials were not sent there; check GITHUB_API_URL")
		wantPaths(t, "GitHub", s.github.Requests(), ghList, ghEnvList)
		wantPaths(t, "Versioner", s.versioner.Requests(), deployEvents)
	})
}

// A 302 answering a POST is not followed: Go would send it again as a GET,
// without its body.
func TestRedirectOfAPost(t *testing.T) {
	t.Parallel()
	t.Run("Versioner", func(t *testing.T) {
		t.Parallel()
		s := newSite(t)
		s.versioner.Inject(fake.Fault{Method: "POST", PathSuffix: "/deployment-events/", Status: http.StatusFound,
			Header: http.Header{"Location": {"https://" + versionerName + "/moved/deployment-events/"}}})
		r := s.run(use{with: s.with(nil), env: s.env})
		wantCode(t, r, 1)
		wantContains(t, "stdout", r.stdout, "::error title=Versioner::Versioner answered 302 to a POST: a redirect would turn it into a GET, so it was not followed; check api-url")
		wantPaths(t, "Versioner", s.versioner.Requests(), deployEvents)
	})
	t.Run("GitHub", func(t *testing.T) {
		t.Parallel()
		s := newSite(t)
		moved := fake.Fault{Method: "POST", PathSuffix: "/deployments", Status: http.StatusFound,
			Header: http.Header{"Location": {"https://" + githubName + "/api/v3/moved"}}}
		s.github.Inject(moved, moved, moved) // however often the step asks
		r := s.run(use{with: s.with(nil), env: s.env})
		wantCode(t, r, 1)
		wantContains(t, "stdout", r.stdout, "::error title=GitHub deployment::",
			"GitHub answered 302 to a POST: a redirect would turn it into a GET, so it was not followed; check GITHUB_API_URL")
		for _, req := range s.github.Requests() {
			if strings.Contains(req.Path, "/moved") {
				t.Errorf("the redirect was followed: %s %s", req.Method, req.Path)
			}
		}
		if d := s.github.Deployments(); len(d) != 0 {
			t.Errorf("GitHub has deployments %+v, want none", d)
		}
	})
}
