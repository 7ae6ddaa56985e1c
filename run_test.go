package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/runner"
)

// TestRunInProcess calls run directly, as main does, so that the race
// detector (go test -race) sees both sinks' goroutines, logging retries
// at the same time: with a deployment of ours, and with the job's own.
func TestRunInProcess(t *testing.T) {
	t.Parallel()
	for mode, want := range map[string]string{"true": "GitHub: deployment 2, status in_progress", "auto": "GitHub: the job's own deployment 1, status in_progress"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			vs, gh := fake.NewVersioner(testKey), fake.NewGitHub(testToken, "acme", "shop")
			gh.AddJobDeployment(fake.JobDeployment{RunID: "1", JobID: "2", SHA: headSHA})
			vs.Inject(fake.Fault{PathSuffix: "/deployment-events/", Status: 503, Header: http.Header{"Retry-After": {"0"}}})
			gh.Inject(fake.Fault{Method: "GET", PathSuffix: "/deployments", Status: 502})
			vsrv, gsrv := httptest.NewServer(vs), httptest.NewServer(gh)
			defer vsrv.Close()
			defer gsrv.Close()

			env := map[string]string{
				"GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ID": "1", "GITHUB_SHA": headSHA, "GITHUB_SERVER_URL": "https://github.com",
				"GITHUB_API_URL": gsrv.URL + "/api/v3", "RUNNER_DEBUG": "1", retryWaitEnv: "1ms",
			}
			for k, v := range map[string]string{
				"api-key": testKey, "api-url": vsrv.URL, "version": "1", "environment": "production",
				"status": "started", "github-token": testToken, "github-deployment": mode, "dry-run": "false", "timeout": "30",
			} {
				env[config.EnvName(k)] = v
			}
			var out bytes.Buffer
			code := run(context.Background(), nil, func(k string) string { return env[k] }, &out, time.Now)
			if code != 0 {
				t.Fatalf("run() = %d\n%s", code, out.String())
			}
			for _, want := range []string{"::debug::Versioner: answered 503", "::debug::GitHub: answered 502", want} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("log lacks %q:\n%s", want, out.String())
				}
			}
			if strings.Contains(strings.ReplaceAll(out.String(), "::add-mask::"+testKey, ""), testKey) {
				t.Errorf("the key was printed:\n%s", out.String())
			}
		})
	}
}

func TestRunRejectsArguments(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if code := run(context.Background(), []string{"deploy"}, func(string) string { return "" }, &out, time.Now); code != 2 || !strings.Contains(out.String(), "::error::unexpected argument") {
		t.Errorf("run(deploy) = %d, %q", code, out.String())
	}
}

// Several products recorded in-process, so that go test -race sees the
// pool's goroutines (TestRunInProcess records one product only).
func TestRunInProcessProducts(t *testing.T) {
	t.Parallel()
	vs, gh := fake.NewVersioner(testKey), fake.NewGitHub(testToken, "acme", "shop")
	vs.Inject(fake.Fault{PathSuffix: "/deployment-events/", Status: 503, Header: http.Header{"Retry-After": {"0"}}})
	gh.Inject(fake.Fault{Method: "GET", PathSuffix: "/deployments", Status: 502})
	vsrv, gsrv := httptest.NewServer(vs), httptest.NewServer(gh)
	defer vsrv.Close()
	defer gsrv.Close()
	env := map[string]string{
		"GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ID": "1", "GITHUB_SHA": headSHA,
		"GITHUB_API_URL": gsrv.URL + "/api/v3", "RUNNER_DEBUG": "1", retryWaitEnv: "1ms",
	}
	for k, v := range map[string]string{
		"api-key": testKey, "api-url": vsrv.URL, "version": "1", "environment": "production",
		"status": "started", "github-token": testToken, "github-deployment": "true", "dry-run": "false", "timeout": "30",
		"products": "a@1\nb@2\nc@3\nd@4\n", "metadata": `{"team":"x"}`,
	} {
		env[config.EnvName(k)] = v
	}
	var out bytes.Buffer
	if code := run(context.Background(), nil, func(k string) string { return env[k] }, &out, time.Now); code != 0 {
		t.Fatalf("run() = %d\n%s", code, out.String())
	}
}

// BenchmarkRun is one completed deployment, the first of its run, recorded
// by run() in process against the fakes, with the environment the runner
// gives the step (every input of action.yml, a push's payload) and the
// action's real retry policy: as it is, with a 100 KB metadata input, and
// with 500 rules_evaluated in Versioner's answer. Each iteration deploys a
// commit of its own, so that it lists, creates and posts a status. The
// fakes answer in this process, so their work is in the figures too.
// `go test -bench Run -cpuprofile` shows where the time goes.
func BenchmarkRun(b *testing.B) {
	for _, bc := range []struct {
		name     string
		metadata string
		rules    int
	}{
		{"typical", "", 0},
		{"metadata=100KB", fake.Metadata(100 << 10), 0},
		{"rules=500", "", 500},
	} {
		b.Run(bc.name, func(b *testing.B) {
			vs, gh := fake.NewVersioner(testKey), fake.NewGitHub(testToken, "acme", "shop")
			vs.PassingRules(bc.rules)
			vsrv, gsrv := httptest.NewServer(vs), httptest.NewServer(gh)
			defer vsrv.Close()
			defer gsrv.Close()
			ctx := runner.Context(gsrv.URL+gh.PathPrefix, headSHA)
			ctx["GITHUB_EVENT_PATH"] = eventFile("push.json")
			environ, _, err := runner.Step{
				Metadata: readAction(b), Token: testToken, Dir: b.TempDir(), Env: ctx,
				With: map[string]string{"api-key": testKey, "api-url": vsrv.URL, "version": "1.2.3", "environment": "production", "metadata": bc.metadata},
			}.Environ()
			if err != nil {
				b.Fatal(err)
			}
			env := map[string]string{}
			for _, kv := range environ {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				env["GITHUB_SHA"] = fmt.Sprintf("%040x", i+1)
				if code := run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard, time.Now); code != 0 {
					b.Fatalf("run() = %d", code)
				}
			}
		})
	}
}
