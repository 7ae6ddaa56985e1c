package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// .github/workflows/release.yml, read for what a release must never do:
// move or delete a version tag, or create one before the commit it names
// holds the pinned image and binaries.

const releaseWorkflow = ".github/workflows/release.yml"

type wfStep struct {
	Name string            `yaml:"name"`
	ID   string            `yaml:"id"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
	Run  string            `yaml:"run"`
}

type wfJob struct {
	Needs any               `yaml:"needs"` // a job or a list of them
	Env   map[string]string `yaml:"env"`
	Steps []wfStep          `yaml:"steps"`
}

type workflowFile struct {
	On   map[string]any    `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]*wfJob `yaml:"jobs"`
}

func readWorkflow(t *testing.T, name string) *workflowFile {
	t.Helper()
	var w workflowFile
	readYAML(t, name, &w)
	return &w
}

func (j *wfJob) needs() []string {
	switch n := j.Needs.(type) {
	case string:
		return []string{n}
	case []any:
		var out []string
		for _, v := range n {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	return nil
}

// shellCommands splits a run: script into simple commands, each a list of
// words with the quotes removed: lines (continuations joined), comments
// dropped, split at ; && || |. Enough for a workflow's scripts.
func shellCommands(script string) [][]string {
	var out [][]string
	script = strings.ReplaceAll(script, "\\\n", " ")
	for _, line := range strings.Split(script, "\n") {
		var words []string
		var word strings.Builder
		inWord := false
		var quote rune
		flush := func() {
			if inWord {
				words = append(words, word.String())
			}
			word.Reset()
			inWord = false
		}
		end := func() {
			flush()
			if len(words) > 0 {
				out = append(out, words)
			}
			words = nil
		}
		runes := []rune(line)
		for i := 0; i < len(runes); i++ {
			r := runes[i]
			switch {
			case quote != 0:
				if r == quote {
					quote = 0
				} else {
					word.WriteRune(r)
				}
			case r == '\'' || r == '"':
				quote, inWord = r, true
			case r == '#' && !inWord:
				i = len(runes)
			case r == ';' || r == '|' || r == '&':
				end()
				if i+1 < len(runes) && (runes[i+1] == '&' || runes[i+1] == '|') {
					i++
				}
			case r == ' ' || r == '\t':
				flush()
			default:
				word.WriteRune(r)
				inWord = true
			}
		}
		end()
	}
	return out
}

// majorRef is the one tag a release may force: vX, by its variable.
var majorRef = regexp.MustCompile(`^(refs/tags/)?\$\{?MAJOR\}?$`)

// tagMoves returns what a command does to tags that the release must not:
// a forced or deleted tag that is not the major tag.
func tagMoves(words []string) []string {
	if len(words) < 2 {
		return nil
	}
	flags := func(args []string, names ...string) bool {
		return slices.ContainsFunc(args, func(a string) bool { return slices.Contains(names, a) })
	}
	operands := func(args []string) []string {
		var ops []string
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				ops = append(ops, a)
			}
		}
		return ops
	}
	var bad []string
	switch {
	case words[0] == "git" && words[1] == "tag":
		args := words[2:]
		switch {
		case flags(args, "-d", "--delete"):
			bad = append(bad, "deletes a tag")
		case flags(args, "-f", "--force"):
			for _, op := range tagNames(args) {
				if !majorRef.MatchString(op) {
					bad = append(bad, fmt.Sprintf("forces tag %s, which is not the major tag $MAJOR", op))
				}
			}
		}
	case words[0] == "git" && words[1] == "push":
		args := words[2:]
		forced := flags(args, "-f", "--force", "--force-with-lease", "--mirror")
		if flags(args, "-d", "--delete", "--prune") {
			bad = append(bad, "deletes remote refs")
		}
		if forced && flags(args, "--tags", "--all") {
			bad = append(bad, "force-pushes every tag")
		}
		for i, op := range operands(args) {
			if i == 0 {
				continue // the remote
			}
			switch {
			case strings.HasPrefix(op, ":"):
				bad = append(bad, fmt.Sprintf("deletes %s", op[1:]))
			case strings.HasPrefix(op, "+") && !majorRef.MatchString(op[1:]):
				bad = append(bad, fmt.Sprintf("forces %s, which is not the major tag", op[1:]))
			case forced && !majorRef.MatchString(op):
				bad = append(bad, fmt.Sprintf("forces %s, which is not the major tag", op))
			}
		}
	case words[0] == "gh" && words[1] == "release" && len(words) > 2 && (words[2] == "delete" || words[2] == "delete-asset"):
		bad = append(bad, "deletes a release")
	case words[0] == "gh" && words[1] == "api":
		joined := strings.Join(words, " ")
		if strings.Contains(joined, "git/refs/tags") && regexp.MustCompile(`(-X|--method)\s*(DELETE|PATCH)`).MatchString(joined) {
			bad = append(bad, "changes or deletes a tag through the API")
		}
	}
	return bad
}

