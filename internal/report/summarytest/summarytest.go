// Package summarytest renders a job summary as GitHub does, with a GFM
// renderer (goldmark and its GFM extension: tables, strikethrough,
// autolinks, task lists; raw HTML left out), and checks the HTML for what
// a reader must never see: markup shown as text, an empty table header, a
// link to anywhere the step did not have, a secret. The tests of report,
// the end-to-end tests and `make demo` use it; the action does not (it
// writes markdown and leaves the rendering to GitHub), so goldmark is a
// dependency of the tests and the demo only.
package summarytest

import (
	"bytes"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/deploytrack/deploytrack/internal/redact"
	"github.com/deploytrack/deploytrack/internal/redact/redacttest"
)

var gfm = goldmark.New(goldmark.WithExtensions(extension.GFM))

// Render returns the HTML of a summary.
func Render(md string) string {
	var b bytes.Buffer
	if err := gfm.Convert([]byte(md), &b); err != nil {
		panic(err) // goldmark fails only on a failing writer
	}
	return b.String()
}

// Shown is what a reader sees of a summary: its text, and the URL of
// each link, one a line.
func Shown(md string) string { return shown(md, true) }

// Text is the text of a summary as GitHub shows it.
func Text(md string) string { return shown(md, false) }

func shown(md string, links bool) string {
	var b strings.Builder
	for _, tk := range tokens(Render(md)) {
		switch {
		case tk.tag == "":
			b.WriteString(html.UnescapeString(tk.text))
		case tk.tag == "a" && links:
			b.WriteString("\n" + html.UnescapeString(attr(tk.text, "href")) + "\n")
		}
	}
	return b.String()
}

// Had is what the step had when it wrote a summary, which is all its
// links may point to and all its text may show.
type Had struct {
	// URLs are the URLs links may point to, as the step had them; Prefixes
	// allow every URL that starts with one (the pages of the run's
	// repository, say).
	URLs, Prefixes []string
	// Secrets are the secrets no form of which may show (redacttest.Of).
	Secrets []string
	// Markup allows the text to show backticks, backslashes and doubled
	// asterisks, for a summary whose values hold them: the hostile tests'.
	Markup bool
}

// Check returns what is wrong with a summary as GitHub shows it.
func Check(md string, had Had) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	page := Render(md)
	if !strings.HasPrefix(page, "<h3>") {
		add("the summary does not open with its headline (an h3): %.80q", page)
	}
	if strings.Contains(page, "<!-- raw HTML omitted -->") {
		add("the summary holds raw HTML, which GitHub leaves out")
	}
	forms := redacttest.Of(had.Secrets...)
	var code, header int // depth in <code>, <th>
	var th strings.Builder
	for _, tk := range tokens(page) {
		if tk.tag == "" {
			text := html.UnescapeString(tk.text)
			for _, p := range redacttest.Shows(text, forms) {
				add("the text %q shows %s", text, p)
			}
			if header > 0 {
				th.WriteString(text)
			}
			// A code span shows a backslash as typed: none is meant. A
			// doubled asterisk is emphasis that did not take (the mask of a
			// secret, ***, aside).
			shown := strings.ReplaceAll(text, redact.Mask, "")
			if i := strings.IndexAny(shown, "`\\"); i >= 0 && !had.Markup {
				add("the text %q shows markup as it was typed (%q)", text, shown[i])
			}
			if code == 0 && strings.Contains(shown, "**") && !had.Markup {
				add("the text %q shows markup as it was typed (**)", text)
			}
			continue
		}
		switch tk.tag {
		case "code":
			code++
		case "/code":
			code--
		case "th":
			header++
			th.Reset()
		case "/th":
			header--
			if strings.TrimSpace(th.String()) == "" {
				add("a table has an empty header cell")
			}
		case "img":
			add("the summary shows an image: %s", tk.text)
		case "a":
			href := html.UnescapeString(attr(tk.text, "href"))
			for _, p := range redacttest.Shows(href, forms) {
				add("the link %q shows %s", href, p)
			}
			if !had.allows(href) {
				add("a link goes to %q, which the step did not have", href)
			}
		}
	}
	return problems
}

// allows reports whether a link may point to href.
func (h Had) allows(href string) bool {
	got, err := url.PathUnescape(href)
	if err != nil || href == "" {
		return false
	}
	for _, u := range h.URLs {
		if want, err := url.PathUnescape(u); err == nil && want == got {
			return true
		}
	}
	for _, p := range h.Prefixes {
		if strings.HasPrefix(got, p) {
			return true
		}
	}
	return false
}

// token is a tag (its name, "/name" for an end tag, and its whole text)
// or text between tags.
type token struct{ tag, text string }

var tagRE = regexp.MustCompile(`<(/?[a-zA-Z0-9]+)[^>]*>`)

// tokens splits goldmark's HTML into tags and text. goldmark escapes <
// and > in text and attributes, so every < starts a tag.
func tokens(page string) []token {
	var out []token
	last := 0
	for _, m := range tagRE.FindAllStringSubmatchIndex(page, -1) {
		if m[0] > last {
			out = append(out, token{text: page[last:m[0]]})
		}
		out = append(out, token{tag: strings.ToLower(page[m[2]:m[3]]), text: page[m[0]:m[1]]})
		last = m[1]
	}
	if last < len(page) {
		out = append(out, token{text: page[last:]})
	}
	return out
}

var attrRE = regexp.MustCompile(`\s([a-z]+)="([^"]*)"`)

// attr returns the value of an attribute of a tag, as written.
func attr(tag, name string) string {
	for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
		if m[1] == name {
			return m[2]
		}
	}
	return ""
}
