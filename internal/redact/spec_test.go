package redact_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/redact/redacttest"
)

// spec is the forms of a secret (forms.go) written as a regular
// expression: the definition Redact's hand-written matcher, which costs a
// hundredth of a regexp, is checked against. Valid UTF-8 only.
func spec(secret string) *regexp.Regexp {
	fold := true
	if min := specMin(secret); min < redact.MinLen {
		fold = false
	}
	var b strings.Builder
	for i := 0; i < len(secret); {
		r, n := utf8.DecodeRuneInString(secret[i:])
		if fold && isSpace(r) {
			j := i
			for j < len(secret) && isSpace(rune(secret[j])) {
				j++
			}
			var units []string
			for _, c := range " \t\n\r\f\v+" {
				units = append(units, specRune(c)...)
			}
			fmt.Fprintf(&b, `(?:%s){1,%d}`, strings.Join(units, "|"), j-i)
			i = j
			continue
		}
		b.WriteString(`(?:` + strings.Join(specRune(r), "|") + `)`)
		i += n
	}
	return regexp.MustCompile(b.String())
}

func specMin(secret string) int {
	min := 0
	for i := 0; i < len(secret); i++ {
		if isSpace(rune(secret[i])) && i > 0 && isSpace(rune(secret[i-1])) {
			continue
		}
		min++
	}
	return min
}

func isSpace(r rune) bool { return strings.ContainsRune(" \t\n\r\f\v", r) }

// specRune lists the forms of one character.
func specRune(r rune) []string {
	const bs, bs1 = `\\{0,4}`, `\\{1,4}`
	var pct, hex []string
	for _, c := range []byte(string(r)) {
		pct = append(pct, `%(?:25){0,4}`+anyCase(uint32(c), 2))
		hex = append(hex, `x`+anyCase(uint32(c), 2))
	}
	lit := regexp.QuoteMeta(string(r))
	var forms []string
	switch {
	case r == '\\':
		forms = append(forms, bs1, strings.Join(pct, ""))
	case r < 0x80 && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r):
		forms = append(forms, bs+`(?:`+lit+`|`+strings.Join(pct, "")+`)`)
	default:
		forms = append(forms, lit, strings.Join(pct, ""))
	}
	if r == '`' {
		forms = append(forms, `'`)
	}
	forms = append(forms, bs1+strings.Join(hex, bs1))
	if r <= 0xFFFF {
		forms = append(forms, bs1+`u`+anyCase(uint32(r), 4))
	} else {
		hi, lo := 0xD800+(r-0x10000)>>10, 0xDC00+(r-0x10000)&0x3FF
		forms = append(forms, bs1+`u`+anyCase(uint32(hi), 4)+bs1+`u`+anyCase(uint32(lo), 4))
	}
	forms = append(forms, bs1+`U`+anyCase(uint32(r), 8))
	if c, ok := map[rune]string{'\n': "n", '\r': "r", '\t': "t", '\b': "b", '\f': "f", '\v': "v", '\a': "a"}[r]; ok {
		forms = append(forms, bs1+c)
	}
	amp := `&(?:amp;){0,4}`
	forms = append(forms, amp+bs+`#0*`+strconv.Itoa(int(r))+`;`, amp+bs+`#[xX]0*`+anyCase(uint32(r), 0)+`;`)
	if name, ok := map[rune]string{'<': "lt", '>': "gt", '&': "amp", '"': "quot", '\'': "apos"}[r]; ok {
		forms = append(forms, amp+`(?i:`+name+`);`)
	}
	return forms
}

// anyCase writes v in hexadecimal, digits wide (the digits v needs when
// 0), each letter in either case.
func anyCase(v uint32, digits int) string {
	var b strings.Builder
	for _, c := range fmt.Sprintf("%0*x", digits, v) {
		if 'a' <= c && c <= 'f' {
			fmt.Fprintf(&b, "[%c%c]", c, c-'a'+'A')
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// FuzzMatchesSpec checks the matcher against spec: text holds a form of
// the secret exactly when Redact changes it, and once redacted holds none
// (a secret with a * could meet the mask).
func FuzzMatchesSpec(f *testing.F) {
	for _, secret := range append([]string{key, token}, odd...) {
		for _, form := range redacttest.Forms(secret) {
			f.Add(secret, "x"+form.Text+"y")
			f.Add(secret, form.Text[:len(form.Text)-1])
		}
	}
	f.Add("a\\b\\c", `a\\\\\\b\\\c`)
	f.Add("a  b", "a+%20b a\n\nb")
	f.Add("é+€😀", `\xc3\xa9%2b\u20AC\ud83d\ude00`)
	f.Fuzz(func(t *testing.T, secret, text string) {
		if len(secret) < redact.MinLen || !utf8.ValidString(secret) || !utf8.ValidString(text) {
			return
		}
		re, ss := spec(secret), redact.New(secret)
		got := ss.Redact(text)
		if want := re.MatchString(text); (got != text) != want {
			t.Fatalf("secret %q, text %q: spec matches %v (%q), Redact gives %q", secret, text, want, re.FindString(text), got)
		}
		if !strings.Contains(secret, "*") && re.MatchString(got) {
			t.Errorf("secret %q: Redact(%q) = %q, which holds %q", secret, text, got, re.FindString(got))
		}
	})
}