// createsVersionTag reports whether a command brings a version tag into
// being: tags or pushes a tag other than the major tag, or makes a
// release that would create its tag.
func createsVersionTag(words []string) bool {
	if len(words) < 3 {
		return false
	}
	notMajor := func(op string) bool { return !strings.HasPrefix(op, "-") && !majorRef.MatchString(op) }
	switch {
	case words[0] == "git" && words[1] == "tag":
		return slices.ContainsFunc(tagNames(words[2:]), notMajor)
	case words[0] == "git" && words[1] == "push":
		return slices.ContainsFunc(words[3:], func(op string) bool {
			return notMajor(op) && strings.Contains(strings.TrimLeft(op, "+:"), "refs/tags/")
		})
	case words[0] == "gh" && words[1] == "release" && words[2] == "create":
		return true
	}
	return false
}

// tagNames returns the names (and commits) a git tag command is given,
// without its options and their values.
func tagNames(args []string) []string {
	var names []string
	for i := 0; i < len(args); i++ {
		switch {
		case slices.Contains([]string{"-m", "--message", "-F", "--file", "-u", "--local-user"}, args[i]):
			i++
		case !strings.HasPrefix(args[i], "-"):
			names = append(names, args[i])
		}
	}
	return names
}

// stepRef names one step of the workflow.
type stepRef struct {
	job  string
	i    int
	step *wfStep
}

func (s stepRef) String() string { return fmt.Sprintf("%s step %d (%s)", s.job, s.i+1, s.step.Name) }

