package e2e

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The Dockerfile's shape, and make build and ci.yml in step with it.

var goTag = regexp.MustCompile(`^golang:(\d+)\.(\d+)(\.\d+)?(-[a-z0-9.]+)?(@sha256:[0-9a-f]{64})?$`)

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
			return errors.New("no stage runs tools/build.sh")
		}
		if !goTag.MatchString(p.builder.image) {
			return fmt.Errorf("builder FROM %s: want golang:<version>[-variant][@sha256:...], never latest or untagged", p.builder.image)
		}
		return nil
	}},
	{"builder Go not older than go.mod", func(p *packaging) error {
		if p.builder == nil {
			return errors.New("no stage runs tools/build.sh")
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
			return errors.New("no stage runs tools/build.sh")
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
	{"builder runs tools/build.sh", func(p *packaging) error {
		var problems []string
		for _, in := range p.goBuilds {
			problems = append(problems, fmt.Sprintf("line %d: RUN %s: runs go build itself; run tools/build.sh, the one definition of the release build", in.line, in.args))
		}
		if _, err := p.output(); err != nil {
			problems = append(problems, err.Error())
		}
		if p.build != nil {
			for _, name := range p.buildEnv() {
				if !slices.Contains([]string{"GOOS", "GOARCH", "VERSION", "COMMIT"}, name) {
					problems = append(problems, fmt.Sprintf("line %d: sets %s for tools/build.sh: the release build's settings belong in the script", p.build.line, name))
				}
			}
			for _, in := range p.builder.insts {
				if in.cmd != "ENV" && in.cmd != "ARG" {
					continue
				}
				for _, name := range declared(in) {
					if strings.HasPrefix(name, "GO") || strings.HasPrefix(name, "CGO_") {
						problems = append(problems, fmt.Sprintf("line %d: %s %s in the builder: the release build's settings belong in tools/build.sh", in.line, in.cmd, name))
					}
				}
			}
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems, "; "))
		}
		return nil
	}},
	{"builder stamps VERSION and COMMIT", func(p *packaging) error {
		if p.build == nil {
			return errors.New("no stage runs tools/build.sh")
		}
		// ARGs reach RUN as variables; the release passes both as build args.
		set := p.buildEnv()
		for _, in := range p.builder.insts {
			if in.line > p.build.line {
				break
			}
			if in.cmd == "ARG" || in.cmd == "ENV" {
				set = append(set, declared(in)...)
			}
		}
		for _, name := range []string{"VERSION", "COMMIT"} {
			if !slices.Contains(set, name) {
				return fmt.Errorf("the builder declares no ARG %s before tools/build.sh: the release's build-arg %s would not reach the binary's --version", name, name)
			}
		}
		return nil
	}},
	{"make build runs tools/build.sh", func(p *packaging) error {
		if len(p.makeBuild) == 0 {
			return errors.New("the Makefile has no build target")
		}
		runs := false
		for _, line := range p.makeBuild {
			if goBuildCmd.MatchString(line) {
				return fmt.Errorf("make build runs go build itself (%s): run tools/build.sh, the one definition of the release build", line)
			}
			runs = runs || buildScript.MatchString(line)
		}
		if !runs {
			return fmt.Errorf("make build does not run tools/build.sh: %q", p.makeBuild)
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

// TestDockerfileStructure checks the image's recipe: a pinned Go builder
// that runs tools/build.sh, as make build does, a final stage holding only
// its output and the CA bundle, an exec-form ENTRYPOINT, no USER. The
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
		{"a Dockerfile that runs go build itself", "Dockerfile", `tools/build\.sh (\S+)`, `go build -trimpath -ldflags "-s -w" -o $1 .`, "builder runs tools/build.sh"},
		{"tools/build.sh without its output", "Dockerfile", `tools/build\.sh \S+`, "tools/build.sh", "builder runs tools/build.sh"},
		{"extra flags on the RUN line", "Dockerfile", `RUN (GOOS=\S+ GOARCH=\S+ tools/build\.sh)`, "RUN GOFLAGS=-tags=netgo $1", "builder runs tools/build.sh"},
		{"extra flags from ENV", "Dockerfile", `(?m)^ARG TARGETOS.*$`, "$0\nENV CGO_ENABLED=1 GOFLAGS=-race", "builder runs tools/build.sh"},
		{"tools/build.sh writes where the image does not copy", "Dockerfile", `tools/build\.sh /out/`, "tools/build.sh /bin/", "final stage holds only the binary and the CA bundle"},
		{"no ARG VERSION", "Dockerfile", `(?m)^ARG VERSION.*\n`, "", "builder stamps VERSION and COMMIT"},
		{"no ARG COMMIT", "Dockerfile", `(?m)^ARG COMMIT.*\n`, "", "builder stamps VERSION and COMMIT"},
		{"make build runs go build itself", "Makefile", `tools/build\.sh (bin/deploytrack)`, "$$(GO) build -trimpath -o $1 .", "make build runs tools/build.sh"},
		{"no make build", "Makefile", `(?m)^build:`, "compile:", "make build runs tools/build.sh"},
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
