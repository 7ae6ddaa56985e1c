package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode"
)

// Command is a workflow command as the runner reads it from one line of a
// step's output.
type Command struct {
	Name string // lower case
	// Legacy is the older ##[name]data form, which the runner finds
	// anywhere in a line, not only at its start.
	Legacy bool
	Data   string // unescaped
}

// registered are the commands the runner acts on (actions/runner
// ActionCommandManager); a line naming another is plain text.
var registered = map[string]bool{
	"add-mask": true, "add-matcher": true, "add-path": true, "debug": true, "echo": true,
	"endgroup": true, "error": true, "group": true, "notice": true, "remove-matcher": true,
	"save-state": true, "set-env": true, "set-output": true, "stop-commands": true, "warning": true,
}

// ParseCommand reads line as the runner does (actions/runner
// ActionCommand.TryParseV2, then TryParse): "::name props::data" at the
// start of the line once leading white space is trimmed, else "##[name
// props]data" anywhere in it. Names are matched without regard to case.
func ParseCommand(line string) (Command, bool) {
	if rest, ok := strings.CutPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::"); ok {
		if info, data, ok := strings.Cut(rest, "::"); ok {
			if name := commandName(info); registered[name] {
				return Command{Name: name, Data: unescape(data, "%0D", "\r", "%0A", "\n", "%25", "%")}, true
			}
		}
	}
	if _, rest, ok := strings.Cut(line, "##["); ok {
		if info, data, ok := strings.Cut(rest, "]"); ok {
			if name := commandName(info); registered[name] {
				return Command{Name: name, Legacy: true, Data: unescape(data, "%3B", ";", "%0D", "\r", "%0A", "\n", "%5D", "]", "%25", "%")}, true
			}
		}
	}
	return Command{}, false
}

func commandName(info string) string {
	name, _, _ := strings.Cut(info, " ")
	return strings.ToLower(name)
}

// unescape undoes the runner's escapes one after the other, in its order.
func unescape(s string, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return s
}

// CheckLog reads a step's stdout as the runner does and returns what the
// action must never print: a workflow command it did not issue (issued
// names the commands it does; they start their line and use the current
// form), and a secret of four bytes or more shown anywhere but in the
// ::add-mask:: command that registers it (the action redacts no shorter
// secret; the runner masks those). A command's message counts as shown
// unescaped, as the runner shows it.
func CheckLog(stdout string, secrets []string, issued ...string) []string {
	var problems []string
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		shown := line
		if cmd, ok := ParseCommand(line); ok {
			if cmd.Legacy || !strings.HasPrefix(line, "::") || !slices.Contains(issued, cmd.Name) {
				problems = append(problems, fmt.Sprintf("line %q is a %s command the action did not issue", line, cmd.Name))
				continue
			}
			if cmd.Name == "add-mask" {
				if !slices.Contains(secrets, cmd.Data) {
					problems = append(problems, fmt.Sprintf("line %q masks %q, which is no secret", line, cmd.Data))
				}
				continue
			}
			shown = cmd.Data
		}
		for _, s := range secrets {
			if len(s) >= 4 && strings.Contains(shown, s) {
				problems = append(problems, fmt.Sprintf("line %q shows the secret %q", line, s))
			}
		}
	}
	return problems
}

// Hostile reads the project's hostile strings (testdata/hostile.json, at
// path): text built to forge workflow commands, outputs and markdown, the
// seeds of the fuzz targets and of the tests of hostile inputs.
func Hostile(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ss, nil
}
