package step

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/config"
)

const secretKey = "sk_native_s3cr3t"

// lookup is a process environment.
func lookup(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// inputsJSON is what native/action.yml's run step passes: toJSON(inputs),
// which the runner indents.
func inputsJSON(t *testing.T, inputs map[string]string) string {
	t.Helper()
	b, err := json.MarshalIndent(inputs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNativeInputsNameEveryInputAsTheRunner hands each input of the table,
// and each alias, through DEPLOYTRACK_INPUTS and reads it back under the
// variable the runner would set for the container action.
func TestNativeInputsNameEveryInputAsTheRunner(t *testing.T) {
	t.Parallel()
	inputs := map[string]string{}
	for _, in := range config.Inputs {
		inputs[in.Name] = "value of " + in.Name
		if in.Alias != "" {
			inputs[in.Alias] = "value of " + in.Alias
		}
	}
	getenv, native, err := nativeInputs(lookup(map[string]string{InputsEnv: inputsJSON(t, inputs)}))
	if err != nil || !native {
		t.Fatalf("nativeInputs = native %v, error %v", native, err)
	}
	for name, want := range inputs {
		if got := getenv(config.EnvName(name)); got != want {
			t.Errorf("%s: got %q, want %q", config.EnvName(name), got, want)
		}
	}
	// The names as the runner spells them, not as a shell would like them.
	for name, want := range map[string]string{
		"INPUT_API-KEY":           "value of api-key",
		"INPUT_API_KEY":           "value of api_key",
		"INPUT_FAIL-ON-API-ERROR": "value of fail-on-api-error",
		"INPUT_PRODUCT_NAME":      "value of product_name",
	} {
		if got := getenv(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
}

// TestNativeInputsLoadAsTheRunnersVariables loads the same step's inputs
// twice, once as the runner hands them to the container action and once
// through DEPLOYTRACK_INPUTS, and wants the same Config.
func TestNativeInputsLoadAsTheRunnersVariables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inputs map[string]string // what toJSON(inputs) holds: the with: values and the defaults
	}{
		{"a deployment, every default", map[string]string{
			"api-key": secretKey, "version": "1.2.3", "environment": "production", "status": "completed",
			"github-token": "ghs_x", "github-deployment": "auto", "dry-run": "false", "timeout": "60",
			"auto-finish": "false", "job-status": "success",
		}},
		{"a build through the deprecated aliases", map[string]string{
			"api_key": secretKey, "api_url": "https://versioner.example.com/v1", "product_name": "shop",
			"event_type": "build", "fail_on_api_error": "false", "version": "2.0.0", "status": "completed",
			"github-deployment": "auto", "dry-run": "false", "timeout": "60", "auto-finish": "false",
		}},
		{"multi-line inputs keep their lines", map[string]string{
			"api-key": secretKey, "version": "1", "environment": "staging", "status": "started",
			"metadata": "{\n  \"pr\": 7\n}\n", "description": "line one\nline two",
			"products":          "- product: api\n  version: 1\n- product: web\n  version: 2\n",
			"github-deployment": "false", "dry-run": "false", "timeout": "90", "auto-finish": "false",
		}},
		{"inputs left empty", map[string]string{
			"api-key": "", "version": "", "environment": "", "status": "", "timeout": "60", "dry-run": "false",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runner := map[string]string{}
			for name, v := range tt.inputs {
				runner[config.EnvName(name)] = v
			}
			viaRunner, errRunner := config.Load(lookup(runner))

			getenv, native, err := nativeInputs(lookup(map[string]string{InputsEnv: inputsJSON(t, tt.inputs)}))
			if err != nil || !native {
				t.Fatalf("nativeInputs = native %v, error %v", native, err)
			}
			viaJSON, errJSON := config.Load(getenv)
			if diff := cmp.Diff(viaRunner, viaJSON); diff != "" {
				t.Errorf("Config from the runner's variables (-) and from %s (+) differ:\n%s", InputsEnv, diff)
			}
			if (errRunner == nil) != (errJSON == nil) || (errRunner != nil && errRunner.Error() != errJSON.Error()) {
				t.Errorf("errors differ:\nrunner's variables: %v\n%s: %v", errRunner, InputsEnv, errJSON)
			}
		})
	}
}

func TestNativeInputsValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		want map[string]string
	}{
		{"strings as they are", `{"version": " 1.2.3 ", "description": "a\r\nb"}`,
			map[string]string{"INPUT_VERSION": " 1.2.3 ", "INPUT_DESCRIPTION": "a\r\nb"}},
		{"null is empty", `{"environment": null}`, map[string]string{"INPUT_ENVIRONMENT": ""}},
		{"a boolean or a number as its text", `{"dry-run": true, "timeout": 90, "fail-on-api-error": false}`,
			map[string]string{"INPUT_DRY-RUN": "true", "INPUT_TIMEOUT": "90", "INPUT_FAIL-ON-API-ERROR": "false"}},
		{"a name with spaces as the runner names it", `{"odd name": "x"}`, map[string]string{"INPUT_ODD_NAME": "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseInputs(tt.json)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseInputs(%s) (-want +got):\n%s", tt.json, diff)
			}
		})
	}
}

