package e2e

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
	"github.com/deploytrack/deploytrack/internal/step"
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
				"GITHUB_API_URL": gsrv.URL + "/api/v3", "RUNNER_DEBUG": "1", step.RetryWaitEnv: "1ms",
			}
			for k, v := range map[string]string{
				"api-key": testKey, "api-url": vsrv.URL, "version": "1", "environment": "production",
				"status": "started", "github-token": testToken, "github-deployment": mode, "dry-run": "false", "timeout": "30",
			} {
				env[config.EnvName(k)] = v
			}
			var out bytes.Buffer
			code := step.Run(context.Background(), nil, func(k string) string { return env[k] }, &out, time.Now)
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
	if code := step.Run(context.Background(), []string{"deploy"}, func(string) string { return "" }, &out, time.Now); code != 2 || !strings.Contains(out.String(), "::error::unexpected argument") {
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
		"GITHUB_API_URL": gsrv.URL + "/api/v3", "RUNNER_DEBUG": "1", step.RetryWaitEnv: "1ms",
	}
	for k, v := range map[string]string{
		"api-key": testKey, "api-url": vsrv.URL, "version": "1", "environment": "production",
		"status": "started", "github-token": testToken, "github-deployment": "true", "dry-run": "false", "timeout": "30",
		"products": "a@1\nb@2\nc@3\nd@4\n", "metadata": `{"team":"x"}`,
	} {
		env[config.EnvName(k)] = v
	}
	var out bytes.Buffer
	if code := step.Run(context.Background(), nil, func(k string) string { return env[k] }, &out, time.Now); code != 0 {
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
			env, err := runner.Step{
				Metadata: readAction(b), Token: testToken, Dir: b.TempDir(), Env: ctx,
				With: map[string]string{"api-key": testKey, "api-url": vsrv.URL, "version": "1.2.3", "environment": "production", "metadata": bc.metadata},
			}.EnvMap()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				env["GITHUB_SHA"] = fmt.Sprintf("%040x", i+1)
				if code := step.Run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard, time.Now); code != 0 {
					b.Fatalf("run() = %d", code)
				}
			}
		})
	}
}

