package e2e

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/deploytrack/deploytrack/internal/fake"
	"github.com/deploytrack/deploytrack/internal/redact/redacttest"
	"github.com/deploytrack/deploytrack/internal/runner"
)

// A key and a token with the characters URLs and JSON escape, as base64
// secrets have them.
const (
	echoKey   = "sk_acme_1+s3cr/t=v4lu3"
	echoToken = "ghs_t0k3n+/v4lu3="
)

// echoWorld is a world whose fakes accept echoKey and echoToken.
func echoWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, versioner: fake.NewVersioner(echoKey), github: fake.NewGitHub(echoToken, "acme", "shop")}
	vs, gs := httptest.NewServer(w.versioner), httptest.NewServer(w.github)
	t.Cleanup(vs.Close)
	t.Cleanup(gs.Close)
	w.vURL, w.ghAPI = vs.URL, gs.URL+w.github.PathPrefix
	w.context = runner.Context(w.ghAPI, headSHA)
	w.context["GITHUB_EVENT_PATH"] = eventFile("push.json")
	w.context["DEPLOYTRACK_RETRY_WAIT"] = "5ms"
	return w
}

// echoes are error answers that echo both secrets back, in the forms
// servers write them.
func echoes() map[string]struct{ versioner, github fake.Fault } {
	var all []string
	for _, f := range redacttest.Of(echoKey, echoToken) {
		all = append(all, f.Text)
	}
	q := url.Values{"api_key": {echoKey}, "token": {echoToken}}.Encode()
	jsonBody := func(field, text string) string {
		b, err := json.Marshal(map[string]string{field: text})
		if err != nil {
			panic(err)
		}
		return string(b)
	}
	return map[string]struct{ versioner, github fake.Fault }{
		"as written": {
			fake.Fault{Status: 401, Body: jsonBody("detail", "Invalid key "+echoKey+" with token "+echoToken)},
			fake.Fault{Status: 401, Body: jsonBody("message", "Bad credentials: "+echoToken+" "+echoKey)},
		},
		"URL-encoded in a query": {
			fake.Fault{Status: 400, Body: jsonBody("detail", "bad request GET /v1/auth?"+q)},
			fake.Fault{Status: 401, Body: jsonBody("message", "Bad credentials for https://api.github.com/?"+q)},
		},
		"JSON-escaped, as a body echoed raw": {
			// A detail that is not a string is shown as the server wrote it.
			fake.Fault{Status: 403, Body: `{"detail":{"api_key":"sk_acme_1\u002bs3cr\/t\u003Dv4lu3","token":"ghs_t0k3n\u002B\u002fv4lu3\u003d"}}`},
			fake.Fault{Status: 401, Body: jsonBody("message", `Bad credentials {"token":"ghs_t0k3n\u002b\/v4lu3\u003d","key":"sk_acme_1\u002Bs3cr\/t\u003dv4lu3"}`)},
		},
		"an HTML page": {
			fake.Fault{Status: 400, Body: "<html><body>Bad key sk_acme_1&#43;s3cr&#x2F;t&#61;v4lu3, ghs_t0k3n&#x2b;&#47;v4lu3&#x3D;</body></html>", Header: map[string][]string{"Content-Type": {"text/html"}}},
			fake.Fault{Status: 401, Body: jsonBody("message", "Bad credentials: <p>ghs_t0k3n&#43;&#x2F;v4lu3&#61; sk_acme_1&#x2b;s3cr&#47;t&#x3d;v4lu3</p>")},
		},
		"every form at once": {
			fake.Fault{Status: 422, Body: jsonBody("detail", "echo "+strings.Join(all, " | "))},
			fake.Fault{Status: 401, Body: jsonBody("message", "echo "+strings.Join(all, " | "))},
		},
	}
}

