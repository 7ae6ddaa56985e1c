package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// actionlintBin is actionlint, as pinned in tools/go.mod, built once.
var actionlintBin struct {
	once sync.Once
	path string
	err  error
}

func actionlint(t *testing.T) string {
	t.Helper()
	actionlintBin.once.Do(func() {
		actionlintBin.path = filepath.Join(filepath.Dir(binary), "actionlint")
		out, err := exec.Command("go", "build", "-modfile=tools/go.mod", "-o", actionlintBin.path, "github.com/rhysd/actionlint/cmd/actionlint").CombinedOutput()
		if err != nil {
			actionlintBin.err = fmt.Errorf("building actionlint from tools/go.mod: %v\n%s", err, out)
		}
	})
	if actionlintBin.err != nil {
		t.Fatal(actionlintBin.err)
	}
	return actionlintBin.path
}

var yamlBlock = regexp.MustCompile("(?ms)^```yaml\n(.*?)^```")

// TestReadmeExamplesLint runs every YAML example of the README through
// actionlint against this checkout's action.yml files (uses:
// deploytrack/deploytrack@v1 becomes uses: ./, and
// deploytrack/deploytrack/native@v1 uses: ./native), so that an example never
// misses a required input, names one the action does not have, or is not
// a valid workflow. A fragment (steps, or a job's body) is linted inside
// the smallest workflow that holds it; a composite action's steps inside
// a reusable workflow with the action's inputs.
func TestReadmeExamplesLint(t *testing.T) {
	t.Parallel()
	// The README and the reference pages under docs/.
	pages, err := filepath.Glob(filepath.Join("docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	type example struct{ page, text string }
	var blocks []example
	for _, page := range append([]string{"README.md"}, pages...) {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range yamlBlock.FindAllStringSubmatch(string(b), -1) {
			blocks = append(blocks, example{page, m[1]})
		}
	}
	if len(blocks) < 3 {
		t.Fatalf("found %d YAML examples in the README and docs/", len(blocks))
	}
	// The action as uses: ./ and uses: ./native read it.
	files := map[string][]byte{}
	for _, name := range []string{"action.yml", "Dockerfile", "native/action.yml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	bin := actionlint(t)
	for i, b := range blocks {
		text := b.text
		name := fmt.Sprintf("%s example %d (%s)", b.page, i+1, firstLine(text))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(text, "deploytrack/deploytrack") {
				t.Skip("does not use the action")
			}
			local := strings.ReplaceAll(text, "deploytrack/deploytrack/native@v1", "./native")
			workflow, err := asWorkflow(strings.ReplaceAll(local, "deploytrack/deploytrack@v1", "./"))
			if err != nil {
				t.Fatalf("%v\n%s", err, text)
			}
			// A repository (actionlint finds its root by .git) holding this
			// action.yml, Dockerfile and native/action.yml, as uses: ./ and
			// uses: ./native read them.
			repo := t.TempDir()
			for _, dir := range []string{".git", filepath.Join(".github", "workflows"), "native"} {
				if err := os.MkdirAll(filepath.Join(repo, dir), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for name, b := range files {
				if err := os.WriteFile(filepath.Join(repo, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			file := filepath.Join(repo, ".github", "workflows", "example.yml")
			if err := os.WriteFile(file, []byte(workflow), 0o644); err != nil {
				t.Fatal(err)
			}
			// The examples' run: scripts are the user's: no shellcheck.
			// The post step's entrypoint is a link inside the image.
			cmd := exec.Command(bin, "-no-color", "-shellcheck=", "-pyflakes=",
				"-ignore", `file "/deploytrack-post" does not exist`, file)
			cmd.Dir = repo
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("actionlint finds fault with %s:\n%s\nas linted:\n%s", name, out, workflow)
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(line)
}

// asWorkflow turns an example into a workflow: as it is when it is one, a
// job's body or a list of steps inside one job, a composite action's
// steps inside a reusable workflow that declares the action's inputs.
func asWorkflow(text string) (string, error) {
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(dedent(text)), &doc); err != nil {
		var steps []any
		if yaml.Unmarshal([]byte(dedent(text)), &steps) != nil {
			return "", fmt.Errorf("not YAML: %v", err)
		}
		return "on: push\njobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n" + indent(dedent(text), 6), nil
	}
	if doc == nil {
		var steps []any
		if err := yaml.Unmarshal([]byte(dedent(text)), &steps); err != nil {
			return "", err
		}
		return "on: push\njobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n" + indent(dedent(text), 6), nil
	}
	switch {
	case doc["jobs"] != nil:
		if doc["on"] == nil {
			return "on: push\n" + text, nil
		}
		return text, nil
	case doc["runs"] != nil:
		runs, _ := doc["runs"].(map[string]any)
		inputs, _ := doc["inputs"].(map[string]any)
		w := map[string]any{
			"on":   map[string]any{"workflow_call": map[string]any{"inputs": callInputs(inputs)}},
			"jobs": map[string]any{"example": map[string]any{"runs-on": "ubuntu-latest", "steps": runs["steps"]}},
		}
		b, err := yaml.Marshal(w)
		return string(b), err
	case doc["steps"] != nil:
		return "on: push\njobs:\n  example:\n    runs-on: ubuntu-latest\n" + indent(dedent(text), 4), nil
	}
	return "", fmt.Errorf("neither a workflow, a job, steps nor a composite action")
}

func callInputs(in map[string]any) map[string]any {
	out := map[string]any{}
	for name := range in {
		out[name] = map[string]any{"type": "string", "required": true}
	}
	return out
}

func dedent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	min := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if n := len(l) - len(strings.TrimLeft(l, " ")); min < 0 || n < min {
			min = n
		}
	}
	for i, l := range lines {
		if len(l) >= min && min > 0 {
			lines[i] = l[min:]
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
