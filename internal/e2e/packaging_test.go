package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// How deploytrack ships, and the files that guard it:
//
//	metadata_test.go   action.yml against GitHub's metadata schema
//	dockerfile_test.go the Dockerfile's shape: a pinned builder that runs
//	                   tools/build.sh, a final stage holding only its output
//	                   and the CA bundle; make build and ci.yml in step with it
//	release_test.go    the binary tools/build.sh builds: its flags and size
//	image_test.go      the image on a real Docker engine (make test-image):
//	                   what it holds, the action run as the runner runs it
//	                   (image_runs_test.go), the Dockerfile built by both
//	                   builders (image_dockerfile_test.go)
//
// This file reads the Dockerfile, the Makefile, ci.yml and action.yml into
// what those checks look at. Each structural check also runs against broken
// copies of the files (in memory), so a check that stops catching what it
// guards fails too.

const (
	caBundle   = "/etc/ssl/certs/ca-certificates.crt"
	ciWorkflow = ".github/workflows/ci.yml"
)

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

// packaging is what the structure checks look at.
type packaging struct {
	stages         []stage
	builder, final *stage
	build          *instruction  // the builder's RUN of tools/build.sh
	out            string        // its OUTPUT, as written; "" when it has none
	goBuilds       []instruction // RUN lines, in any stage, that run go build themselves
	makeBuild      []string      // the recipe of the Makefile's build target
	goMod          string        // the go directive of go.mod
	ciGo           []string      // go-version of each setup-go step in ci.yml
	postEntrypoint string        // action.yml's runs.post-entrypoint
}

var (
	// buildScript is a run of tools/build.sh, with its OUTPUT if given.
	buildScript = regexp.MustCompile(`(?:^|[\s;&|])(?:\S*/)?tools/build\.sh(?:[ \t]+([^\s;&|]+))?`)
	// goBuildCmd is a go build run by hand ($(GO) in the Makefile).
	goBuildCmd = regexp.MustCompile(`(?:^|[\s;&|])(?:\S*/)?(?:go|\$\(GO\)|\$\{GO\})\s+build\b`)
	assignment = regexp.MustCompile(`^[A-Za-z_]\w*=`)
)

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
		for j, in := range s.insts {
			if in.cmd != "RUN" {
				continue
			}
			if goBuildCmd.MatchString(in.args) {
				p.goBuilds = append(p.goBuilds, in)
			}
			if m := buildScript.FindStringSubmatch(in.args); m != nil && p.build == nil {
				p.builder, p.build, p.out = s, &s.insts[j], m[1]
			}
		}
	}
	p.makeBuild = makeRecipe(files["Makefile"], "build")
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

// makeRecipe returns the command lines of a Makefile target's recipe,
// continuation lines joined and without their @, - or + prefix.
func makeRecipe(text, target string) []string {
	rule := regexp.MustCompile(`^([^\s:=#][^:=]*):([^=]|$)`)
	var recipe []string
	in := false
	for _, line := range strings.Split(strings.ReplaceAll(text, "\\\n", " "), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case strings.HasPrefix(line, "\t"):
			if in {
				recipe = append(recipe, strings.TrimLeft(trimmed, "@-+"))
			}
		default:
			m := rule.FindStringSubmatch(line)
			in = m != nil && slices.Contains(strings.Fields(m[1]), target)
		}
	}
	return recipe
}

// buildEnv returns the variables the builder's RUN of tools/build.sh sets
// on its command line, before the script.
func (p *packaging) buildEnv() []string {
	loc := buildScript.FindStringIndex(p.build.args)
	words := strings.Fields(p.build.args[:loc[0]])
	var names []string
	for i := len(words) - 1; i >= 0 && assignment.MatchString(words[i]); i-- {
		name, _, _ := strings.Cut(words[i], "=")
		names = append(names, name)
	}
	return names
}

// declared returns the names an ARG or ENV instruction sets.
func declared(in instruction) []string {
	f := strings.Fields(in.args)
	if in.cmd == "ENV" && len(f) >= 2 && !strings.Contains(f[0], "=") {
		return f[:1] // the legacy ENV key value form
	}
	var names []string
	for _, w := range f {
		name, _, _ := strings.Cut(w, "=")
		names = append(names, name)
	}
	return names
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
	binary    bool   // what tools/build.sh wrote in the builder
	link      string // a symbolic link to the binary: its target, relative
}

// output returns where tools/build.sh writes in the builder: its OUTPUT,
// from the builder's WORKDIR when relative, as the script resolves it.
func (p *packaging) output() (string, error) {
	if p.build == nil || p.builder == p.final {
		return "", errors.New("no builder stage runs tools/build.sh before the final stage")
	}
	if p.out == "" {
		return "", fmt.Errorf("line %d: tools/build.sh without its OUTPUT", p.build.line)
	}
	if path.IsAbs(p.out) {
		return path.Clean(p.out), nil
	}
	dir := "/"
	for _, in := range p.builder.insts {
		if in.cmd == "WORKDIR" {
			dir = path.Join(dir, in.args)
		}
	}
	return path.Join(dir, p.out), nil
}

// imageFiles returns the files the final stage COPYs that it may copy, and
// an error when it copies or does anything else, or lacks one of them.
func (p *packaging) imageFiles() ([]imageFile, error) {
	out, err := p.output()
	if err != nil {
		return nil, err
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
			if target != path.Base(p.out) {
				return nil, fmt.Errorf("link %s points at %s, not at the binary %s", link, target, path.Base(p.out))
			}
			out = append(out, imageFile{src: link, dest: path.Join(dest, path.Base(link)), link: target})
		}
	}
	return out, nil
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