// TestEchoedSecretsOverTheBinary: Versioner and GitHub answer errors that
// echo the api-key and the token back, in each form servers write them;
// the step's log (but for ::add-mask::), its annotations, outputs
// (results too, with the products input), summary, GITHUB_ENV and
// GITHUB_STATE hold none of their forms, whether it fails or warns. The
// environment-url carries the key, URL-encoded, as far as GITHUB_STATE.
func TestEchoedSecretsOverTheBinary(t *testing.T) {
	t.Parallel()
	forms := redacttest.Of(echoKey, echoToken)
	for name, echo := range echoes() {
		for _, fail := range []string{"true", "false"} {
			for _, products := range []string{"", "shop-api@1.2.3\nworker@2.0.1\n"} {
				t.Run(fmt.Sprintf("%s, fail-on-api-error %s, %d products", name, fail, strings.Count(products, "@")), func(t *testing.T) {
					t.Parallel()
					w := echoWorld(t)
					for range 4 {
						v, g := echo.versioner, echo.github
						v.PathSuffix, g.PathSuffix = "/deployment-events/", "/deployments"
						w.versioner.Inject(v)
						w.github.Inject(g)
					}
					with := w.with(map[string]string{
						"api-key": echoKey, "github-token": echoToken, "fail-on-api-error": fail,
						"status": "started", "auto-finish": "true",
						"environment-url": "https://shop.example.com/?key=" + url.QueryEscape(echoKey),
					})
					if products != "" {
						with["product"], with["products"] = "", products
					}
					j := w.job(nil)
					r := jobRun(t, j, with)
					if wantCode := map[string]int{"true": 1, "false": 0}[fail]; r.Code != wantCode {
						t.Errorf("exit code %d, want %d\n%s", r.Code, wantCode, r.Stdout)
					}
					if !strings.Contains(r.Stdout, "::warning::") && !strings.Contains(r.Stdout, "::error ") {
						t.Errorf("the step reported no API error:\n%s", r.Stdout)
					}
					noForms(t, "main step", r, forms)
					if fail == "false" && r.State["deploytrack"] == "" {
						t.Errorf("the main step saved no state for its post step")
					}
					for _, post := range jobPost(t, j) {
						noForms(t, "post step", post, forms)
					}
				})
			}
		}
	}
}

// noForms fails the test on each form of a secret a step left behind.
func noForms(t *testing.T, step string, r runner.Result, forms []redacttest.Form) {
	t.Helper()
	for _, p := range runner.CheckLog(r.Stdout, redacttest.Texts(forms), "add-mask", "warning", "error", "debug", "group", "endgroup") {
		t.Errorf("%s: %s", step, p)
	}
	for _, line := range strings.Split(r.Stdout, "\n") {
		if strings.HasPrefix(line, "::add-mask::") {
			continue
		}
		for _, shown := range redacttest.Shown(line) {
			for _, p := range redacttest.Shows(shown, forms) {
				t.Errorf("%s: the log line %q shows %s", step, line, p)
			}
		}
	}
	files := map[string]map[string]string{"output": r.Outputs, "GITHUB_ENV": r.Env, "GITHUB_STATE": r.State}
	for file, vars := range files {
		for name, v := range vars {
			for _, p := range redacttest.Shows(name+"="+v, forms) {
				t.Errorf("%s: %s %s shows %s", step, file, name, p)
			}
		}
	}
	if res := r.Outputs["results"]; res != "" {
		var results map[string]map[string]any
		if err := json.Unmarshal([]byte(res), &results); err != nil {
			t.Errorf("%s: results is not JSON: %v\n%s", step, err, res)
		}
		for product, fields := range results {
			for k, v := range fields {
				for _, p := range redacttest.Shows(fmt.Sprint(v), forms) {
					t.Errorf("%s: results, decoded, %s.%s shows %s", step, product, k, p)
				}
			}
		}
	}
	for _, p := range redacttest.Shows(r.Summary+"\n"+r.Stderr, forms) {
		t.Errorf("%s: the summary or stderr shows %s", step, p)
	}
}
