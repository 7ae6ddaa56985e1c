package report

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

// minSecret is the shortest value redacted: replacing every "a" of a
// one-letter "secret" would garble the text and hide nothing (the runner
// still masks it in the log).
const minSecret = 4

// Redact replaces every secret in s with ***, until none is left: the
// mask and the text around it cannot make up a secret again. (Each round
// shortens s, as a secret is longer than the mask.)
func (ss Secrets) Redact(s string) string {
	for again := true; again; {
		again = false
		for _, secret := range ss {
			if len(secret) >= minSecret && strings.Contains(s, secret) {
				s, again = strings.ReplaceAll(s, secret, "***"), true
			}
		}
	}
	return s
}

// RedactMarkdown is Redact for the summary, where a secret that came in
// from outside (an API echoing it) has been escaped by the time the text
// is complete: sk_live_1 is written sk\_live\_1, and renders as the
// secret. Each secret is looked for as written and as md, code and link
// write it.
func (ss Secrets) RedactMarkdown(s string) string {
	for _, secret := range ss {
		if len(secret) < minSecret {
			continue
		}
		for _, form := range []string{secret, md(secret), strings.Trim(code(secret), "`"), urlEscaper.Replace(secret)} {
			s = strings.ReplaceAll(s, form, `\*\*\*`)
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
