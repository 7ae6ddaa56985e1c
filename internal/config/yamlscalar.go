package config

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// scalar reads a quoted or plain scalar on one line.
func (p *yParser) scalar() *yNode {
	switch c := p.peek(); c {
	case '"':
		return &yNode{kind: yScalar, tag: "!!str", value: p.doubleQuoted()}
	case '\'':
		return &yNode{kind: yScalar, tag: "!!str", value: p.singleQuoted()}
	case '&':
		p.unsupported("anchors (&%s) are not supported in products: write the value out", p.name())
	case '*':
		p.unsupported("aliases (*%s) are not supported in products: write the value out", p.name())
	case '!':
		p.unsupported("tags (!%s) are not supported in products: quote a value to make it a string", p.name())
	case '|', '>':
		p.unsupported("block scalars (%c) are not supported in products: write the value on one line, quoted if need be", c)
	case '%':
		p.unsupported("directives (%%) are not supported in products")
	case '?':
		p.unsupported("complex keys (?) are not supported in products")
	case '@', '`':
		p.fail("a value cannot start with %c: quote it", c)
	case 0, '\n', ' ', '\t', ':', ',', ']', '}', '#', '-':
		if c == '-' && !p.blankAt(p.pos+1) {
			break
		}
		p.unexpected()
	}
	return p.plain()
}

// name is the anchor, alias or tag name after the indicator at pos.
func (p *yParser) name() string {
	end := p.pos + 1
	for end < len(p.src) && !strings.ContainsRune(" \t\n,[]{}", rune(p.src[end])) {
		end++
	}
	return p.src[p.pos+1 : end]
}

// plain reads a plain scalar: up to ': ', ' #' or the line's end, and in
// [ ] or { } up to , [ ] { }. The first character is taken whatever it is.
func (p *yParser) plain() *yNode {
	start, end := p.pos, p.pos+1
	p.pos++
	for {
		c := p.peek()
		switch {
		case c == 0 || c == '\n':
		case c == ' ':
			q := p.pos
			for p.at(q) == ' ' {
				q++
			}
			if c := p.at(q); c == '#' || c == '\n' || c == 0 || c == '\t' {
				break
			}
			p.pos = q
			continue
		case c == '\t':
			p.unsupported("tabs are not supported outside quotes: quote the value")
		case c == ':' && p.blankAt(p.pos+1):
		case p.flow > 0 && c == '?':
			p.unsupported("a ? in a value inside [ ] or { } is not supported: quote the value")
		case p.flow > 0 && strings.IndexByte(",[]{}", c) >= 0:
			if p.src[p.pos-1] == ':' {
				p.unsupported("a : right before %c is ambiguous: quote the value", c)
			}
		default:
			p.pos++
			end = p.pos
			continue
		}
		break
	}
	v := p.src[start:end]
	p.pos = end
	return &yNode{kind: yScalar, tag: resolvePlain(v), value: v}
}

// singleQuoted reads '...', where two quotes in a row stand for one.
func (p *yParser) singleQuoted() string {
	var b strings.Builder
	p.pos++
	for {
		switch c := p.peek(); c {
		case 0, '\n':
			p.unsupported("a quoted value that spans lines is not supported: close the quote on its line")
		case '\'':
			if p.at(p.pos+1) != '\'' {
				p.pos++
				return b.String()
			}
			b.WriteByte('\'')
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// escapes are the one-letter escapes of double quotes, as yaml.v3 reads
// them (no \/, unlike JSON).
var escapes = map[byte]string{'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", '\t': "\t", 'n': "\n", 'v': "\v",
	'f': "\f", 'r': "\r", 'e': "\x1b", ' ': " ", '"': "\"", '\'': "'", '\\': "\\",
	'N': "\u0085", '_': "\u00a0", 'L': "\u2028", 'P': "\u2029"}

// doubleQuoted reads "...", with the escapes yaml.v3 reads.
func (p *yParser) doubleQuoted() string {
	var b strings.Builder
	p.pos++
	for {
		switch c := p.peek(); c {
		case 0, '\n':
			p.unsupported("a quoted value that spans lines is not supported: close the quote on its line")
		case '"':
			p.pos++
			return b.String()
		case '\\':
			e := p.at(p.pos + 1)
			if s, ok := escapes[e]; ok {
				b.WriteString(s)
				p.pos += 2
				continue
			}
			size := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if size == 0 {
				if e == '\n' || e == 0 {
					p.unsupported("a quoted value that spans lines is not supported: close the quote on its line")
				}
				p.fail("unknown escape \\%c in a double-quoted value", e)
			}
			hex := p.src[p.pos+2 : min(p.pos+2+size, len(p.src))]
			v, err := strconv.ParseUint(hex, 16, 32)
			if len(hex) < size || err != nil || strings.ContainsAny(hex, "+-_xX") {
				p.fail("\\%c needs %d hexadecimal digits", e, size)
			}
			if v >= 0xD800 && v <= 0xDFFF || v > 0x10FFFF {
				p.fail("\\%s is not a Unicode character (YAML has no surrogate pairs): write the character itself", p.src[p.pos+1:p.pos+2+size])
			}
			b.WriteRune(rune(v))
			p.pos += 2 + size
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// yamlFloat is yaml.v3's pattern for a float, compiled when a products
// input first needs it.
var yamlFloat = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
})

// resolvePlain is the tag yaml.v3 gives a plain scalar (its resolve, for
// the tags nodeJSON and nodeKind tell apart; a timestamp is a string).
func resolvePlain(s string) string {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return "!!null"
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return "!!bool"
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return "!!float"
	}
	switch c := s[0]; {
	case c == '.':
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return "!!float"
		}
	case c == '+' || c == '-' || c >= '0' && c <= '9':
		plain := strings.ReplaceAll(s, "_", "")
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return "!!int"
		}
		if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return "!!int"
		}
		if _, err := strconv.ParseFloat(plain, 64); err == nil && yamlFloat().MatchString(plain) {
			return "!!float"
		}
		for _, prefix := range []string{"0b", "-0b", "0o", "-0o"} {
			if digits, ok := strings.CutPrefix(plain, prefix); ok {
				base := map[byte]int{'b': 2, 'o': 8}[prefix[len(prefix)-1]]
				if _, err := strconv.ParseInt(strings.TrimSuffix(prefix, prefix[len(prefix)-2:])+digits, base, 64); err == nil {
					return "!!int"
				}
				if _, err := strconv.ParseUint(digits, base, 64); err == nil && prefix[0] != '-' {
					return "!!int"
				}
			}
		}
	}
	return "!!str"
}
