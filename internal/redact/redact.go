// Package redact keeps the step's secrets (the api-key and the token) out
// of everything it leaves behind: log lines, annotations, outputs, the
// summary and the variables it hands on. The runner masks a registered
// secret in the log only as written; an API may echo it back in another
// form, and the step's own escaping may change it.
package redact

import (
	"bytes"
	"io"
	"strings"
)

// Secrets are values that must never be left behind: the api-key and the
// token. The runner masks them in the log once ::add-mask:: registers
// them; redacting here as well covers text an API echoes back, the
// summary and the outputs.
type Secrets []string

// MinLen is the shortest value redacted: replacing every "a" of a
// one-letter "secret" would garble the text and hide nothing (the runner
// still masks it in the log).
const MinLen = 4

// Redact replaces every secret in s with ***, until none is left: the
// mask and the text around it cannot make up a secret again. (Each round
// shortens s, as a secret is longer than the mask.)
func (ss Secrets) Redact(s string) string {
	for again := true; again; {
		again = false
		for _, secret := range ss {
			if len(secret) >= MinLen && strings.Contains(s, secret) {
				s, again = strings.ReplaceAll(s, secret, "***"), true
			}
		}
	}
	return s
}

// escaped adds to ss the form each secret takes in the message of a
// workflow command (% \r \n escaped), which the runner shows unescaped.
func (ss Secrets) escaped() Secrets {
	out := append(Secrets(nil), ss...)
	for _, s := range ss {
		if e := dataEscaper.Replace(s); e != s {
			out = append(out, e)
		}
	}
	return out
}

// dataEscaper escapes a workflow command's message as go-githubactions
// does.
var dataEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")

// Writer returns w with every secret redacted from what is written to it,
// except in the ::add-mask:: commands that register them. The runner's
// library writes each command or line in one call.
func (ss Secrets) Writer(w io.Writer) io.Writer {
	if len(ss) == 0 {
		return w
	}
	return &redactor{w: w, ss: ss.escaped()}
}

type redactor struct {
	w  io.Writer
	ss Secrets
}

func (r *redactor) Write(p []byte) (int, error) {
	if bytes.HasPrefix(p, []byte("::add-mask::")) {
		return r.w.Write(p)
	}
	// Only the message of a workflow command is text: its name and
	// properties are ours and keep their syntax.
	head, text := []byte(nil), p
	if bytes.HasPrefix(p, []byte("::")) {
		if i := bytes.Index(p[2:], []byte("::")); i >= 0 {
			head, text = p[:i+4], p[i+4:]
		}
	}
	if _, err := io.WriteString(r.w, string(head)+r.ss.Redact(string(text))); err != nil {
		return 0, err
	}
	return len(p), nil
}
