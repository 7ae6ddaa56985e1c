package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/deploytrack/deploytrack/internal/fake"
)

// TestSecretsStayMasked runs steps that succeed and fail and checks that
// neither secret appears anywhere but in the ::add-mask:: commands.
func TestSecretsStayMasked(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.versioner.Inject(fake.Fault{PathSuffix: "/deployment-events/", Status: 401, Body: `{"detail":"Invalid authentication credentials ` + testKey + `"}`})
	steps := []use{
		{with: w.with(nil)},
		{with: w.with(map[string]string{"dry-run": "true"})},
		{with: w.with(map[string]string{"status": "nope"})},
		{with: w.with(map[string]string{"api-url": "http://127.0.0.1:1", "timeout": "1"})},
	}
	for i, s := range steps {
		r := w.run(s)
		masks := 0
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(line, "::add-mask::") {
				masks++
				continue
			}
			for _, secret := range []string{testKey, testToken} {
				if strings.Contains(line, secret) {
					t.Errorf("step %d printed a secret: %q", i, line)
				}
			}
		}
		if masks != 2 {
			t.Errorf("step %d: %d ::add-mask:: lines, want 2", i, masks)
		}
		if !strings.HasPrefix(r.stdout, "::add-mask::") {
			t.Errorf("step %d printed before masking:\n%s", i, r.stdout)
		}
		for _, secret := range []string{testKey, testToken} {
			if strings.Contains(r.stderr, secret) || strings.Contains(r.summary, secret) || strings.Contains(strings.Join(values(r.outputs), "\n"), secret) {
				t.Errorf("step %d leaked a secret to stderr, summary or outputs", i)
			}
		}
	}
}

// TestNoTokenAfterCrossHostRedirect: a redirect to another host is not
// followed, so the token never reaches it.
func TestNoTokenAfterCrossHostRedirect(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var got []string
	var mu sync.Mutex
	other := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		rw.WriteHeader(http.StatusOK)
		_, _ = rw.Write([]byte(`[]`))
	}))
	defer other.Close()
	w.github.Inject(fake.Fault{Method: "GET", PathSuffix: "/deployments", Status: 307, Header: http.Header{"Location": {other.URL + "/steal"}}})
	r := w.run(use{with: w.with(nil)})
	wantCode(t, r, 1)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 0 {
		t.Errorf("the other host received %d requests (Authorization %q)", len(got), got)
	}
	wantContains(t, "stdout", r.stdout, "GitHub answered 307")
}
