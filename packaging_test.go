package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/runner"
)

// The tests in this file guard how deploytrack ships: action.yml against
// GitHub's metadata schema, the Dockerfile's shape and its agreement with
// `make build`, the release binary on an image that holds nothing but that
// binary and the CA bundle, and the binary's size. Each structural check
// also runs against broken copies of the files (in memory), so a check that
// stops catching what it guards fails too.

// ---------------------------------------------------------------------------
// action.yml

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
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return m
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

// ---------------------------------------------------------------------------
// Dockerfile and Makefile

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int
	cmd  string // upper case
	args string
}

// stage is one FROM and what follows it.
type stage struct {
	image, name string
	insts       []instruction
}

// parseDockerfile splits a Dockerfile into stages. Comments (parser
// directives included) and blank lines are skipped, also inside a
// continuation, as Docker does.
func parseDockerfile(text string) ([]stage, error) {
	var stages []stage
	var cur *instruction
	flush := func() error {
		if cur == nil {
			return nil
		}
		in := *cur
		cur = nil
		if in.cmd == "FROM" {
			var f []string
			for _, w := range strings.Fields(in.args) {
				if !strings.HasPrefix(w, "--") {
					f = append(f, w)
				}
			}
			if len(f) == 0 {
				return fmt.Errorf("line %d: FROM without an image", in.line)
			}
			s := stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			return nil
		}
		if len(stages) == 0 {
			if in.cmd == "ARG" {
				return nil // a global ARG
			}
			return fmt.Errorf("line %d: %s before the first FROM", in.line, in.cmd)
		}
		s := &stages[len(stages)-1]
		s.insts = append(s.insts, in)
		return nil
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		more := strings.HasSuffix(line, `\`)
		line = strings.TrimSuffix(line, `\`)
		if cur == nil {
			cmd, args, _ := strings.Cut(line, " ")
			cur = &instruction{line: n, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		} else {
			cur.args = strings.TrimSpace(cur.args + " " + line)
		}
		if !more {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return stages, sc.Err()
}

// goBuild is a `go build` command line, normalised so that the Dockerfile's
// and the Makefile's can be compared: flags as -name or -name=value in the
// order given, ldflags as sorted words ("-X pkg.name=value" one word),
// variables as $NAME.
type goBuild struct {
	CGO      string // CGO_ENABLED as the command sees it; "" when unset
	Flags    []string
	LDFlags  []string
	Packages []string
	Output   string // where it writes; differs on purpose
}

// goBuildValueFlags are the `go build` flags that take a value.
var goBuildValueFlags = map[string]bool{
	"-C": true, "-p": true, "-asmflags": true, "-buildmode": true, "-compiler": true, "-covermode": true,
	"-coverpkg": true, "-gccgoflags": true, "-gcflags": true, "-installsuffix": true, "-ldflags": true,
	"-mod": true, "-modfile": true, "-o": true, "-overlay": true, "-pgo": true, "-pkgdir": true,
	"-tags": true, "-toolexec": true,
}

var varRef = regexp.MustCompile(`\$\{(\w+)\}|\$\((\w+)\)`)

// normVars writes ${X} and $(X) as $X.
func normVars(s string) string { return varRef.ReplaceAllString(s, "$$$1$2") }

// parseGoBuild finds `go build` in a shell command line. env is what the
// command inherits (ENV in the Dockerfile, export in the Makefile);
// assignments before `go` override it.
func parseGoBuild(cmdline string, env map[string]string) (*goBuild, error) {
	words, err := shellFields(cmdline)
	if err != nil {
		return nil, err
	}
	at := -1
	for i := 0; i+1 < len(words); i++ {
		if (words[i] == "go" || strings.HasSuffix(words[i], "/go")) && words[i+1] == "build" {
			at = i
			break
		}
	}
	if at < 0 {
		return nil, nil
	}
	b := &goBuild{CGO: env["CGO_ENABLED"]}
	assign := regexp.MustCompile(`^[A-Za-z_]\w*=`)
	for i := at - 1; i >= 0 && assign.MatchString(words[i]); i-- {
		if v, ok := strings.CutPrefix(words[i], "CGO_ENABLED="); ok {
			b.CGO = v
		}
	}
	for i := at + 2; i < len(words); i++ {
		w := words[i]
		if w == "&&" || w == ";" || w == "||" || w == "|" {
			break
		}
		if !strings.HasPrefix(w, "-") {
			b.Packages = append(b.Packages, normVars(w))
			continue
		}
		name, val, hasVal := strings.Cut(strings.Replace(w, "--", "-", 1), "=")
		if goBuildValueFlags[name] && !hasVal {
			if i+1 == len(words) {
				return nil, fmt.Errorf("go build %s has no value", name)
			}
			i++
			val, hasVal = words[i], true
		}
		switch {
		case name == "-o":
			b.Output = val
		case name == "-ldflags":
			// Sorted for comparison, so -X keeps its argument.
			fs := strings.Fields(val)
			for j := 0; j < len(fs); j++ {
				f := normVars(fs[j])
				if f == "-X" && j+1 < len(fs) {
					j++
					f += " " + normVars(fs[j])
				}
				b.LDFlags = append(b.LDFlags, f)
			}
		case hasVal:
			b.Flags = append(b.Flags, name+"="+normVars(val))
		default:
			b.Flags = append(b.Flags, name)
		}
	}
	slices.Sort(b.LDFlags)
	return b, nil
}

// shellFields splits a command line into words the way sh would, quotes and
// backslashes included (no expansion).
func shellFields(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unclosed ' in %q", s)
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				w.WriteByte(s[i])
			}
			if i == len(s) {
				return nil, fmt.Errorf(`unclosed " in %q`, s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// parseMakefile returns the `go build` of the build target's recipe, with
// the Makefile's own variables expanded. Variables set by $(shell ...)
// stay references ($VERSION), as in the Dockerfile's ARGs.
func parseMakefile(text string) (*goBuild, error) {
	vars, exported := map[string]string{}, map[string]bool{}
	assign := regexp.MustCompile(`^(export\s+)?([A-Za-z_]\w*)\s*(\?=|::=|:=|\+=|=)\s*(.*)$`)
	target := regexp.MustCompile(`^([^\s:=#][^:=]*):([^=]|$)`)
	var recipe []string
	inBuild := false
	lines := strings.Split(strings.ReplaceAll(text, "\\\n", " "), "\n")
	for _, line := range lines {
		if strings.HasPrefix(line, "\t") {
			if inBuild {
				recipe = append(recipe, strings.TrimLeft(strings.TrimSpace(line), "@-+"))
			}
			continue
		}
		inBuild = false
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if name, ok := strings.CutPrefix(line, "export "); ok && !strings.ContainsAny(name, "=:") {
			for _, n := range strings.Fields(name) {
				exported[n] = true
			}
			continue
		}
		if m := assign.FindStringSubmatch(line); m != nil {
			v := strings.TrimSpace(m[4])
			if m[3] == "+=" {
				v = strings.TrimSpace(vars[m[2]] + " " + v)
			}
			vars[m[2]] = v
			if m[1] != "" {
				exported[m[2]] = true
			}
			continue
		}
		if m := target.FindStringSubmatch(line); m != nil {
			inBuild = slices.Contains(strings.Fields(m[1]), "build")
		}
	}
	var expand func(s string, depth int) string
	expand = func(s string, depth int) string {
		return varRef.ReplaceAllStringFunc(s, func(ref string) string {
			name := strings.Trim(ref, "${}()")
			v, ok := vars[name]
			if !ok || strings.Contains(v, "$(shell") || depth > 10 {
				return "$" + name
			}
			return expand(v, depth+1)
		})
	}
	env := map[string]string{}
	for name := range exported {
		env[name] = expand(vars[name], 0)
	}
	for _, line := range recipe {
		b, err := parseGoBuild(expand(line, 0), env)
		if err != nil || b != nil {
			return b, err
		}
	}
	return nil, errors.New("the Makefile's build target runs no `go build`")
}

// packaging is what the structure checks look at.
type packaging struct {
	stages         []stage
	builder, final *stage
	docker         *goBuild // the builder's go build
	make           *goBuild // make build's go build
	goMod          string   // the go directive of go.mod
	ciGo           []string // go-version of each setup-go step in ci.yml
	postEntrypoint string   // action.yml's runs.post-entrypoint
}

func parsePackaging(files map[string]string) (*packaging, error) {
	var p packaging
	var err error
	if m := postEntrypointLine.FindStringSubmatch(files["action.yml"]); m != nil {
		p.postEntrypoint = m[1]
	}
	if p.stages, err = parseDockerfile(files["Dockerfile"]); err != nil {
		return nil, fmt.Errorf("Dockerfile: %w", err)
	}
	if len(p.stages) == 0 {
		return nil, errors.New("Dockerfile: no FROM")
	}
	p.final = &p.stages[len(p.stages)-1]
	for i := range p.stages {
		s := &p.stages[i]
		env := map[string]string{}
		for _, in := range s.insts {
			switch in.cmd {
			case "ENV":
				for _, kv := range strings.Fields(in.args) {
					if k, v, ok := strings.Cut(kv, "="); ok {
						env[k] = strings.Trim(v, `"'`)
					}
				}
				if f := strings.Fields(in.args); len(f) == 2 && !strings.Contains(f[0], "=") {
					env[f[0]] = f[1] // the legacy ENV key value form
				}
			case "RUN":
				b, err := parseGoBuild(in.args, env)
				if err != nil {
					return nil, fmt.Errorf("Dockerfile line %d: %w", in.line, err)
				}
				if b != nil && p.docker == nil {
					p.builder, p.docker = s, b
				}
			}
		}
	}
	if p.make, err = parseMakefile(files["Makefile"]); err != nil {
		return nil, fmt.Errorf("Makefile: %w", err)
	}
	var ci struct {
		Jobs map[string]struct {
			Steps []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(files[ciWorkflow]), &ci); err != nil {
		return nil, fmt.Errorf("%s: %w", ciWorkflow, err)
	}
	for _, j := range ci.Jobs {
		for _, st := range j.Steps {
			if strings.HasPrefix(st.Uses, "actions/setup-go@") {
				p.ciGo = append(p.ciGo, st.With["go-version"])
			}
		}
	}
	for _, line := range strings.Split(files["go.mod"], "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			p.goMod = strings.TrimSpace(v)
		}
	}
	return &p, nil
}

// entrypoint returns the final stage's exec-form ENTRYPOINT.
func (p *packaging) entrypoint() ([]string, error) {
	var last *instruction
	for i, in := range p.final.insts {
		if in.cmd == "ENTRYPOINT" {
			last = &p.final.insts[i]
		}
	}
	if last == nil {
		return nil, errors.New("the final stage has no ENTRYPOINT")
	}
	var argv []string
	if err := json.Unmarshal([]byte(last.args), &argv); err != nil || len(argv) == 0 {
		return nil, fmt.Errorf("line %d: ENTRYPOINT %s is not in exec form (a JSON array): shell form needs /bin/sh, which the image lacks, and swallows the runner's args and signals", last.line, last.args)
	}
	return argv, nil
}

// imageFile is one file the final stage copies.
type imageFile struct {
	src, dest string
	binary    bool   // the builder's go build output
	link      string // a symbolic link to the binary: its target, relative
}

const (
	caBundle   = "/etc/ssl/certs/ca-certificates.crt"
	ciWorkflow = ".github/workflows/ci.yml"
)

// imageFiles returns the files the final stage COPYs that it may copy, and
// an error when it copies or does anything else, or lacks one of them.
func (p *packaging) imageFiles() ([]imageFile, error) {
	if p.docker == nil || p.builder == p.final {
		return nil, errors.New("no builder stage runs go build before the final stage")
	}
	out := p.docker.Output
	if !path.IsAbs(out) {
		dir := "/"
		for _, in := range p.builder.insts {
			if in.cmd == "WORKDIR" {
				dir = path.Join(dir, in.args)
			}
		}
		out = path.Join(dir, out)
	}
	builderIndex := ""
	for i := range p.stages {
		if &p.stages[i] == p.builder {
			builderIndex = strconv.Itoa(i)
		}
	}
	var files []imageFile
	var problems []string
	for _, in := range p.final.insts {
		switch in.cmd {
		case "COPY":
		case "ENTRYPOINT", "CMD", "LABEL", "ARG", "ENV", "STOPSIGNAL":
			continue
		default:
			problems = append(problems, fmt.Sprintf("line %d: %s in the final stage (it may only COPY the binary and the CA bundle)", in.line, in.cmd))
			continue
		}
		var from string
		var rest []string
		for _, w := range strings.Fields(in.args) {
			if v, ok := strings.CutPrefix(w, "--from="); ok {
				from = v
			} else if !strings.HasPrefix(w, "--") {
				rest = append(rest, w)
			}
		}
		if len(rest) != 2 || (from != p.builder.name && from != builderIndex) {
			problems = append(problems, fmt.Sprintf("line %d: COPY %s: want one file from the builder stage", in.line, in.args))
			continue
		}
		f := imageFile{src: path.Clean(rest[0]), dest: path.Clean(rest[1])}
		switch {
		case f.src == path.Dir(out) && strings.HasSuffix(rest[0], "/"):
			// The output directory: the binary and the links the builder
			// made to it there.
			f.src, f.dest, f.binary = out, path.Join(f.dest, path.Base(out)), true
			links, err := p.links(path.Dir(out), path.Join(rest[1], "/"))
			if err != nil {
				problems = append(problems, fmt.Sprintf("line %d: COPY %s: %v", in.line, in.args, err))
			}
			files = append(files, links...)
		case f.src == out:
			f.binary = true
		case f.src == caBundle && f.dest == caBundle:
		default:
			problems = append(problems, fmt.Sprintf("line %d: COPY %s copies something other than the binary (%s) and the CA bundle (%s)", in.line, in.args, out, caBundle))
			continue
		}
		files = append(files, f)
	}
	var binaries, bundles int
	for _, f := range files {
		switch {
		case f.binary:
			binaries++
		case f.link == "":
			bundles++
		}
	}
	if binaries != 1 || bundles != 1 {
		problems = append(problems, fmt.Sprintf("the final stage copies %d accepted files %v; want exactly the binary (and links to it) and the CA bundle", len(files), files))
	}
	if len(problems) > 0 {
		return files, errors.New(strings.Join(problems, "; "))
	}
	return files, nil
}

var postEntrypointLine = regexp.MustCompile(`(?m)^\s+post-entrypoint:\s*(\S+)\s*$`)

var lnSymbolic = regexp.MustCompile(`\bln\s+-sf?\s+(\S+)\s+(\S+)`)

// links returns the symbolic links the builder's RUN lines make in dir,
// as COPY puts them in dest. Each must point at the binary by its bare
// name, which resolves in the image as it does in the builder.
func (p *packaging) links(dir, dest string) ([]imageFile, error) {
	var out []imageFile
	for _, in := range p.builder.insts {
		if in.cmd != "RUN" {
			continue
		}
		for _, m := range lnSymbolic.FindAllStringSubmatch(in.args, -1) {
			target, link := m[1], path.Clean(m[2])
			if path.Dir(link) != dir {
				continue
			}
			if target != path.Base(p.docker.Output) {
				return nil, fmt.Errorf("link %s points at %s, not at the binary %s", link, target, path.Base(p.docker.Output))
			}
			out = append(out, imageFile{src: link, dest: path.Join(dest, path.Base(link)), link: target})
		}
	}
	return out, nil
}

var goTag = regexp.MustCompile(`^golang:(\d+)\.(\d+)(\.\d+)?(-[a-z0-9.]+)?(@sha256:[0-9a-f]{64})?$`)

// releaseFlags checks that b builds a static, reproducible, stamped binary.
func releaseFlags(b *goBuild) error {
	var missing []string
	if b.CGO != "0" {
		missing = append(missing, fmt.Sprintf("CGO_ENABLED=0 (it is %q: a cgo binary needs libc, which scratch lacks)", b.CGO))
	}
	if !slices.Contains(b.Flags, "-trimpath") {
		missing = append(missing, "-trimpath")
	}
	for _, f := range []string{"-s", "-w"} {
		if !slices.Contains(b.LDFlags, f) {
			missing = append(missing, "-ldflags "+f)
		}
	}
	if !slices.ContainsFunc(b.LDFlags, func(f string) bool { return strings.HasPrefix(f, "-X main.version=$") }) {
		missing = append(missing, "-ldflags -X main.version=$VERSION")
	}
	if len(missing) > 0 {
		return fmt.Errorf("go build lacks %s", strings.Join(missing, ", "))
	}
	return nil
}

// dockerChecks are the structure checks, each named for what it guards.
var dockerChecks = []struct {
	name  string
	check func(p *packaging) error
}{
	{"multi-stage", func(p *packaging) error {
		if len(p.stages) < 2 {
			return fmt.Errorf("%d stage(s); want a builder stage and a final stage", len(p.stages))
		}
		return nil
	}},
	{"builder pinned", func(p *packaging) error {
		if p.builder == nil {
			return errors.New("no stage runs go build")
		}
		if !goTag.MatchString(p.builder.image) {
			return fmt.Errorf("builder FROM %s: want golang:<version>[-variant][@sha256:...], never latest or untagged", p.builder.image)
		}
		return nil
	}},
	{"builder Go not older than go.mod", func(p *packaging) error {
		if p.builder == nil {
			return errors.New("no stage runs go build")
		}
		m := goTag.FindStringSubmatch(p.builder.image)
		if m == nil {
			return fmt.Errorf("builder FROM %s has no Go version", p.builder.image)
		}
		var want [2]int
		if _, err := fmt.Sscanf(p.goMod, "%d.%d", &want[0], &want[1]); err != nil {
			return fmt.Errorf("go.mod go directive %q: %v", p.goMod, err)
		}
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		if major < want[0] || major == want[0] && minor < want[1] {
			return fmt.Errorf("builder Go %s.%s is older than go.mod's go %s", m[1], m[2], p.goMod)
		}
		return nil
	}},
	{"CI tests with the builder's Go", func(p *packaging) error {
		if p.builder == nil {
			return errors.New("no stage runs go build")
		}
		m := goTag.FindStringSubmatch(p.builder.image)
		if m == nil {
			return fmt.Errorf("builder FROM %s has no Go version", p.builder.image)
		}
		want := m[1] + "." + m[2] + m[3]
		if len(p.ciGo) == 0 {
			return fmt.Errorf("%s has no actions/setup-go step", ciWorkflow)
		}
		for _, v := range p.ciGo {
			if v != want {
				return fmt.Errorf("%s sets up Go %q, the image builds with %s: the binary tested must be the one shipped (a Dependabot bump of the Dockerfile needs ci.yml too)", ciWorkflow, v, want)
			}
		}
		return nil
	}},
	{"final stage from scratch or distroless static", func(p *packaging) error {
		if p.final.image != "scratch" && !strings.HasPrefix(p.final.image, "gcr.io/distroless/static") {
			return fmt.Errorf("final FROM %s: want scratch or gcr.io/distroless/static (nothing but the binary and CA certificates)", p.final.image)
		}
		return nil
	}},
	{"exec-form ENTRYPOINT runs the binary", func(p *packaging) error {
		argv, err := p.entrypoint()
		if err != nil {
			return err
		}
		files, _ := p.imageFiles()
		for _, f := range files {
			if f.binary && f.dest == argv[0] {
				return nil
			}
		}
		return fmt.Errorf("ENTRYPOINT %q does not run the binary copied from the builder", argv)
	}},
	{"action.yml's post-entrypoint is a link to the binary", func(p *packaging) error {
		if p.postEntrypoint == "" {
			return nil
		}
		files, _ := p.imageFiles()
		for _, f := range files {
			if f.link != "" && f.dest == p.postEntrypoint {
				return nil
			}
		}
		return fmt.Errorf("action.yml runs %s as the post step, which the image does not hold as a link to the binary", p.postEntrypoint)
	}},
	{"no USER", func(p *packaging) error {
		for _, s := range p.stages {
			for _, in := range s.insts {
				if in.cmd == "USER" {
					return fmt.Errorf("line %d: USER %s: GitHub runs container actions as root and mounts its files for root; the docs ask for no USER", in.line, in.args)
				}
			}
		}
		return nil
	}},
	{"final stage holds only the binary and the CA bundle", func(p *packaging) error {
		_, err := p.imageFiles()
		return err
	}},
	{"Dockerfile builds with the release flags", func(p *packaging) error {
		if p.docker == nil {
			return errors.New("no RUN go build")
		}
		return releaseFlags(p.docker)
	}},
	{"make build uses the release flags", func(p *packaging) error { return releaseFlags(p.make) }},
	{"Dockerfile and make build agree", func(p *packaging) error {
		if p.docker == nil {
			return errors.New("no RUN go build")
		}
		if diff := cmp.Diff(p.make, p.docker, cmpopts.IgnoreFields(goBuild{}, "Output")); diff != "" {
			return fmt.Errorf("the image's go build differs from make build's (-Makefile +Dockerfile):\n%s", diff)
		}
		return nil
	}},
}

// runDockerChecks returns the error of each failing check by name.
func runDockerChecks(files map[string]string) map[string]error {
	failed := map[string]error{}
	p, err := parsePackaging(files)
	for _, c := range dockerChecks {
		if err != nil {
			failed[c.name] = err
			continue
		}
		if err := c.check(p); err != nil {
			failed[c.name] = err
		}
	}
	return failed
}

func readFiles(t *testing.T, names ...string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[n] = string(b)
	}
	return files
}

// TestDockerfileStructure checks the image's recipe: a pinned Go builder,
// a final stage holding only the binary and the CA bundle, an exec-form
// ENTRYPOINT, no USER, and the same go build flags as `make build`. The
// "catches" cases break a copy of the files to prove each check bites.
func TestDockerfileStructure(t *testing.T) {
	t.Parallel()
	files := readFiles(t, "Dockerfile", "Makefile", "go.mod", ciWorkflow, "action.yml")
	failed := runDockerChecks(files)
	for _, c := range dockerChecks {
		t.Run("as written/"+c.name, func(t *testing.T) {
			if err := failed[c.name]; err != nil {
				t.Error(err)
			}
		})
	}

	// The final stage's FROM, as it is or may become.
	const finalFrom = `(?m)^FROM (?:scratch|gcr\.io/distroless/static)\S*`
	tests := []struct {
		name       string
		file, re   string // the edit: replace matches of re in file
		repl       string
		wantFailed string // the check that must catch it
	}{
		{"a single stage", "Dockerfile", finalFrom + `.*$`, "", "multi-stage"},
		{"builder on latest", "Dockerfile", `golang:\S+`, "golang:latest", "builder pinned"},
		{"builder untagged", "Dockerfile", `golang:\S+ `, "golang ", "builder pinned"},
		{"builder older than go.mod", "Dockerfile", `golang:\S+ `, "golang:1.21.13-bookworm ", "builder Go not older than go.mod"},
		{"CI on another Go", ciWorkflow, `go-version: .*`, `go-version: "1.23.4"`, "CI tests with the builder's Go"},
		{"CI on go.mod's Go", ciWorkflow, `go-version: .*`, `go-version-file: go.mod`, "CI tests with the builder's Go"},
		{"final stage on alpine", "Dockerfile", finalFrom, "FROM alpine:3.20", "final stage from scratch or distroless static"},
		{"final stage on distroless base (glibc)", "Dockerfile", finalFrom, "FROM gcr.io/distroless/base-debian12", "final stage from scratch or distroless static"},
		{"shell-form ENTRYPOINT", "Dockerfile", `(?m)^ENTRYPOINT .*$`, "ENTRYPOINT /deploytrack", "exec-form ENTRYPOINT runs the binary"},
		{"ENTRYPOINT runs something else", "Dockerfile", `(?m)^ENTRYPOINT .*$`, `ENTRYPOINT ["/bin/sh", "-c", "/deploytrack"]`, "exec-form ENTRYPOINT runs the binary"},
		{"no link for the post step", "Dockerfile", `(?m)^RUN ln -s.*$`, "", "action.yml's post-entrypoint is a link to the binary"},
		{"post step renamed in action.yml", "action.yml", `post-entrypoint: \S+`, "post-entrypoint: /finish", "action.yml's post-entrypoint is a link to the binary"},
		{"a link to a shell", "Dockerfile", `ln -s deploytrack`, "ln -s /bin/sh", "final stage holds only the binary and the CA bundle"},
		{"a USER", "Dockerfile", `\z`, "USER 65532:65532\n", "no USER"},
		{"a shell in the image", "Dockerfile", `\z`, "COPY --from=0 /bin/sh /bin/sh\n", "final stage holds only the binary and the CA bundle"},
		{"the whole certs directory", "Dockerfile", `(?m)^COPY (--from=\S+) /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt`, "COPY $1 /etc/ssl/certs /etc/ssl/certs", "final stage holds only the binary and the CA bundle"},
		{"no CA bundle", "Dockerfile", `(?m)^COPY --from=\S+ /etc/ssl.*$`, "", "final stage holds only the binary and the CA bundle"},
		{"a WORKDIR in the image", "Dockerfile", `\z`, "WORKDIR /tmp\n", "final stage holds only the binary and the CA bundle"},
		{"Dockerfile with cgo", "Dockerfile", `CGO_ENABLED=0`, "CGO_ENABLED=1", "Dockerfile builds with the release flags"},
		{"Dockerfile without -trimpath", "Dockerfile", ` -trimpath`, "", "Dockerfile builds with the release flags"},
		{"Dockerfile without -s", "Dockerfile", `"-s -w `, `"-w `, "Dockerfile builds with the release flags"},
		{"Dockerfile without the version", "Dockerfile", ` -X main.version=\$\{?VERSION\}?`, "", "Dockerfile builds with the release flags"},
		{"no go build at all", "Dockerfile", `go build`, "go vet", "Dockerfile builds with the release flags"},
		{"Dockerfile with an extra tag", "Dockerfile", ` -trimpath`, " -trimpath -tags netgo", "Dockerfile and make build agree"},
		{"Makefile CGO_ENABLED not exported", "Makefile", `(?m)^export CGO_ENABLED`, "CGO_ENABLED", "make build uses the release flags"},
		{"Makefile without -trimpath", "Makefile", ` -trimpath`, "", "make build uses the release flags"},
		{"Makefile with an extra -X", "Makefile", `(?m)^(LDFLAGS\s*:?=.*)$`, "${1} -X main.extra=1", "Dockerfile and make build agree"},
	}
	for _, tt := range tests {
		t.Run("catches/"+tt.name, func(t *testing.T) {
			t.Parallel()
			broken := maps.Clone(files)
			re := regexp.MustCompile(tt.re)
			if !re.MatchString(broken[tt.file]) {
				t.Fatalf("%s no longer matches %s: update this case to break the file as intended", tt.file, tt.re)
			}
			broken[tt.file] = re.ReplaceAllString(broken[tt.file], tt.repl)
			err := runDockerChecks(broken)[tt.wantFailed]
			if err == nil {
				t.Fatalf("check %q passed the broken %s:\n%s", tt.wantFailed, tt.file, broken[tt.file])
			}
			t.Logf("caught: %v", err)
		})
	}
}

// ---------------------------------------------------------------------------
// The release binary

const (
	releaseVersion = "v0.0.0-rehearsal"
	releaseCommit  = "0123456789abcdef0123456789abcdef01234567"
)

var release struct {
	once sync.Once
	path string
	err  error
}

// releaseBinary builds the binary once with `make build`'s flags as parsed
// from the Makefile (VERSION and COMMIT filled in), so the binary measured
// and rehearsed here is the one shipped.
func releaseBinary(t *testing.T) string {
	t.Helper()
	release.once.Do(func() {
		files, err := os.ReadFile("Makefile")
		if err != nil {
			release.err = err
			return
		}
		b, err := parseMakefile(string(files))
		if err != nil {
			release.err = err
			return
		}
		var unknown []string
		expand := func(s string) string {
			return os.Expand(s, func(name string) string {
				switch name {
				case "VERSION":
					return releaseVersion
				case "COMMIT":
					return releaseCommit
				}
				unknown = append(unknown, name)
				return ""
			})
		}
		// binary's directory is TestMain's, removed when the tests end.
		release.path = filepath.Join(filepath.Dir(binary), "release", "deploytrack")
		args := []string{"build"}
		for _, f := range b.Flags {
			args = append(args, expand(f))
		}
		var ld []string
		for _, f := range b.LDFlags {
			ld = append(ld, expand(f))
		}
		args = append(args, "-ldflags", strings.Join(ld, " "), "-o", release.path)
		for _, p := range b.Packages {
			args = append(args, expand(p))
		}
		if len(unknown) > 0 {
			release.err = fmt.Errorf("make build uses variables this test cannot fill: %v", unknown)
			return
		}
		cmd := exec.Command("go", args...)
		// An empty CGO_ENABLED is Go's default (on where a C compiler is),
		// which is what make build gets when the Makefile does not export it.
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+b.CGO)
		if out, err := cmd.CombinedOutput(); err != nil {
			release.err = fmt.Errorf("CGO_ENABLED=%s go %s: %v\n%s", b.CGO, strings.Join(args, " "), err, out)
		}
	})
	if release.err != nil {
		t.Fatalf("building the release binary: %v", release.err)
	}
	return release.path
}

// TestBinarySize keeps the shipped files small: users pull them on every
// job that uses the action.
func TestBinarySize(t *testing.T) {
	t.Parallel()
	bin := releaseBinary(t)
	size := func(name string) int64 {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	binSize := size(bin)
	type sized struct {
		name         string
		bytes, limit int64
	}
	tests := []sized{{"release binary", binSize, 8_000_000}}
	if _, err := os.Stat(caBundle); err == nil {
		// The image is these two files; layers are compressed, so this bounds it.
		tests = append(tests, sized{"image (binary and CA bundle)", binSize + size(caBundle), 10_000_000})
	}
	for _, tt := range tests {
		t.Logf("%s: %d bytes (%.2f MB, %.2f MiB), limit %d", tt.name, tt.bytes, float64(tt.bytes)/1e6, float64(tt.bytes)/(1<<20), tt.limit)
		if tt.bytes >= tt.limit {
			t.Errorf("%s is %d bytes; the limit is %d: look for a new dependency or lost -s -w", tt.name, tt.bytes, tt.limit)
		}
	}
}

// staticELF reports why the binary at name would not run on an empty image.
func staticELF(name string) error {
	f, err := elf.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp, _ := io.ReadAll(p.Open())
			return fmt.Errorf("dynamically linked: needs the loader %s", strings.TrimRight(string(interp), "\x00"))
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return err
	}
	if len(libs) > 0 {
		return fmt.Errorf("dynamically linked: needs %v", libs)
	}
	return nil
}

// TestScratchImageRehearsal runs the release binary the way the runner runs
// the image, on a root directory that holds exactly what the Dockerfile's
// final stage copies (no shell, no libc, no /etc/passwd, no /tmp) plus the
// runner's /github mounts. There is no Docker engine here; chroot stands in.
func TestScratchImageRehearsal(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skipf("the image is linux; this is %s", runtime.GOOS)
	}
	if _, err := os.Stat(caBundle); err != nil {
		t.Skipf("the host has no CA bundle to stand in for the builder's: %v", err)
	}
	bin := releaseBinary(t)
	t.Run("statically linked", func(t *testing.T) {
		if err := staticELF(bin); err != nil {
			t.Fatalf("%s: %v", bin, err)
		}
	})

	p, err := parsePackaging(readFiles(t, "Dockerfile", "Makefile", "go.mod", ciWorkflow, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := p.imageFiles()
	if err != nil {
		t.Fatalf("the Dockerfile's final stage: %v", err)
	}
	argv, err := p.entrypoint()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	var want []string
	for _, f := range files {
		if f.link != "" {
			if err := os.Symlink(f.link, filepath.Join(root, f.dest)); err != nil {
				t.Fatal(err)
			}
			want = append(want, f.dest)
			continue
		}
		src := f.src // the builder's CA bundle; the host's stands in for it
		if f.binary {
			src = bin
		}
		mode := os.FileMode(0o644)
		if f.binary {
			mode = 0o755
		}
		copyFile(t, src, filepath.Join(root, f.dest), mode)
		want = append(want, f.dest)
	}
	slices.Sort(want)
	if got := listFiles(t, root); !slices.Equal(got, want) {
		t.Fatalf("the image holds %v, want only %v", got, want)
	}
	// What the runner mounts into the container.
	for _, d := range []string{"home", "workspace", "workflow", "file_commands", "runner_temp"} {
		if err := os.MkdirAll(filepath.Join(root, "github", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, eventFile("push.json"), filepath.Join(root, "github", "workflow", "event.json"), 0o644)

	tests := []struct {
		name  string
		args  []string // after the ENTRYPOINT
		event bool     // run one deployment event against the fakes
		post  bool     // run action.yml's post-entrypoint
	}{
		{name: "--version", args: []string{"--version"}},
		{name: "one deployment event", event: true},
		{name: "post step with nothing to finish", post: true},
	}
	post := readAction(t).Runs.PostEntrypoint
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if os.Geteuid() != 0 {
				t.Skip("chroot needs root: run as root (as the CI machines do) to rehearse the scratch image")
			}
			w := newWorld(t)
			w.context["GITHUB_EVENT_PATH"] = "/github/workflow/event.json"
			st := runner.Step{
				Binary: argv[0], Metadata: readAction(t), Env: w.context, Token: testToken,
				Dir: filepath.Join(root, "github", "file_commands"),
				With: w.with(map[string]string{
					"status": "success", "version": releaseVersion,
					"environment-url": "https://shop.example.com",
				}),
			}
			env, files, err := st.Environ()
			if err != nil {
				t.Fatal(err)
			}
			outFile := files["GITHUB_OUTPUT"]
			// The files are on the host at root/github/...; the binary sees
			// them at /github/..., as in the container.
			inside := func(host string) string { return "/" + strings.TrimPrefix(host, root+"/") }
			for i, kv := range env {
				k, v, _ := strings.Cut(kv, "=")
				if _, ok := files[k]; ok {
					env[i] = k + "=" + inside(v)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			// The binary was written by this process a moment ago: a child
			// forked meanwhile by a parallel test may still hold it open
			// for writing until it execs, and exec then fails with
			// ETXTBSY (golang/go#22315). Wait that out.
			for try := 0; ; try++ {
				cmd := exec.CommandContext(ctx, argv[0], append(argv[1:], tt.args...)...)
				if tt.post {
					// docker run --entrypoint <post-entrypoint>, as the runner does.
					cmd = exec.CommandContext(ctx, post)
				}
				cmd.Env = env
				cmd.Dir = "/github/workspace" // docker run --workdir, inside the chroot
				cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
				stdout.Reset()
				stderr.Reset()
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err = cmd.Run(); !errors.Is(err, syscall.ETXTBSY) || try == 20 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if errors.Is(err, syscall.EPERM) {
				t.Skipf("chroot is not permitted here (%v): the scratch image was not rehearsed", err)
			}
			if err != nil {
				t.Fatalf("%s in the image: %v\nstdout:\n%s\nstderr:\n%s", argv[0], err, &stdout, &stderr)
			}
			if testing.Verbose() {
				t.Logf("stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
			}
			if tt.post {
				if !strings.Contains(stdout.String(), "nothing to finish") {
					t.Errorf("%s printed %q, want the post step's no-op", post, stdout.String())
				}
				return
			}
			if !tt.event {
				line := fmt.Sprintf("deploytrack %s (commit %s, ", releaseVersion, releaseCommit)
				if !strings.HasPrefix(stdout.String(), line) {
					t.Errorf("--version printed %q, want %q...", stdout.String(), line)
				}
				return
			}
			f, err := os.Open(outFile)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			outputs, err := runner.ParseOutputs(f)
			if err != nil {
				t.Fatal(err)
			}
			if outputs["status"] != "completed" {
				t.Errorf("outputs: status = %q, want completed (all: %v)", outputs["status"], outputs)
			}
			if n := len(w.versioner.Events()); n != 1 {
				t.Errorf("Versioner recorded %d events, want 1", n)
			}
			deps := w.github.Deployments()
			if len(deps) != 1 || len(deps[0].Statuses) == 0 || deps[0].Statuses[len(deps[0].Statuses)-1].State != "success" {
				t.Errorf("GitHub deployments = %+v, want one whose latest status is success", deps)
			}
			if sum, err := os.ReadFile(files["GITHUB_STEP_SUMMARY"]); err != nil || len(sum) == 0 {
				t.Errorf("job summary: %q, %v", sum, err)
			}
		})
	}
	// Nothing the run wrote leaked outside the runner's mounts.
	var leaked []string
	for _, f := range listFiles(t, root) {
		if !slices.Contains(want, f) && !strings.HasPrefix(f, "/github/") {
			leaked = append(leaked, f)
		}
	}
	if len(leaked) > 0 {
		t.Errorf("the binary wrote outside /github: %v", leaked)
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
}

// listFiles returns every non-directory under root, as absolute paths
// inside root.
func listFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files = append(files, "/"+filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator))))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}
