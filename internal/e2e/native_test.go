package e2e

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/deploytrack/deploytrack/internal/step"
)

// The native variant, native/action.yml: a composite action with the
// container action's inputs and outputs, running the same binary. This
// file keeps the two action.yml files in step; native_run_test.go runs
// native/action.yml's steps as the runner does.

// actionInput is one input as either action.yml declares it.
type actionInput struct {
	Description        string  `yaml:"description"`
	Required           *bool   `yaml:"required"`
	Default            *string `yaml:"default"`
	DeprecationMessage string  `yaml:"deprecationMessage"`
}

// compositeStep is one step of a composite action.
type compositeStep struct {
	Name  string            `yaml:"name"`
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
	Run   string            `yaml:"run"`
}

// actionFile is what the checks read of an action.yml.
type actionFile struct {
	Inputs  map[string]actionInput `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string          `yaml:"using"`
		Steps []compositeStep `yaml:"steps"`
	} `yaml:"runs"`
}

func readActionFile(t *testing.T, name string) *actionFile {
	t.Helper()
	var a actionFile
	readYAML(t, name, &a)
	return &a
}

// The lines of native/action.yml that a release pins (tools/pin.sh).
const (
	pinVersion = "DEPLOYTRACK_VERSION"
	pinURL     = "DEPLOYTRACK_RELEASE_URL"
)

// sumKey is the variable that carries t's SHA-256.
func (t target) sumKey() string {
	return "DEPLOYTRACK_SHA256_" + strings.ToUpper(t.goos+"_"+t.goarch)
}

var (
	releaseVersionRE = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	sha256RE         = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// The native run step, as the binary expects it.
var runStepEnv = map[string]string{
	step.InputsEnv:        "${{ toJSON(inputs) }}",
	"DEPLOYTRACK_BIN":     "${{ steps.install.outputs.path }}",
	"MSYS2_ENV_CONV_EXCL": "*",
}

const (
	installRun = `bash "$GITHUB_ACTION_PATH/install.sh"`
	runRun     = `exec "$DEPLOYTRACK_BIN"`
)

// nativeProblems returns every way native/action.yml is out of step with
// action.yml or with itself.
func nativeProblems(container, native *actionFile) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	str := func(p *string) string {
		if p == nil {
			return "(none)"
		}
		return fmt.Sprintf("%q", *p)
	}
	for _, name := range slices.Sorted(maps.Keys(container.Inputs)) {
		c := container.Inputs[name]
		n, ok := native.Inputs[name]
		if !ok {
			add("input %s: in action.yml, not in native/action.yml", name)
			continue
		}
		if str(c.Default) != str(n.Default) {
			add("input %s: default %s in action.yml, %s in native/action.yml", name, str(c.Default), str(n.Default))
		}
		if (c.Required != nil && *c.Required) != (n.Required != nil && *n.Required) {
			add("input %s: required differs", name)
		}
		if c.DeprecationMessage != n.DeprecationMessage {
			add("input %s: deprecationMessage differs", name)
		}
	}
	for name := range native.Inputs {
		if _, ok := container.Inputs[name]; !ok {
			add("input %s: in native/action.yml, not in action.yml", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(container.Outputs)) {
		n, ok := native.Outputs[name]
		if !ok {
			add("output %s: in action.yml, not in native/action.yml", name)
			continue
		}
		if want := "${{ steps.run.outputs." + name + " }}"; n.Value != want {
			add("output %s: value %q, want %q", name, n.Value, want)
		}
	}
	for name := range native.Outputs {
		if _, ok := container.Outputs[name]; !ok {
			add("output %s: in native/action.yml, not in action.yml", name)
		}
	}

	if native.Runs.Using != "composite" {
		add("runs.using is %q, want composite", native.Runs.Using)
	}
	var ids []string
	for _, s := range native.Runs.Steps {
		ids = append(ids, s.ID)
		if s.Shell != "bash" || s.Uses != "" || s.If != "" {
			add("step %s: want a run step with shell: bash (on every runner: Git Bash on Windows), unconditional", s.ID)
		}
	}
	if !slices.Equal(ids, []string{"install", "run"}) {
		add("steps %q, want install then run", ids)
		return problems
	}
	install, run := native.Runs.Steps[0], native.Runs.Steps[1]
	if install.Run != installRun {
		add("step install runs %q, want %q", install.Run, installRun)
	}
	if run.Run != runRun {
		add("step run runs %q, want %q", run.Run, runRun)
	}
	if !maps.Equal(run.Env, runStepEnv) {
		add("step run: env %v, want %v", run.Env, runStepEnv)
	}
	return append(problems, pinProblems(install.Env)...)
}

// pinProblems checks the install step's pins: every one present, and
// either all empty (any ref but a release commit) or all set.
func pinProblems(env map[string]string) []string {
	var problems []string
	keys := []string{pinVersion, pinURL}
	for _, tg := range nativeTargets {
		keys = append(keys, tg.sumKey())
	}
	if got := slices.Sorted(maps.Keys(env)); !slices.Equal(got, slices.Sorted(slices.Values(keys))) {
		problems = append(problems, fmt.Sprintf("step install: env %q, want exactly %q", got, keys))
	}
	set := 0
	for _, k := range keys {
		if env[k] != "" {
			set++
		}
	}
	switch {
	case set == 0:
	case set < len(keys):
		problems = append(problems, fmt.Sprintf("step install: %d of the %d pins are set: a release sets every one (tools/pin.sh), any other ref none", set, len(keys)))
	default:
		if !releaseVersionRE.MatchString(env[pinVersion]) {
			problems = append(problems, fmt.Sprintf("step install: %s %q is not vX.Y.Z", pinVersion, env[pinVersion]))
		}
		if !strings.HasSuffix(env[pinURL], "/"+env[pinVersion]) {
			problems = append(problems, fmt.Sprintf("step install: %s %q is not the release %s's", pinURL, env[pinURL], env[pinVersion]))
		}
		for _, tg := range nativeTargets {
			if !sha256RE.MatchString(env[tg.sumKey()]) {
				problems = append(problems, fmt.Sprintf("step install: %s %q is not a SHA-256", tg.sumKey(), env[tg.sumKey()]))
			}
		}
	}
	return problems
}

// scriptProblems checks that install.sh picks each target's sum by the
// name native/action.yml gives it.
func scriptProblems(install string) []string {
	var problems []string
	for _, tg := range nativeTargets {
		if want := fmt.Sprintf("%s-%s) want=${%s:-} ;;", tg.goos, tg.goarch, tg.sumKey()); !strings.Contains(install, want) {
			problems = append(problems, fmt.Sprintf("native/install.sh does not pick %s's sum: want a line %q", tg.asset(), want))
		}
	}
	return problems
}

// TestNativeMetadata keeps native/action.yml in step with action.yml (the
// same inputs with the same defaults, the same outputs, each the run
// step's), with the binary (DEPLOYTRACK_INPUTS) and with the release
// (every target's sum, set all or none); it validates the file against
// GitHub's metadata schema as action.yml is. Each check also runs against
// a broken copy, in memory.
func TestNativeMetadata(t *testing.T) {
	t.Parallel()
	script, err := os.ReadFile("native/install.sh")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("schema", func(t *testing.T) {
		t.Parallel()
		for _, p := range checkActionMetadata(t, actionSchema(t), decodeYAML(t, "native/action.yml")) {
			t.Error("native/" + p)
		}
	})
	edit := func(f func(n *actionFile)) func(n *actionFile) { return f }
	install := func(n *actionFile) map[string]string { return n.Runs.Steps[0].Env }
	tests := []struct {
		name   string
		edit   func(n *actionFile) // nil: as written
		script func(s string) string
		want   string
	}{
		{name: "as written"},
		{"an input missing", edit(func(n *actionFile) { delete(n.Inputs, "timeout") }), nil, "input timeout: in action.yml, not in native/action.yml"},
		{"an input only here", edit(func(n *actionFile) { n.Inputs["extra"] = actionInput{Description: "x"} }), nil, "input extra: in native/action.yml, not in action.yml"},
		{"another default", edit(func(n *actionFile) { d := "30"; in := n.Inputs["timeout"]; in.Default = &d; n.Inputs["timeout"] = in }), nil, `input timeout: default "60" in action.yml, "30" in native/action.yml`},
		{"a default dropped", edit(func(n *actionFile) { in := n.Inputs["github-token"]; in.Default = nil; n.Inputs["github-token"] = in }), nil, "input github-token: default \"${{ github.token }}\" in action.yml, (none)"},
		{"a default where an alias forbids one", edit(func(n *actionFile) {
			d := "true"
			in := n.Inputs["fail-on-api-error"]
			in.Default = &d
			n.Inputs["fail-on-api-error"] = in
		}), nil, "input fail-on-api-error: default (none) in action.yml"},
		{"an output missing", edit(func(n *actionFile) { delete(n.Outputs, "build_id") }), nil, "output build_id: in action.yml, not in native/action.yml"},
		{"an output from another step", edit(func(n *actionFile) {
			o := n.Outputs["status"]
			o.Value = "${{ steps.install.outputs.status }}"
			n.Outputs["status"] = o
		}), nil, "output status: value"},
		{"inputs not handed over", edit(func(n *actionFile) { n.Runs.Steps[1].Env[step.InputsEnv] = "${{ inputs.api-key }}" }), nil, "step run: env"},
		{"paths rewritten on Windows", edit(func(n *actionFile) { delete(n.Runs.Steps[1].Env, "MSYS2_ENV_CONV_EXCL") }), nil, "step run: env"},
		{"the binary not exec'd", edit(func(n *actionFile) { n.Runs.Steps[1].Run = `"$DEPLOYTRACK_BIN"` }), nil, "step run runs"},
		{"a step in pwsh", edit(func(n *actionFile) { n.Runs.Steps[0].Shell = "pwsh" }), nil, "step install: want a run step with shell: bash"},
		{"a target's sum missing", edit(func(n *actionFile) { delete(install(n), "DEPLOYTRACK_SHA256_WINDOWS_ARM64") }), nil, "want exactly"},
		{"half pinned", edit(func(n *actionFile) { install(n)[pinVersion] = "v1.2.3" }), nil, "1 of the 8 pins are set"},
		{"pinned to a bad sum", edit(func(n *actionFile) {
			env := install(n)
			env[pinVersion], env[pinURL] = "v1.2.3", "https://github.com/deploytrack/deploytrack/releases/download/v1.2.3"
			for _, tg := range nativeTargets {
				env[tg.sumKey()] = strings.Repeat("ab", 32)
			}
			env["DEPLOYTRACK_SHA256_DARWIN_ARM64"] = "sha256:" + strings.Repeat("ab", 32)
		}), nil, "DEPLOYTRACK_SHA256_DARWIN_ARM64 \"sha256:"},
		{"pinned to another release's assets", edit(func(n *actionFile) {
			env := install(n)
			env[pinVersion], env[pinURL] = "v1.2.3", "https://github.com/deploytrack/deploytrack/releases/download/v1.2.2"
			for _, tg := range nativeTargets {
				env[tg.sumKey()] = strings.Repeat("ab", 32)
			}
		}), nil, "is not the release v1.2.3's"},
		{"install.sh reads another sum", nil, func(s string) string {
			return strings.Replace(s, "darwin-arm64) want=${DEPLOYTRACK_SHA256_DARWIN_ARM64:-}", "darwin-arm64) want=${DEPLOYTRACK_SHA256_DARWIN_AMD64:-}", 1)
		}, "does not pick deploytrack-darwin-arm64's sum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			container, native := readActionFile(t, "action.yml"), readActionFile(t, "native/action.yml")
			s := string(script)
			if tt.edit != nil {
				tt.edit(native)
			}
			if tt.script != nil {
				s = tt.script(s)
			}
			problems := append(nativeProblems(container, native), scriptProblems(s)...)
			if tt.want == "" {
				for _, p := range problems {
					t.Error(p)
				}
				return
			}
			i := slices.IndexFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) })
			if i < 0 {
				t.Fatalf("the check did not catch it: want a problem containing %q, got %d:\n%s", tt.want, len(problems), strings.Join(problems, "\n"))
			}
			t.Logf("caught: %s", problems[i])
		})
	}
}
