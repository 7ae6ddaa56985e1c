package runner

import (
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
