package report

import (
	"strings"
)

// The summary is built from parts, each rendered by the one function that
// knows what it holds: md for text from outside (inputs, API answers),
// which must show as typed; prose for the step's own messages, whose
// backticks mark code; code and link for ids and URLs. Text the summary
// writes as markdown itself is never escaped.

// mdEscaper escapes what markdown or HTML would read as markup, and folds
// line breaks, which would end a table row or a list item. It also keeps
// GitHub from making links of URLs and addresses in the text (its
// autolinks): a summary links only to what the step had, never to a URL
// an API's answer holds.
var mdEscaper = strings.NewReplacer(
	"\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]",
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "|", "\\|", "~", "\\~", "#", "\\#",
	"://", "\\://", "www.", "www\\.", "WWW.", "WWW\\.", "@", "\\@",
	"\r\n", " ", "\n", " ", "\r", " ",
)

// md renders text from outside as text.
func md(s string) string { return mdEscaper.Replace(s) }

// code renders s as a code span, where markdown shows backslashes as
// typed: backticks and line breaks are replaced instead, and pipes, which
// split a table cell even there, escaped (GitHub's table parser takes the
// backslash away before the code span is read, so \| shows as |; outside a
// table it would show, so code is for table cells and inlineCode for
// everything else).
func code(s string) string { return "`" + codeEscaper.Replace(s) + "`" }

// inlineCode is code outside a table.
func inlineCode(s string) string { return "`" + inlineCodeEscaper.Replace(s) + "`" }

// The escapers are built once, like mdEscaper: building a Replacer costs
// more than using it.
var (
	codeEscaper       = strings.NewReplacer("`", "'", "|", `\|`, "\r", " ", "\n", " ")
	inlineCodeEscaper = strings.NewReplacer("`", "'", "\r", " ", "\n", " ")
	urlEscaper        = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E", "|", "%7C", "\n", "", "\r", "")
)

// link renders a link whose URL came from outside: only http(s) URLs
// become links, and their text is escaped.
func link(text, u string) string {
	if !isWebURL(u) {
		return md(text)
	}
	return "[" + md(text) + "](" + urlEscaper.Replace(u) + ")"
}

func isWebURL(u string) bool {
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
}

// prose renders a message the step wrote for people, an error say, which
// may quote what an API answered. The step writes code in backticks, as
// in the log ("add `permissions: deployments: write` to the job"): each
// pair becomes a code span, and the rest is escaped as text from outside.
// A backtick without a pair, or an empty pair, stays text.
func prose(s string) string {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, p := range parts {
		switch {
		case i%2 == 0:
			b.WriteString(md(p))
		case i == len(parts)-1 || strings.TrimSpace(p) == "":
			b.WriteString("\\`" + md(p))
			if i < len(parts)-1 {
				b.WriteString("\\`")
			}
		default:
			b.WriteString(inlineCode(p))
		}
	}
	return b.String()
}

// sentence ends s with a full stop, unless it ends with a punctuation
// mark of its own.
func sentence(s string) string {
	s = strings.TrimRight(s, " ")
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?:;") {
		return s
	}
	return s + "."
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