// TestHostileInputs runs the action in process with inputs no workflow
// should send, some of which the binary could not even receive (the
// kernel refuses an environment string with a NUL byte): each is recorded
// as given or refused with an error naming the input, and none breaks the
// log, the outputs or the summary. No value is longer than the runner can
// pass (config.RunnerMaxInputBytes, the variable's name included): a
// longer one fails before the step starts, with the runner's own error.
func TestHostileInputs(t *testing.T) {
	t.Parallel()
	// longest is the longest value of input the runner can pass, in é.
	longest := func(input string) string {
		return strings.Repeat("é", (config.RunnerMaxInputBytes-len(config.EnvName(input)+"=")-1)/len("é"))
	}
	tests := []struct {
		name   string
		inputs map[string]string
		code   int
		// product is what Versioner must have recorded as product_name;
		// "" when nothing may reach either API.
		product string
		stdout  []string // in the log
		summary []string // in the summary
	}{
		{name: "percent signs", inputs: map[string]string{"product": "100% %25 %0A", "description": "50% done"},
			product: "100% %25 %0A", summary: []string{"Completed: 100% %25 %0A 1.2.3 → production"}},
		{name: "a carriage return in a single-line input is refused", inputs: map[string]string{"version": "1.2.3\r::error::forged"},
			code: 1, stdout: []string{"::error title=Invalid input%3A version::input version must be a single line, but holds a line break"}},
		{name: "line breaks in the description are folded", inputs: map[string]string{"description": "one\r\ntwo\rthree\n::error::forged"},
			product: "shop", summary: []string{"one two three ::error::forged\n", "\ndeployment 1\n"}},
		{name: "workflow commands in every input", inputs: map[string]string{
			"product": "::error::forged", "environment": "##[set-output name=deployment-id]forged", "deployed-by": "::stop-commands::tok",
			"scm-branch": "  ::warning::x", "description": "##[error]forged", "build-url": "https://x/##[error]forged"},
			product: "::error::forged", summary: []string{"Completed: ::error::forged 1.2.3 → ##[set-output name=deployment-id]forged · by ::stop-commands::tok"}},
		{name: "workflow commands in every input of a dry run, which prints them", inputs: map[string]string{"dry-run": "true",
			"product": "::error::forged", "environment": "##[set-output name=deployment-id]forged", "deployed-by": "::stop-commands::tok",
			"description": "##[error]forged", "metadata": `{"::warning::x": ["##[add-mask]y", "\n::error::z"]}`},
			stdout: []string{`"product_name": "::error::forged"`, `"environment_name": "##\[set-output name=deployment-id]forged"`}},
		{name: "unicode", inputs: map[string]string{"product": "部署 🚀", "environment": "prödüction", "version": "v1.0.0-βeta+ü"},
			product: "部署 🚀", summary: []string{"部署 🚀 v1.0.0-βeta+ü → prödüction"}},
		{name: "NUL bytes", inputs: map[string]string{"product": "a\x00b", "version": "1\x00"},
			product: "a\x00b"},
		{name: "the longest values the runner can pass", inputs: map[string]string{"product": longest("product"), "version": longest("version"), "description": longest("description")},
			product: longest("product"), summary: []string{"Completed: " + longest("product") + " " + longest("version") + " → production"}},
		{name: "metadata over the limit is refused, naming the input", inputs: map[string]string{"metadata": `{"blob":"` + strings.Repeat("x", config.MaxMetadataBytes) + `"}`},
			code: 1, stdout: []string{"::error title=Invalid input%3A metadata::input metadata is 122891 bytes; the limit is 122880 (120 KiB)"}},
		{name: "metadata just under the limit is sent", inputs: map[string]string{"metadata": `{"blob":"` + strings.Repeat("x", config.MaxMetadataBytes-12) + `"}`},
			product: "shop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vs, gh := fake.NewVersioner(testKey), fake.NewGitHub(testToken, "acme", "shop")
			vsrv, gsrv := httptest.NewServer(vs), httptest.NewServer(gh)
			t.Cleanup(vsrv.Close)
			t.Cleanup(gsrv.Close)
			code, stdout, outputs, summary := newInProcess(t, vsrv.URL, gsrv.URL+"/api/v3", tt.inputs).run(t)
			if code != tt.code {
				t.Fatalf("exit code %d, want %d\n%s", code, tt.code, stdout)
			}
			checkStep(t, stdout, summary, testKey, testToken)
			wantContains(t, "stdout", stdout, tt.stdout...)
			wantSummary(t, summary, tt.summary...)

			events, deps := vs.Events(), gh.Deployments()
			if tt.product == "" {
				if len(vs.Requests())+len(gh.Requests()) != 0 {
					t.Errorf("an invalid input reached the APIs: %d requests to Versioner, %d to GitHub", len(vs.Requests()), len(gh.Requests()))
				}
				return
			}
			if len(events) != 1 || events[0].Body["product_name"] != tt.product {
				t.Fatalf("Versioner recorded %d events, want one with the product as given", len(events))
			}
			if len(deps) != 1 || len(deps[0].Statuses) != 1 || len([]rune(deps[0].Statuses[0].Description)) > 140 {
				t.Errorf("GitHub deployments = %d, want one with one status of at most 140 characters", len(deps))
			}
			if outputs["deployment-id"] == "" || outputs["github-deployment-id"] != "1" || outputs["status"] != "completed" {
				t.Errorf("outputs = %v", outputs)
			}
		})
	}
}

// TestPlainHTTPWarning: an http:// api-url sends the api-key in clear
// text, which is worth a warning unless it stays on the machine.
func TestPlainHTTPWarning(t *testing.T) {
	t.Parallel()
	const warning = "is plain http: the api-key crosses the network in clear text; use https"
	tests := []struct {
		apiURL string
		warn   bool
	}{
		{"http://api.versioner.example", true},
		{"http://10.0.0.5:8080/versioner/", true},
		{"http://localhost.evil.example", true},
		{"http://127.0.0.1.nip.io", true},
		{"https://api.versioner.example", false},
		{"http://localhost:8080", false},
		{"http://LocalHost:8080", false},
		{"http://127.0.0.1:9", false},
		{"http://127.1.2.3", false},
		{"http://[::1]:8080/versioner", false},
	}
	for _, tt := range tests {
		t.Run(tt.apiURL, func(t *testing.T) {
			t.Parallel()
			// A dry run: the warning comes before anything is sent.
			code, stdout, _, summary := newInProcess(t, tt.apiURL, "https://api.github.com", map[string]string{"dry-run": "true"}).run(t)
			if code != 0 {
				t.Fatalf("exit code %d\n%s", code, stdout)
			}
			checkStep(t, stdout, summary, testKey, testToken)
			if got := strings.Contains(stdout, warning); got != tt.warn {
				t.Errorf("warned: %v, want %v\n%s", got, tt.warn, stdout)
			}
			if tt.warn {
				wantContains(t, "stdout", stdout, "::warning::api-url "+tt.apiURL+" "+warning)
				wantSummary(t, summary, "plain http")
			}
		})
	}
}
