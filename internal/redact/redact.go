// Package redact keeps the step's secrets (the api-key and the token) out
// of everything it leaves behind: log lines, annotations, outputs, the
// summary and the variables and state it hands on. The runner masks a
// registered secret in the log only as written; an API may echo it back
// in another form (forms.go), and the step's own escaping may change it.
package redact

import (
	"bytes"
	"cmp"
	"io"
	"slices"
	"strings"
)

// MinLen is the shortest value redacted: replacing every "a" of a
// one-letter "secret" would garble the text and hide nothing (the runner
// still masks it in the log).
const MinLen = 4

// The masks: markdown would read *** as emphasis markers and show nothing.
const (
	Mask         = "***"
	MarkdownMask = `\*\*\*`
)

// Secrets are values that must never be left behind, each split once
// into the tokens its forms are matched by (forms.go). The nil *Secrets
// redacts nothing.
type Secrets struct {
	values  []string // longest first
	secrets []secret // of each value
	// intro holds the bytes that begin an escape: text without any holds a
	// secret only as written.
	intro string
}

// secret is one value split into tokens, with the bytes its forms start
// with, so that text is looked at only from those.
type secret struct {
	tokens []token
	starts [256]bool // a form of the first token
	then   [256]bool // a form of the second
}

// New returns the secrets among values: those of MinLen bytes or more.
func New(values ...string) *Secrets {
	ss := &Secrets{intro: `\%&`}
	for _, v := range values {
		if len(v) >= MinLen && !slices.Contains(ss.values, v) {
			ss.values = append(ss.values, v)
		}
	}
	// Longest first: of two secrets, one a part of the other, the longer
	// is redacted whole.
	slices.SortStableFunc(ss.values, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, v := range ss.values {
		tks, min := tokenize(v, true)
		if min < MinLen {
			// Folded, its white space could make a form shorter than the
			// mask, and Redact's rounds longer.
			tks, _ = tokenize(v, false)
		}
		sc := secret{tokens: tks}
		sc.starts = tks[0].starts()
		if len(tks) > 1 {
			sc.then = tks[1].starts()
		}
		ss.secrets = append(ss.secrets, sc)
		// Forms without an escape, other than the secret as written.
		for _, tk := range tks {
			switch {
			case tk.r == '`' && !strings.Contains(ss.intro, "'"):
				ss.intro += "'"
			case tk.space > 0 && !strings.Contains(ss.intro, "+"):
				ss.intro += " \t\n\r\f\v+"
			}
		}
	}
	return ss
}

// Redact replaces every form of every secret in s with ***.
func (ss *Secrets) Redact(s string) string { return ss.mask(s, Mask) }

// Markdown replaces every form of every secret in s, a markdown text, with
// \*\*\*.
func (ss *Secrets) Markdown(s string) string { return ss.mask(s, MarkdownMask) }

// mask replaces the secrets in s with mask, in rounds until none is left,
// so that the mask and the text around it cannot make up a secret again.
// Only a secret holding a character of the mask can meet it; for the
// others one round is enough. (Each round of *** shortens s, as every
// form is longer than the mask; a round of the markdown mask that does
// not is the last.)
func (ss *Secrets) mask(s, mask string) string {
	if ss == nil {
		return s
	}
	for {
		t := ss.replace(s, mask)
		if t == s || !ss.meet(mask) || len(t) >= len(s) {
			return t
		}
		s = t
	}
}

// replace replaces, from left to right, the longest form of a secret that
// starts at each position.
func (ss *Secrets) replace(s, mask string) string {
	if !ss.mayHold(s) {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		end := -1
		for j := range ss.secrets {
			if sc := &ss.secrets[j]; sc.may(s, i) {
				end = max(end, match(s, i, sc.tokens))
			}
		}
		if end < 0 {
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(mask)
		last, i = end, end-1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// mayHold reports whether s may hold a secret: as written, or with an
// escape.
func (ss *Secrets) mayHold(s string) bool {
	for i := 0; i < len(ss.intro); i++ {
		if strings.IndexByte(s, ss.intro[i]) >= 0 {
			return true
		}
	}
	return slices.ContainsFunc(ss.values, func(v string) bool { return strings.Contains(s, v) })
}

// may reports whether a form of the secret may start at i: its first
// token's, and when that is one byte as written, its second token's just
// after.
func (sc *secret) may(s string, i int) bool {
	c := s[i]
	switch {
	case !sc.starts[c]:
		return false
	case c == '\\' || c == '%' || c == '&' || i+1 == len(s) || len(sc.tokens) < 2:
		return true
	case sc.tokens[0].space == 0 && len(sc.tokens[0].text) == 1:
		return sc.then[s[i+1]]
	}
	return true
}

// match returns the end of the longest form of the secret tks that starts
// at i in s, or -1.
func match(s string, i int, tks []token) int {
	cur, next := make([]int, 1, 8), make([]int, 0, 8)
	cur[0] = i
	for _, tk := range tks {
		next = next[:0]
		for _, p := range cur {
			next = tk.ends(s, p, next)
		}
		if len(next) == 0 {
			return -1
		}
		cur, next = dedup(next), cur
	}
	return cur[len(cur)-1]
}

// meet reports whether a secret holds a character of mask.
func (ss *Secrets) meet(mask string) bool {
	return slices.ContainsFunc(ss.values, func(v string) bool { return strings.ContainsAny(v, mask) })
}

// Writer returns w with every secret redacted from what is written to it,
// except in the ::add-mask:: commands that register them. The runner's
// library writes each command or line in one call.
func (ss *Secrets) Writer(w io.Writer) io.Writer {
	if ss == nil || len(ss.values) == 0 {
		return w
	}
	return &redactor{w: w, ss: ss}
}

type redactor struct {
	w  io.Writer
	ss *Secrets
}

func (r *redactor) Write(p []byte) (int, error) {
	if bytes.HasPrefix(p, []byte("::add-mask::")) {
		return r.w.Write(p)
	}
	// A workflow command keeps its syntax: its name is ours, and the
	// values of its properties and its message are redacted each on its
	// own. Their escaping (%25, %0A, %3A) is a form the secrets are
	// matched in.
	line := string(p)
	head, msg, ok := strings.Cut(strings.TrimPrefix(line, "::"), "::")
	if ok && strings.HasPrefix(line, "::") {
		line = "::" + r.ss.properties(head) + "::" + r.ss.Redact(msg)
	} else {
		line = r.ss.Redact(line)
	}
	if _, err := io.WriteString(r.w, line); err != nil {
		return 0, err
	}
	return len(p), nil
}

// properties redacts the values of a workflow command's properties:
// "name key=value,key=value".
func (ss *Secrets) properties(head string) string {
	name, props, ok := strings.Cut(head, " ")
	if !ok {
		return head
	}
	kvs := strings.Split(props, ",")
	for i, kv := range kvs {
		if k, v, ok := strings.Cut(kv, "="); ok {
			kvs[i] = k + "=" + ss.Redact(v)
		}
	}
	return name + " " + strings.Join(kvs, ",")
}
