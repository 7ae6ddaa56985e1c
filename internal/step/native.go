package step

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/deploytrack/deploytrack/internal/config"
)

// InputsEnv carries every input of the native variant, native/action.yml:
// a composite action, whose steps the runner gives no INPUT_<NAME>
// variables. Its run step passes them all at once as ${{ toJSON(inputs) }},
// a JSON object of input id to value, and Run reads each as the variable
// the runner would have set for the container action (config.EnvName:
// upper case, spaces to underscores, hyphens kept, so api-key is
// INPUT_API-KEY and the alias api_key INPUT_API_KEY).
//
// One variable with a plain name, rather than an env entry per input
// named INPUT_API-KEY: a hyphen is no shell name, and Git Bash on Windows
// rewrites what looks like a Unix path in the environment it hands a
// Windows program; native/action.yml turns that rewriting off for every
// variable (MSYS2_ENV_CONV_EXCL: "*").
const InputsEnv = "DEPLOYTRACK_INPUTS"

// nativeInputs returns getenv answering the INPUT_<NAME> variables from
// InputsEnv, and whether it does. A step where the runner set any input
// variable is the container action's, and the runner's variables are the
// inputs: InputsEnv is then ignored, wherever it came from.
func nativeInputs(getenv func(string) string) (func(string) string, bool, error) {
	raw := getenv(InputsEnv)
	if strings.TrimSpace(raw) == "" || runnerSetInputs(getenv) {
		return getenv, false, nil
	}
	values, err := parseInputs(raw)
	if err != nil {
		return getenv, false, err
	}
	return func(name string) string {
		if v, ok := values[name]; ok {
			return v
		}
		return getenv(name)
	}, true, nil
}

// runnerSetInputs reports whether any input variable is set. The runner
// sets one for every input a container action declares, several with a
// default (status, timeout, dry-run, ...), so one of them is never empty.
func runnerSetInputs(getenv func(string) string) bool {
	for _, in := range config.Inputs {
		for _, name := range []string{in.Name, in.Alias} {
			if name != "" && getenv(config.EnvName(name)) != "" {
				return true
			}
		}
	}
	return false
}

// parseInputs reads toJSON(inputs) into the variables the runner would
// set. A composite action's inputs are strings; a number, a boolean or
// null (what a hand-written value might hold) is taken as its text, and
// anything else is refused. The errors quote no value: one may be a
// secret.
func parseInputs(raw string) (map[string]string, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s is not the JSON object of inputs native/action.yml passes (${{ toJSON(inputs) }}): %s", InputsEnv, fmt.Sprintf(format, args...))
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, bad("invalid JSON at byte %d", syn.Offset)
		}
		return nil, bad("want an object of input names and values")
	}
	if m == nil {
		return nil, bad("want an object of input names and values, got null")
	}
	if strings.TrimSpace(raw[dec.InputOffset():]) != "" {
		return nil, bad("more follows the object")
	}
	out := make(map[string]string, len(m))
	for name, v := range m {
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case nil:
		case bool, json.Number:
			s = fmt.Sprint(v)
		default:
			return nil, bad("input %s is a JSON %s, not a string", name, kind(v))
		}
		out[config.EnvName(name)] = s
	}
	return out, nil
}

func kind(v any) string {
	if _, ok := v.([]any); ok {
		return "array"
	}
	return "object"
}

// noPostStep is the problem with auto-finish in the native variant: a
// composite action has no post step, so nothing would ever record the
// outcome of what this step starts.
var noPostStep = &config.InputError{
	Input: "auto-finish",
	Problem: "is true, but the native variant (deploytrack/deploytrack/native) is a composite action, which GitHub gives no post step " +
		"to record the job's outcome in: record it in a later step with if: always() and status: ${{ job.status }}, " +
		"or use the container action (deploytrack/deploytrack) on a Linux runner",
}