// releaseWorkflowProblems returns every rule of a release that w breaks.
func releaseWorkflowProblems(w *workflowFile) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if _, ok := w.On["push"]; ok {
		add("a push starts the release: a pushed tag would name a commit before its pins exist; start it by hand (workflow_dispatch)")
	}
	dispatch, _ := w.On["workflow_dispatch"].(map[string]any)
	inputs, _ := dispatch["inputs"].(map[string]any)
	if version, _ := inputs["version"].(map[string]any); version == nil || version["required"] != true {
		add("workflow_dispatch takes no required version input")
	}

	// before reports whether a runs before b: earlier in the same job, or
	// in a job b's job needs, directly or not.
	var needsAll func(job string, seen map[string]bool) map[string]bool
	needsAll = func(job string, seen map[string]bool) map[string]bool {
		if j := w.Jobs[job]; j != nil {
			for _, n := range j.needs() {
				if !seen[n] {
					seen[n] = true
					needsAll(n, seen)
				}
			}
		}
		return seen
	}
	before := func(a, b stepRef) bool {
		if a.job == b.job {
			return a.i < b.i
		}
		return needsAll(b.job, map[string]bool{})[a.job]
	}

	var binaries, pin, commit, image, tagged, published []stepRef
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range w.Jobs {
			if !yield(k) {
				return
			}
		}
	}) {
		job := w.Jobs[name]
		for i := range job.Steps {
			st := &job.Steps[i]
			ref := stepRef{name, i, st}
			if strings.HasPrefix(st.Uses, "docker/build-push-action@") && st.With["push"] == "true" {
				image = append(image, ref)
			}
			movesMajor := false
			for _, words := range shellCommands(st.Run) {
				for _, b := range tagMoves(words) {
					add("%s: %q %s: only the major tag vX may move, and no tag is deleted", ref, strings.Join(words, " "), b)
				}
				line := strings.Join(words, " ")
				switch {
				case strings.Contains(line, "tools/release-binaries.sh"):
					binaries = append(binaries, ref)
				case strings.Contains(line, "tools/pin.sh"):
					pin = append(pin, ref)
				case len(words) > 2 && words[0] == "git" && words[1] == "commit":
					commit = append(commit, ref)
				}
				if createsVersionTag(words) {
					if words[0] == "gh" {
						published = append(published, ref)
						if !slices.Contains(words, "--verify-tag") {
							add("%s: gh release create without --verify-tag creates the tag itself, on whatever commit it is given", ref)
						}
					} else {
						tagged = append(tagged, ref)
					}
				}
				if slices.ContainsFunc(words, func(w string) bool { return majorRef.MatchString(strings.TrimLeft(w, "+")) }) {
					movesMajor = true
				}
			}
			if movesMajor {
				env := job.Env["MAJOR"]
				if v, ok := st.Env["MAJOR"]; ok {
					env = v
				}
				if !regexp.MustCompile(`^\$\{\{ needs\.\w+\.outputs\.major \}\}$`).MatchString(env) {
					add("%s moves $MAJOR, which is %q, not a job's major output", ref, env)
				}
				if !strings.Contains(st.Run, `[[ "$MAJOR" =~ ^v[0-9]+$ ]]`) {
					add("%s moves $MAJOR without checking first that it is vN", ref)
				}
			}
		}
	}
	if len(tagged) == 0 {
		add("no step creates the version tag (git push of refs/tags/$VERSION)")
	}
	for _, want := range []struct {
		what  string
		steps []stepRef
	}{
		{"the image is pushed (docker/build-push-action with push: true)", image},
		{"the binaries are built and summed (tools/release-binaries.sh)", binaries},
		{"both action.yml files are pinned (tools/pin.sh)", pin},
		{"the release commit is made (git commit)", commit},
	} {
		if len(want.steps) == 0 {
			add("no step shows that %s", want.what)
		}
		for _, tag := range append(slices.Clone(tagged), published...) {
			for _, s := range want.steps {
				if !before(s, tag) {
					add("%s creates a version tag, but not after %s (%s)", tag, want.what, s)
				}
			}
		}
	}
	for _, p := range published {
		for _, tag := range tagged {
			if !before(tag, p) {
				add("%s publishes the release before %s pushes its tag", p, tag)
			}
		}
	}
	return problems
}

