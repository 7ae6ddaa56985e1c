package e2e

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"unicode/utf8"

	"github.com/deploytrack/deploytrack/internal/fake"
)

// FuzzRun runs the whole action in process with untrusted inputs, as a
// dry run and against the fakes: it never panics, exits 0 or 1, and
// leaves nothing checkStep forbids.
func FuzzRun(f *testing.F) {
	for i, s := range hostile(f) {
		meta, _ := json.Marshal(map[string]string{s: s})
		f.Add(s, s, "production", "completed", string(meta), s, i%2 == 0)
		f.Add("shop-api", "1.2.3", s, s, s, "", i%2 == 1)
	}
	vs, gh := fake.NewVersioner(testKey), fake.NewGitHub(testToken, "acme", "shop")
	vsrv, gsrv := httptest.NewServer(vs), httptest.NewServer(gh)
	f.Cleanup(vsrv.Close)
	f.Cleanup(gsrv.Close)
	f.Fuzz(func(t *testing.T, product, version, environment, status, metadata, description string, dry bool) {
		s := newInProcess(t, vsrv.URL, gsrv.URL+"/api/v3", map[string]string{
			"product": product, "version": version, "environment": environment, "status": status,
			"metadata": metadata, "description": description, "dry-run": map[bool]string{true: "true", false: "false"}[dry],
		})
		code, stdout, outputs, summary := s.run(t)
		if code != 0 && code != 1 {
			t.Fatalf("exit code %d", code)
		}
		checkStep(t, stdout, summary, testKey, testToken)
		if code == 0 && outputs["status"] == "" {
			t.Errorf("a step that succeeded left no status output: %v", outputs)
		}
		if utf8.ValidString(product+version+environment+status+description) && !utf8.ValidString(summary) {
			t.Errorf("valid inputs made a summary that is not valid UTF-8")
		}
	})
}
