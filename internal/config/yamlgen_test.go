package config

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestParseYAMLGenerated holds parseYAML to yaml.v3 on documents built
// the way people write them (block and flow styles mixed, quotes,
// comments, odd indentation), which byte-level fuzzing seldom reaches,
// and on each with one character changed.
func TestParseYAMLGenerated(t *testing.T) {
	t.Parallel()
	n := 4000
	if testing.Short() {
		n = 500
	}
	r := rand.New(rand.NewPCG(14, 2026))
	accepted, mutants := 0, 0
	for range n {
		g := &gen{r: r}
		var b strings.Builder
		g.block(&b, g.value(0), 0)
		s := b.String()
		if r.IntN(8) == 0 {
			s = "# products\n---\n" + s
		}
		if r.IntN(8) == 0 {
			s = strings.ReplaceAll(s, "\n", "\r\n")
		}
		if checkTree(t, s) {
			accepted++
		}
		for range 4 {
			if checkTree(t, mutate(r, s)) {
				mutants++
			}
		}
	}
	t.Logf("parseYAML read %d of %d documents and %d of %d mutants as yaml.v3 does", accepted, n, mutants, 4*n)
	if accepted < n/2 {
		t.Errorf("parseYAML read only %d of %d generated documents: the generator or the parser is off", accepted, n)
	}
}

// gen builds random documents.
type gen struct {
	r *rand.Rand
}

// scalars are values that YAML reads in surprising ways.
var genScalars = []string{"a", "shop-api", "1.4.0", "1.10", "010", "0x1F", "1e3", "1e400", ".inf", "-.nan", "True", "FALSE",
	"yes", "on", "~", "null", "", "2024-01-02", "a b", "a#b", "a: b", "https://x.example:8443/a?b#c", "-1", "+1",
	"1_000", "0b11", "0o17", "<<", "é", "日本", "a,b", "[x]", "{x}", "'q'", `"dq"`, "@x", "%x", "!x", "&x", "*x", "- x",
	"? x", "a\tb", "x:", ":x", "#x", "a  b", " lead", "trail ", "a@1", "it's", `back\slash`, "-", "--- x", "..."}

func (g *gen) value(depth int) any {
	switch k := g.r.IntN(10); {
	case depth < 3 && k < 2:
		l := make([]any, g.r.IntN(4))
		for i := range l {
			l[i] = g.value(depth + 1)
		}
		return l
	case depth < 3 && k < 5:
		m := make([][2]any, g.r.IntN(4))
		for i := range m {
			m[i] = [2]any{genScalars[g.r.IntN(len(genScalars))], g.value(depth + 1)}
		}
		return m
	}
	return genScalars[g.r.IntN(len(genScalars))]
}