// TestReleaseWorkflow: the release never moves or deletes a vX.Y.Z tag
// (only vX moves), and tags the release commit only after the image is
// pushed, the binaries are built and summed and both action.yml files
// pinned. Each rule also runs against a broken copy.
func TestReleaseWorkflow(t *testing.T) {
	t.Parallel()
	step := func(w *workflowFile, name string) *wfStep {
		for _, j := range w.Jobs {
			for i := range j.Steps {
				if j.Steps[i].Name == name {
					return &j.Steps[i]
				}
			}
		}
		t.Fatalf("%s has no step %q", releaseWorkflow, name)
		return nil
	}
	replace := func(name, old, new string) func(w *workflowFile) {
		return func(w *workflowFile) {
			s := step(w, name)
			if !strings.Contains(s.Run, old) {
				t.Fatalf("step %q does not run %q", name, old)
			}
			s.Run = strings.Replace(s.Run, old, new, 1)
		}
	}
	const tagStep, majorStep, releaseStep = "Create the tag", "Move the major tag", "Create the GitHub release"
	pushTag := `git push origin "refs/tags/$VERSION"`
	tests := []struct {
		name string
		edit func(w *workflowFile)
		want string
	}{
		{name: "as written"},
		{"a forced push of the version tag", replace(tagStep, pushTag, `git push --force origin "refs/tags/$VERSION"`), `forces refs/tags/$VERSION, which is not the major tag`},
		{"a plus refspec", replace(tagStep, pushTag, `git push origin "+refs/tags/$VERSION"`), `forces refs/tags/$VERSION, which is not the major tag`},
		{"the tag moved locally", replace(tagStep, `git tag --annotate "$VERSION"`, `git tag -f -a "$VERSION"`), `forces tag $VERSION, which is not the major tag`},
		{"a deleted remote tag", replace(tagStep, pushTag, "git push origin :refs/tags/$VERSION && "+pushTag), `deletes refs/tags/$VERSION`},
		{"git push --delete", replace(tagStep, pushTag, `git push --delete origin "$VERSION"; `+pushTag), `deletes remote refs`},
		{"a deleted local tag", replace(tagStep, pushTag, `git tag -d "$VERSION" || true`+"\n"+pushTag), `deletes a tag`},
		{"a deleted release", replace(releaseStep, `gh release create`, `gh release delete "$VERSION" --yes --cleanup-tag; gh release create`), `deletes a release`},
		{"a tag ref patched through the API", replace(tagStep, pushTag, pushTag+"\ngh api -X PATCH \"repos/$GITHUB_REPOSITORY/git/refs/tags/$VERSION\" -f sha=x"), "changes or deletes a tag through the API"},
		{"every tag forced", replace(majorStep, `git push --force origin "refs/tags/$MAJOR"`, `git push --force --tags origin`), "force-pushes every tag"},
		{"the old way: forcing a list of refs", replace(majorStep, `git push --force origin "refs/tags/$MAJOR"`, `git push --force origin "${refs[@]}"`), `forces ${refs[@]}, which is not the major tag`},
		{"MAJOR bound to the version", func(w *workflowFile) {
			w.Jobs["release"].Env["MAJOR"] = "${{ needs.prepare.outputs.version }}"
		}, `moves $MAJOR, which is "${{ needs.prepare.outputs.version }}"`},
		{"MAJOR not checked", replace(majorStep, `if ! [[ "$MAJOR" =~ ^v[0-9]+$ ]]; then`, `if false; then`), "without checking first that it is vN"},
		{"tagged before the pins", func(w *workflowFile) {
			steps := w.Jobs["release"].Steps
			i := slices.IndexFunc(steps, func(s wfStep) bool { return s.Name == tagStep })
			tag := steps[i]
			steps = slices.Delete(steps, i, i+1)
			w.Jobs["release"].Steps = slices.Insert(steps, 2, tag)
		}, "creates a version tag, but not after both action.yml files are pinned"},
		{"tagged without waiting for the image", func(w *workflowFile) { w.Jobs["release"].Needs = "prepare" }, "but not after the image is pushed"},
		{"a release that makes its own tag", replace(releaseStep, "--verify-tag ", ""), "without --verify-tag creates the tag itself"},
		{"released before the tag is pushed", func(w *workflowFile) {
			steps := w.Jobs["release"].Steps
			i := slices.IndexFunc(steps, func(s wfStep) bool { return s.Name == tagStep })
			j := slices.IndexFunc(steps, func(s wfStep) bool { return s.Name == releaseStep })
			steps[i], steps[j] = steps[j], steps[i]
		}, "publishes the release before"},
		{"started by a pushed tag", func(w *workflowFile) { w.On["push"] = map[string]any{"tags": []any{"v*"}} }, "a push starts the release"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := readWorkflow(t, releaseWorkflow)
			if tt.edit != nil {
				tt.edit(w)
			}
			problems := releaseWorkflowProblems(w)
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

func TestShellCommands(t *testing.T) {
	t.Parallel()
	got := shellCommands("set -eu # strict\ngit push --force origin \"refs/tags/$MAJOR\" && echo 'a; b' | tee x\nfoo \\\n  bar # c\n")
	want := [][]string{{"set", "-eu"}, {"git", "push", "--force", "origin", "refs/tags/$MAJOR"}, {"echo", "a; b"}, {"tee", "x"}, {"foo", "bar"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("commands = %q, want %q", got, want)
	}
}
