package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/deploytrack/deploytrack/internal/config"
)

// action.yml against GitHub's metadata schema, and what the schema cannot
// say. Its inputs and outputs against the code are action_test.go's.

// metadataEdit breaks a decoded action.yml in one way.
type metadataEdit func(m map[string]any)

// TestActionMetadataSchema validates action.yml against SchemaStore's
// schema for action metadata (testdata/schemas/github-action.json) and
// checks what the schema cannot: non-empty descriptions, and deprecated
// aliases whose description starts with "Deprecated" and names the input
// to use instead.
func TestActionMetadataSchema(t *testing.T) {
	t.Parallel()
	sch := actionSchema(t)
	input := func(m map[string]any, name string) map[string]any { return section(m, "inputs")[name].(map[string]any) }
	output := func(m map[string]any, name string) map[string]any {
		return section(m, "outputs")[name].(map[string]any)
	}
	tests := []struct {
		name string
		edit metadataEdit // nil: action.yml as written
		want string       // a problem the edit must produce
	}{
		{name: "action.yml as written"},
		{"an input without a description", func(m map[string]any) { delete(input(m, "version"), "description") }, "at '/inputs/version': missing property 'description'"},
		{"an output without a description", func(m map[string]any) { delete(output(m, "status"), "description") }, "at '/outputs/status': missing property 'description'"},
		{"an empty input description", func(m map[string]any) { input(m, "timeout")["description"] = " " }, "input timeout has no description"},
		{"an empty output description", func(m map[string]any) { output(m, "build-id")["description"] = "" }, "output build-id has no description"},
		{"required as a string", func(m map[string]any) { input(m, "version")["required"] = "yes" }, "want boolean"},
		{"a key the runner does not know", func(m map[string]any) { input(m, "version")["deprecated"] = true }, "additional properties 'deprecated' not allowed"},
		{"a node runtime with an image", func(m map[string]any) { section(m, "runs")["using"] = "node20" }, "at '/runs': missing property 'main'"},
		{"a docker action without an image", func(m map[string]any) { delete(section(m, "runs"), "image") }, "missing property 'image'"},
		{"a colour Marketplace does not offer", func(m map[string]any) { section(m, "branding")["color"] = "teal" }, "at '/branding/color': value must be one of"},
		{"an alias not described as deprecated", func(m map[string]any) { input(m, "api_url")["description"] = "Alias of api-url." }, `alias api_url: description does not start with "Deprecated"`},
		{"an alias that names no replacement", func(m map[string]any) { input(m, "api_key")["description"] = "Deprecated." }, "alias api_key: description does not name api-key"},
		{"an alias whose message names no replacement", func(m map[string]any) { input(m, "event_type")["deprecationMessage"] = "Going away." }, "deprecationMessage \"Going away.\" does not name event-type"},
		{"a deprecated input that is no alias", func(m map[string]any) { input(m, "product")["deprecationMessage"] = "Use product_name." }, "input product is not an alias"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := decodeYAML(t, "action.yml")
			if tt.edit != nil {
				tt.edit(m)
			}
			problems := checkActionMetadata(t, sch, m)
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

// actionSchema compiles the draft-07 schema for action metadata; the
// metaschema is built into the library, so nothing is fetched.
func actionSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	const file = "testdata/schemas/github-action.json"
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(file)
	if err != nil {
		t.Fatalf("compiling %s: %v", file, err)
	}
	return sch
}

// decodeYAML reads a YAML file into plain maps, as JSON would hold it.
func decodeYAML(t *testing.T, file string) map[string]any {
	t.Helper()
	var m map[string]any
	readYAML(t, file, &m)
	return m
}

// readYAML decodes the YAML file into v, or fails the test.
func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func section(m map[string]any, key string) map[string]any {
	s, _ := m[key].(map[string]any)
	return s
}

// checkActionMetadata returns every problem of the decoded action.yml m.
func checkActionMetadata(t *testing.T, sch *jsonschema.Schema, m map[string]any) []string {
	t.Helper()
	var problems []string
	// YAML -> JSON -> the library's own decoding, so the instance holds
	// exactly the types the schema is written for.
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		problems = append(problems, "action.yml does not match the schema: "+err.Error())
	}

	described := func(kind, name string, v any) {
		d, _ := v.(map[string]any)["description"].(string)
		if strings.TrimSpace(d) == "" {
			problems = append(problems, fmt.Sprintf("%s %s has no description", kind, name))
		}
	}
	inputs, outputs := section(m, "inputs"), section(m, "outputs")
	for name, v := range outputs {
		described("output", name, v)
	}
	aliasOf := map[string]string{}
	for _, in := range config.Inputs {
		if in.Alias != "" {
			aliasOf[in.Alias] = in.Name
		}
	}
	for name, v := range inputs {
		described("input", name, v)
		in, _ := v.(map[string]any)
		msg, _ := in["deprecationMessage"].(string)
		canonical, alias := aliasOf[name]
		// The aliases carry no deprecationMessage on purpose (see
		// action.yml: the step warns itself, naming the new input); one
		// that is added must name the replacement.
		switch {
		case !alias && msg != "":
			problems = append(problems, fmt.Sprintf("input %s is not an alias but has a deprecationMessage", name))
		case alias && msg != "" && !strings.Contains(msg, canonical):
			problems = append(problems, fmt.Sprintf("alias %s: deprecationMessage %q does not name %s", name, msg, canonical))
		}
		d, _ := in["description"].(string)
		if alias && !strings.HasPrefix(d, "Deprecated") {
			problems = append(problems, fmt.Sprintf("alias %s: description does not start with \"Deprecated\": %q", name, d))
		}
		if alias && !strings.Contains(d, canonical) {
			problems = append(problems, fmt.Sprintf("alias %s: description does not name %s: %q", name, canonical, d))
		}
	}
	for alias := range aliasOf {
		if _, ok := inputs[alias]; !ok {
			problems = append(problems, fmt.Sprintf("alias %s is read by the code but not declared", alias))
		}
	}
	slices.Sort(problems)
	return problems
}