// scalar writes s plain, single- or double-quoted.
func (g *gen) scalar(s string) string {
	switch g.r.IntN(4) {
	case 0:
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	case 1:
		var b strings.Builder
		b.WriteByte('"')
		for _, c := range s {
			switch {
			case c == '"' || c == '\\':
				b.WriteString(`\` + string(c))
			case c == '\t':
				b.WriteString(`\t`)
			case c > 127 || g.r.IntN(20) == 0:
				fmt.Fprintf(&b, `\u%04x`, c)
			default:
				b.WriteRune(c)
			}
		}
		b.WriteByte('"')
		return b.String()
	}
	return s
}

func (g *gen) space() string { return strings.Repeat(" ", g.r.IntN(3)) }

// comment ends a line, sometimes with a comment.
func (g *gen) comment() string {
	switch g.r.IntN(10) {
	case 0:
		return " # note: a, b [c]\n"
	case 1:
		return "\n\n"
	case 2:
		return "\n" + strings.Repeat(" ", g.r.IntN(6)) + "# a comment line\n"
	}
	return "\n"
}

// flow writes v in [ ] and { }, sometimes over lines.
func (g *gen) flow(b *strings.Builder, v any) {
	sep := func() {
		b.WriteString(g.space() + ",")
		switch g.r.IntN(8) {
		case 0, 1:
			b.WriteString("\n" + strings.Repeat(" ", g.r.IntN(5)))
		case 2:
			b.WriteString(" # in braces\n\t")
		default:
			b.WriteString(g.space())
		}
	}
	switch v := v.(type) {
	case []any:
		b.WriteString("[" + g.space())
		for i, x := range v {
			if i > 0 {
				sep()
			}
			g.flow(b, x)
		}
		b.WriteString(g.space() + "]")
	case [][2]any:
		b.WriteString("{" + g.space())
		for i, kv := range v {
			if i > 0 {
				sep()
			}
			b.WriteString(g.scalar(kv[0].(string)) + g.space() + ":" + " " + g.space())
			g.flow(b, kv[1])
		}
		b.WriteString(g.space() + "}")
	default:
		b.WriteString(g.scalar(v.(string)))
	}
}

// block writes v as a block node whose lines start at column indent; the
// first line's indentation is written already when inline.
func (g *gen) block(b *strings.Builder, v any, indent int) {
	g.blockFrom(b, v, indent, false)
}

// blockFrom writes v as block; inline says its first line's indentation
// is written already (- k: v, - - x).
func (g *gen) blockFrom(b *strings.Builder, v any, indent int, inline bool) {
	padding := strings.Repeat(" ", indent)
	pad := ""
	if !inline {
		pad = padding
	}
	switch v := v.(type) {
	case []any:
		if len(v) == 0 || g.r.IntN(5) == 0 {
			b.WriteString(pad)
			g.flow(b, v)
			b.WriteString(g.comment())
			return
		}
		for _, x := range v {
			b.WriteString(pad + "-")
			pad = padding
			g.item(b, x, indent)
		}
	case [][2]any:
		if len(v) == 0 || g.r.IntN(5) == 0 {
			b.WriteString(pad)
			g.flow(b, v)
			b.WriteString(g.comment())
			return
		}
		for _, kv := range v {
			b.WriteString(pad + g.scalar(kv[0].(string)) + g.space() + ":")
			pad = padding
			g.value1(b, kv[1], indent)
		}
	default:
		b.WriteString(pad + g.scalar(v.(string)) + g.comment())
	}
}

// item writes a list item after its -.
func (g *gen) item(b *strings.Builder, x any, indent int) {
	if _, ok := x.(string); ok || g.r.IntN(3) == 0 {
		b.WriteString(" ")
		if ok {
			b.WriteString(g.scalar(x.(string)) + g.comment())
			return
		}
		g.flow(b, x)
		b.WriteString(g.comment())
		return
	}
	if g.r.IntN(2) == 0 {
		b.WriteString(" ")
		g.blockFrom(b, x, indent+2, true) // - k: v, - - x
		return
	}
	b.WriteString(g.comment())
	g.block(b, x, indent+1+g.r.IntN(3))
}

// value1 writes a mapping value after its key's ':'.
func (g *gen) value1(b *strings.Builder, x any, indent int) {
	if s, ok := x.(string); ok {
		b.WriteString(" " + g.space() + g.scalar(s) + g.comment())
		return
	}
	if g.r.IntN(3) == 0 {
		b.WriteString(" ")
		g.flow(b, x)
		b.WriteString(g.comment())
		return
	}
	b.WriteString(g.comment())
	if _, ok := x.([]any); ok && g.r.IntN(2) == 0 {
		g.block(b, x, indent) // a list at its key's column
		return
	}
	g.block(b, x, indent+1+g.r.IntN(3))
}

// mutate changes, adds or removes one character of s.
func mutate(r *rand.Rand, s string) string {
	if s == "" {
		return s
	}
	i := r.IntN(len(s))
	const chars = " -:#\n'\"[]{},\t?&!|>x1"
	c := string(chars[r.IntN(len(chars))])
	switch r.IntN(3) {
	case 0:
		return s[:i] + s[i+1:]
	case 1:
		return s[:i] + c + s[i:]
	}
	return s[:i] + c + s[i+1:]
}
