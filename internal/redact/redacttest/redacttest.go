// Package redacttest writes a secret in every form a server, or the step's
// own escaping, may echo it in, for the tests of whatever redacts secrets.
// Each form comes from the encoder that produces it (net/url,
// encoding/json, html, go-githubactions' escaping, the summary's markdown
// escaping, copied here), not from the redactor under test.
package redacttest

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Form is a secret as one encoder writes it.
type Form struct {
	Name   string // the encoder, and who produces it
	Text   string
	Secret string
}

// Forms returns the forms secret takes, by encoder; the first is the secret
// as written. Forms equal to an earlier one are left out.
func Forms(secret string) []Form {
	all := []struct{ name, text string }{
		{"as written", secret},
		// A server that puts the key in a URL it echoes (a redirect, a
		// link, "GET /x?api_key=... failed"): query or path escaping, hex
		// digits in either case, every byte escaped, or escaped twice (a
		// URL inside a query).
		{"url.QueryEscape", url.QueryEscape(secret)},
		{"url.PathEscape", url.PathEscape(secret)},
		{"percent-escapes in lower case", lowerHex(url.QueryEscape(secret))},
		{"every byte percent-escaped", everyByte(secret, "%%%02X")},
		{"url.QueryEscape twice", url.QueryEscape(url.QueryEscape(secret))},
		// A JSON body or log the server echoes as text: Go escapes <, >
		// and & unless told not to; PHP and some Java libraries write \/;
		// others escape any character as \u, in either case.
		{"encoding/json", jsonString(secret, true)},
		{"encoding/json without SetEscapeHTML", jsonString(secret, false)},
		{`JSON with \/`, strings.ReplaceAll(jsonString(secret, false), "/", `\/`)},
		{`JSON, punctuation as \u in lower case`, jsonU(secret, false, "\\u%04x")},
		{`JSON, punctuation as \u in upper case`, jsonU(secret, false, "\\u%04X")},
		{`JSON, every character as \u`, jsonU(secret, true, "\\u%04x")},
		{"strconv.Quote (Go's %q)", unquote(strconv.Quote(secret))},
		// An HTML error page from a proxy or a framework.
		{"html.EscapeString", html.EscapeString(secret)},
		{"HTML decimal entities", entities(secret, "&#%d;")},
		{"HTML hex entities", entities(secret, "&#x%X;")},
		{"HTML hex entities in lower case", entities(secret, "&#x%x;")},
		// The step's own escaping: workflow commands, its log lines and
		// the job summary.
		{"workflow command message", Data(secret)},
		{"workflow command property", Property(secret)},
		{"log line (workflow.Printf)", strings.NewReplacer("\r", `\r`, "\n", `\n`, "##[", `##\[`).Replace(secret)},
		{"markdown (the summary's md)", Markdown(secret)},
		{"markdown code span (the summary's code)", strings.NewReplacer("`", "'", "|", `\|`, "\r", " ", "\n", " ").Replace(secret)},
		{"markdown, every punctuation escaped", everyPunct(secret)},
		{`markdown of JSON with \/`, Markdown(strings.ReplaceAll(jsonString(secret, false), "/", `\/`))},
		{`markdown of JSON \u-escapes`, Markdown(jsonU(secret, false, "\\u%04x"))},
		{"markdown of HTML entities", Markdown(entities(secret, "&#%d;"))},
		{"workflow command message of url.QueryEscape", Data(url.QueryEscape(secret))},
	}
	seen := map[string]bool{}
	var out []Form
	for _, f := range all {
		if !seen[f.text] {
			seen[f.text] = true
			out = append(out, Form{Name: f.name, Text: f.text, Secret: secret})
		}
	}
	return out
}

// Of returns the forms of each secret.
func Of(secrets ...string) []Form {
	var out []Form
	for _, s := range secrets {
		out = append(out, Forms(s)...)
	}
	return out
}

// Texts returns the text of each form.
func Texts(forms []Form) []string {
	out := make([]string, len(forms))
	for i, f := range forms {
		out[i] = f.Text
	}
	return out
}

// Shows describes each of the forms that text holds, of a secret of four
// bytes or more (the runner masks shorter ones; nothing redacts them).
func Shows(text string, forms []Form) []string {
	var out []string
	for _, f := range forms {
		if len(f.Secret) >= 4 && strings.Contains(text, f.Text) {
			out = append(out, fmt.Sprintf("the secret %q as %s (%q)", f.Secret, f.Name, f.Text))
		}
	}
	return out
}

// Alphabet is base64's, both kinds, and the characters URLs give a
// meaning to: the characters of API keys and tokens, and those an echo
// escapes.
const Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_~.%&?#"

// Key draws a secret of eight characters or more from Alphabet, for a
// fuzz target: one character for each byte of seed.
func Key(seed []byte) (string, bool) {
	if len(seed) < 8 {
		return "", false
	}
	b := make([]byte, len(seed))
	for i, c := range seed {
		b[i] = Alphabet[int(c)%len(Alphabet)]
	}
	return string(b), true
}

// Seed is the seed Key turns into key, a string of Alphabet.
func Seed(key string) []byte {
	b := make([]byte, len(key))
	for i := range key {
		b[i] = byte(strings.IndexByte(Alphabet, key[i]))
	}
	return b
}

// Data escapes a workflow command's message as go-githubactions does.
func Data(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// Property escapes a workflow command's property value as go-githubactions
// does.
func Property(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// Markdown escapes s as the job summary escapes text from outside (a copy
// of report's md).
func Markdown(s string) string {
	return strings.NewReplacer(
		"\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]",
		"<", "&lt;", ">", "&gt;", "&", "&amp;", "|", "\\|", "~", "\\~", "#", "\\#",
		"\r\n", " ", "\n", " ", "\r", " ",
	).Replace(s)
}

// Shown returns the texts the runner shows of one line of a step's
// stdout: a workflow command's message and property values unescaped,
// else the line.
func Shown(line string) []string {
	rest, ok := strings.CutPrefix(line, "::")
	if !ok {
		return []string{line}
	}
	head, data, ok := strings.Cut(rest, "::")
	if !ok {
		return []string{line}
	}
	unescape := strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")
	out := []string{strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(data)}
	if _, props, ok := strings.Cut(head, " "); ok {
		for _, p := range strings.Split(props, ",") {
			_, v, _ := strings.Cut(p, "=")
			out = append(out, unescape.Replace(v))
		}
	}
	return out
}

var hexEscape = regexp.MustCompile(`%[0-9A-F]{2}`)

func lowerHex(s string) string { return hexEscape.ReplaceAllStringFunc(s, strings.ToLower) }

func everyByte(s, format string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

func jsonString(s string, escapeHTML bool) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(escapeHTML)
	if err := e.Encode(s); err != nil {
		panic(err) // a string always encodes
	}
	return unquote(strings.TrimSuffix(b.String(), "\n"))
}

func unquote(q string) string { return q[1 : len(q)-1] }

// jsonU escapes as \u every character that is not a letter or a digit, or
// every character, with format ("\\u%04x" or "\\u%04X"); a rune beyond the
// BMP as its surrogate pair, as JSON writes it.
func jsonU(s string, all bool, format string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case !all && isAlnum(r):
			b.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, format+format, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&b, format, r)
		}
	}
	return b.String()
}

func entities(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		if isAlnum(r) || r == utf8.RuneError {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, format, r)
	}
	return b.String()
}

// everyPunct escapes every ASCII punctuation character with a backslash,
// as CommonMark allows.
func everyPunct(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}
