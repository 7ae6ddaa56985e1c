package redact

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// A secret reaches what the step leaves behind in whatever form the text
// around it was given: a server echoes it in a URL, a JSON body or an HTML
// page, and the step escapes it again for a workflow command, a log line
// or the summary. A form is matched character by character, so an echo
// that escapes some characters and not others, in either case, is one:
//
//   - as written;
//   - percent-escaped, %2B or %2b, as url.QueryEscape, PathEscape and every
//     other URL encoder write it, and + for a space, as a query writes it;
//     with %25 again before the hex digits (up to maxLayers times): a URL
//     inside a query, or the step's own escaping of a workflow command's
//     message (% \r \n) and properties (also : and ,);
//   - backslash-escaped: JSON's \uXXXX in either case (any character, a
//     surrogate pair beyond the BMP), \n \r \t \b \f, and \/ \" \\; Go's
//     %q (\x, \U, \a, \v); markdown's \ before any punctuation (the
//     summary's md, code and link, and workflow.Printf's ##\[); with up to
//     maxLayers backslashes, as markdown or JSON escapes the backslash of
//     a JSON escape again;
//   - HTML character references, with their semicolon, &#43; &#x2B; &#X2b;
//     and &lt; &gt; &amp; &quot; &apos;, as an error page or the summary's
//     md writes them, with &amp; again before them (md escapes & and #, to
//     &amp;\#43;) up to maxLayers times;
//   - for a backtick, ' (the summary's code spans); for a run of white
//     space, as many or fewer of any white space or +, in any of these
//     forms (the summary and the APIs' messages fold line breaks and runs
//     of spaces into one space).
//
// Base64, or any other transformation that is not an escaping of the
// secret's text, is left alone: no server echoes a key that way.
//
// A byte that is not UTF-8 is matched as written, percent- or
// \x-escaped.
//
// The matcher below is written out rather than a regexp (spec_test.go
// holds the regexp it is checked against): compiling that regexp cost
// 1.5 ms and 1.1 MB at every start of the step, and matching a line with
// an escape in it 30 µs. The layers are bounded so that matching stays
// linear: a text of backslashes or of %25 is matched from near its end,
// not from each of its bytes to the end.
const maxLayers = 4

// token is one character of a secret, or one run of white space in it.
type token struct {
	text  string // the character as written; one byte when it is not UTF-8
	r     rune   // the character; -1 for a byte that is not UTF-8
	space int    // for a run of white space, its length; 0 otherwise
}

// tokenize splits a secret into its tokens and returns the length in
// bytes of its shortest form. With fold false, white space is a
// character like any other.
func tokenize(secret string, fold bool) ([]token, int) {
	var tks []token
	min := 0
	for i := 0; i < len(secret); {
		r, n := utf8.DecodeRuneInString(secret[i:])
		if r == utf8.RuneError && n == 1 {
			r = -1
		}
		if fold && isSpace(r) {
			j := i
			for j < len(secret) && isSpace(rune(secret[j])) {
				j++
			}
			tks = append(tks, token{text: secret[i:j], r: r, space: j - i})
			i, min = j, min+1
			continue
		}
		tks = append(tks, token{text: secret[i : i+n], r: r})
		i, min = i+n, min+n
	}
	return tks, min
}

// spaces are the characters a run of white space may be shown as.
var spaces = func() []token {
	var tks []token
	for _, c := range " \t\n\r\f\v+" {
		tks = append(tks, token{text: string(c), r: c})
	}
	return tks
}()

// starts returns the bytes a form of tk can start with.
func (tk token) starts() [256]bool {
	var b [256]bool
	for _, c := range []byte(`\%&`) {
		b[c] = true
	}
	b[tk.text[0]] = true
	if tk.r == '`' {
		b['\''] = true
	}
	if tk.space > 0 {
		for _, sp := range spaces {
			b[sp.text[0]] = true
		}
	}
	return b
}

// ends appends to out each position at which a form of tk that starts at
// p in s ends.
func (tk token) ends(s string, p int, out []int) []int {
	if tk.space == 0 {
		return tk.char(s, p, out)
	}
	// One to tk.space characters of white space, each in any form.
	from := []int{p}
	for range tk.space {
		var next []int
		for _, q := range from {
			for _, sp := range spaces {
				next = sp.char(s, q, next)
			}
		}
		if len(next) == 0 {
			break
		}
		out = append(out, next...)
		from = dedup(next)
	}
	return out
}

// char appends the ends of the forms of one character.
func (tk token) char(s string, p int, out []int) []int {
	k := backslashes(s, p)
	switch {
	case tk.r == '\\':
		for j := 1; j <= k; j++ {
			out = append(out, p+j)
		}
		out = percent(s, p, tk.text, out)
	case tk.r >= 0 && tk.r < utf8.RuneSelf && isPunct(byte(tk.r)):
		// After markdown's backslashes, which stay before the character
		// when the step escapes it again (\%25 in a workflow command).
		if strings.HasPrefix(s[p+k:], tk.text) {
			out = append(out, p+k+1)
		}
		out = percent(s, p+k, tk.text, out)
	default:
		if strings.HasPrefix(s[p:], tk.text) {
			out = append(out, p+len(tk.text))
		}
		out = percent(s, p, tk.text, out)
	}
	if tk.r == '`' && p < len(s) && s[p] == '\'' {
		out = append(out, p+1)
	}
	if k > 0 {
		if e := tk.escape(s, p+k); e >= 0 {
			out = append(out, e)
		}
	}
	if tk.r >= 0 && p < len(s) && s[p] == '&' {
		out = entity(s, p+1, tk.r, out)
	}
	return out
}

