package e2e

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/runner"
)

func readAction(t testing.TB) *runner.Metadata {
	t.Helper()
	m, err := runner.ReadMetadata("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestActionInputsMatchCode keeps action.yml and config.Inputs in step,
// both ways, aliases included.
func TestActionInputsMatchCode(t *testing.T) {
	t.Parallel()
	m := readAction(t)
	var declared, read []string
	for name, in := range m.Inputs {
		declared = append(declared, name)
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
	}
	for _, in := range config.Inputs {
		read = append(read, in.Name)
		decl, ok := m.Inputs[in.Name]
		if !ok {
			continue
		}
		if in.Alias != "" {
			read = append(read, in.Alias)
			if decl.Default != nil {
				t.Errorf("input %s has an alias, so action.yml must not declare its default (it would override %s)", in.Name, in.Alias)
			}
			if alias, ok := m.Inputs[in.Alias]; ok && !strings.HasPrefix(alias.Description, "Deprecated") {
				t.Errorf("alias %s: its description should start with Deprecated", in.Alias)
			}
		}
		if decl.Default != nil && in.Default != "" && *decl.Default != in.Default {
			t.Errorf("input %s: action.yml default %q, code default %q", in.Name, *decl.Default, in.Default)
		}
	}
	slices.Sort(declared)
	slices.Sort(read)
	if diff := cmp.Diff(declared, read); diff != "" {
		t.Errorf("inputs in action.yml (-) and read by config (+) differ:\n%s", diff)
	}
	if m.Runs.Using != "docker" || (m.Runs.Image != "Dockerfile" && !pinnedImage.MatchString(m.Runs.Image)) {
		t.Errorf("runs = %+v, want docker with image Dockerfile, or on a release commit the release's image by digest", m.Runs)
	}
}

// pinnedImage is runs.image on a release commit (tools/pin.sh).
var pinnedImage = regexp.MustCompile(`^docker://ghcr\.io/deploytrack/deploytrack:v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?@sha256:[0-9a-f]{64}$`)

func TestActionOutputsMatchCode(t *testing.T) {
	t.Parallel()
	m := readAction(t)
	var declared, written []string
	for name, out := range m.Outputs {
		declared = append(declared, name)
		if out.Description == "" {
			t.Errorf("output %s has no description", name)
		}
	}
	written = report.OutputNames()
	slices.Sort(declared)
	slices.Sort(written)
	if diff := cmp.Diff(declared, written); diff != "" {
		t.Errorf("outputs in action.yml (-) and written by report (+) differ:\n%s", diff)
	}
}