// TestNativeInputsRefuseWhatIsNoObject: a broken DEPLOYTRACK_INPUTS is an
// error that says what is wrong without quoting a value, which may be the
// key.
func TestNativeInputsRefuseWhatIsNoObject(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, json, want string }{
		{"not JSON", `api-key=` + secretKey, "invalid JSON at byte 1"},
		{"cut short", `{"api-key": "` + secretKey, "want an object"},
		{"an array", `["` + secretKey + `"]`, "want an object"},
		{"a string", `"` + secretKey + `"`, "want an object"},
		{"null", `null`, "got null"},
		{"a nested object", `{"metadata": {"key": "` + secretKey + `"}}`, "input metadata is a JSON object, not a string"},
		{"an array value", `{"products": ["` + secretKey + `"]}`, "input products is a JSON array, not a string"},
		{"more after the object", `{"api-key": "` + secretKey + `"} {"x": 1}`, "more follows the object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, native, err := nativeInputs(lookup(map[string]string{InputsEnv: tt.json}))
			if err == nil || native {
				t.Fatalf("nativeInputs(%s) = native %v, error %v; want an error", tt.json, native, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), InputsEnv) {
				t.Errorf("error %q does not say %q and name %s", err, tt.want, InputsEnv)
			}
			if strings.Contains(err.Error(), secretKey) {
				t.Errorf("error %q quotes the key", err)
			}
		})
	}
}

// TestNativeInputsYieldToTheRunner: where the runner has set input
// variables, the step is the container action's; DEPLOYTRACK_INPUTS
// (from a job's env, say) changes nothing.
func TestNativeInputsYieldToTheRunner(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"status", "api_key", "dry-run"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{
				InputsEnv:               `{"version": "from json", "api-key": "json-key"}`,
				config.EnvName(name):    "set by the runner",
				"INPUT_VERSION":         "",
				"GITHUB_REPOSITORY":     "acme/shop",
				config.EnvName("other"): "",
			}
			getenv, native, err := nativeInputs(lookup(env))
			if err != nil || native {
				t.Fatalf("nativeInputs = native %v, error %v; want the runner's variables", native, err)
			}
			if got := getenv("INPUT_VERSION"); got != "" {
				t.Errorf("INPUT_VERSION = %q, want the runner's (empty)", got)
			}
		})
	}
	t.Run("no variable at all", func(t *testing.T) {
		t.Parallel()
		getenv, native, err := nativeInputs(lookup(map[string]string{"GITHUB_REPOSITORY": "acme/shop"}))
		if err != nil || native || getenv("GITHUB_REPOSITORY") != "acme/shop" {
			t.Errorf("nativeInputs = native %v, error %v", native, err)
		}
	})
	t.Run("the rest of the environment shows through", func(t *testing.T) {
		t.Parallel()
		getenv, native, _ := nativeInputs(lookup(map[string]string{InputsEnv: `{"version": "1"}`, "GITHUB_SHA": "abc"}))
		if !native || getenv("GITHUB_SHA") != "abc" || getenv("INPUT_VERSION") != "1" {
			t.Errorf("native %v, GITHUB_SHA %q, INPUT_VERSION %q", native, getenv("GITHUB_SHA"), getenv("INPUT_VERSION"))
		}
	})
}

// runNative runs the step as the native variant starts it: no INPUT_
// variables, the inputs in DEPLOYTRACK_INPUTS.
func runNative(t *testing.T, inputs map[string]string) (int, string) {
	t.Helper()
	env := map[string]string{
		InputsEnv:           inputsJSON(t, inputs),
		"GITHUB_REPOSITORY": "acme/shop", "GITHUB_SHA": strings.Repeat("1", 40),
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "1",
	}
	var out bytes.Buffer
	code := Run(context.Background(), nil, lookup(env), &out, time.Now)
	return code, out.String()
}

var dryRunInputs = map[string]string{
	"api-key": secretKey, "version": "1.2.3", "environment": "production", "status": "started",
	"github-deployment": "false", "dry-run": "true", "timeout": "60", "auto-finish": "false",
}

func TestRunNativeMasksTheKeyItWasHanded(t *testing.T) {
	t.Parallel()
	code, out := runNative(t, dryRunInputs)
	if code != ExitOK {
		t.Fatalf("Run = %d\n%s", code, out)
	}
	if !strings.HasPrefix(out, "::add-mask::"+secretKey+"\n") {
		t.Errorf("the first line does not mask the key:\n%s", out)
	}
	if !strings.Contains(out, "dry run: Versioner request (not sent)") {
		t.Errorf("no dry run in the log:\n%s", out)
	}
}

// TestRunNativeRefusesAutoFinish: the composite action has no post step,
// so a start it could never finish is refused, and nothing is sent.
func TestRunNativeRefusesAutoFinish(t *testing.T) {
	t.Parallel()
	in := maps.Clone(dryRunInputs)
	in["auto-finish"], in["dry-run"] = "true", "false"
	in["api-url"] = "http://127.0.0.1:1" // nothing listens: a request would fail differently
	code, out := runNative(t, in)
	if code != ExitFailed {
		t.Fatalf("Run = %d, want %d\n%s", code, ExitFailed, out)
	}
	for _, want := range []string{"::error title=Invalid input%3A auto-finish::input auto-finish is true", "if: always()", "nothing was sent"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestRunNativeReportsABrokenHandOver(t *testing.T) {
	t.Parallel()
	env := map[string]string{InputsEnv: `{"api-key": "` + secretKey + `", "version": ["1"]}`}
	var out bytes.Buffer
	code := Run(context.Background(), nil, lookup(env), &out, time.Now)
	if code != ExitFailed {
		t.Fatalf("Run = %d, want %d\n%s", code, ExitFailed, out.String())
	}
	if want := "::error::" + InputsEnv + " is not the JSON object"; !strings.Contains(out.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, out.String())
	}
}