// percent appends the ends of the bytes of text percent-escaped from p,
// each with up to maxLayers %25 before its hex digits.
func percent(s string, p int, text string, out []int) []int {
	if text == "" {
		return append(out, p)
	}
	if p >= len(s) || s[p] != '%' {
		return out
	}
	for j, layer := p+1, 0; layer <= maxLayers; j, layer = j+2, layer+1 {
		if v, ok := hexAt(s, j, 2); ok && v == rune(text[0]) {
			out = percent(s, j+2, text[1:], out)
		}
		if !strings.HasPrefix(s[j:], "25") {
			break
		}
	}
	return out
}

// escape returns the end of a backslash escape of tk whose backslashes end
// at q, or -1.
func (tk token) escape(s string, q int) int {
	if q >= len(s) {
		return -1
	}
	switch c := s[q]; {
	case c == 'x':
		// A byte at a time: \xe2\x82\xac.
		for i := 0; i < len(tk.text); i++ {
			if v, ok := hexAt(s, q+1, 2); !ok || v != rune(tk.text[i]) {
				return -1
			}
			q += 3
			if i+1 < len(tk.text) {
				k := backslashes(s, q)
				if k == 0 || q+k >= len(s) || s[q+k] != 'x' {
					return -1
				}
				q += k
			}
		}
		return q
	case tk.r < 0:
	case c == 'u' && tk.r <= 0xFFFF:
		if v, ok := hexAt(s, q+1, 4); ok && v == tk.r {
			return q + 5
		}
	case c == 'u':
		// A surrogate pair, as JSON writes a rune beyond the BMP.
		hi, lo := 0xD800+(tk.r-0x10000)>>10, 0xDC00+(tk.r-0x10000)&0x3FF
		if v, ok := hexAt(s, q+1, 4); !ok || v != hi {
			return -1
		}
		q += 5
		if k := backslashes(s, q); k > 0 && q+k < len(s) && s[q+k] == 'u' {
			if v, ok := hexAt(s, q+k+1, 4); ok && v == lo {
				return q + k + 5
			}
		}
	case c == 'U':
		if v, ok := hexAt(s, q+1, 8); ok && v == tk.r {
			return q + 9
		}
	case strings.IndexByte("nrtbfva", c) >= 0 && controls[c] == tk.r:
		return q + 1
	}
	return -1
}

var controls = map[byte]rune{'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f', 'v': '\v', 'a': '\a'}

// entity appends the ends of the HTML character references of r that
// start at p, just after an &: &#43; &#x2b; (after markdown's \ before
// #), or the name of <, >, &, " or ', each after up to maxLayers amp;.
func entity(s string, p int, r rune, out []int) []int {
	for layer := 0; layer <= maxLayers; layer++ {
		q := p + backslashes(s, p)
		if q+1 < len(s) && s[q] == '#' {
			if s[q+1] == 'x' || s[q+1] == 'X' {
				if v, e := digits(s, q+2, 16); v == r && e < len(s) && s[e] == ';' {
					out = append(out, e+1)
				}
			} else if v, e := digits(s, q+1, 10); v == r && e < len(s) && s[e] == ';' {
				out = append(out, e+1)
			}
		}
		if name := entities[r]; name != "" && len(s) > p+len(name) && strings.EqualFold(s[p:p+len(name)], name) && s[p+len(name)] == ';' {
			out = append(out, p+len(name)+1)
		}
		if !strings.HasPrefix(s[p:], "amp;") {
			break
		}
		p += 4
	}
	return out
}

var entities = map[rune]string{'<': "lt", '>': "gt", '&': "amp", '"': "quot", '\'': "apos"}

// digits reads a number in base 10 or 16 at p, of one digit or more,
// and returns it (-1 when there is none, past utf8.MaxRune when it is
// larger) and where it ends.
func digits(s string, p, base int) (rune, int) {
	v, e := rune(0), p
	for ; e < len(s); e++ {
		d := digit(s[e])
		if d < 0 || d >= base {
			break
		}
		v = min(v*rune(base)+rune(d), utf8.MaxRune+1)
	}
	if e == p {
		return -1, p
	}
	return v, e
}

// hexAt reads exactly n hex digits, in either case, at p.
func hexAt(s string, p, n int) (rune, bool) {
	if p+n > len(s) {
		return 0, false
	}
	v := rune(0)
	for i := p; i < p+n; i++ {
		d := digit(s[i])
		if d < 0 || d > 15 {
			return 0, false
		}
		v = v<<4 | rune(d)
	}
	return v, true
}

func digit(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// backslashes counts the backslashes at p, up to maxLayers.
func backslashes(s string, p int) int {
	k := 0
	for p+k < len(s) && s[p+k] == '\\' && k < maxLayers {
		k++
	}
	return k
}

func isPunct(c byte) bool { return strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) >= 0 }

// isSpace reports the white space markdown and the APIs' messages fold.
func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v'
}

// dedup sorts positions and drops repeats.
func dedup(ps []int) []int {
	if len(ps) < 2 {
		return ps
	}
	slices.Sort(ps)
	return slices.Compact(ps)
}
