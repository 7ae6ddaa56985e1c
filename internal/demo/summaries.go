package main

import (
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/deploytrack/deploytrack/internal/report/summarytest"
)

// summaries writes each job summary of the demo to a folder: NN-scene.md
// as the step wrote it, and NN-scene.html rendered as GitHub renders it
// (GFM), in a pane as wide as the Actions summary's, with GitHub's
// stylesheet when it is at hand.
type summaries struct {
	dir, css string
	plain    bool // GitHub's stylesheet was not at hand
	n        int
}

// cssPath is where `npm install --prefix bin/npm github-markdown-css`
// puts GitHub's stylesheet: under bin/, which git ignores.
const cssPath = "bin/npm/node_modules/github-markdown-css/github-markdown-light.css"

// newSummaries empties dir for this run's summaries. css is the path of
// github-markdown-css's stylesheet; a missing file leaves the pages
// plainer, and is no error.
func newSummaries(dir, css string) (*summaries, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	sheet, err := os.ReadFile(css)
	if err != nil {
		return &summaries{dir: dir, css: plainCSS, plain: true}, nil
	}
	return &summaries{dir: dir, css: string(sheet)}, nil
}

// plainCSS stands in for GitHub's stylesheet when it is not installed.
const plainCSS = `.markdown-body{font-family:-apple-system,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif;font-size:14px;line-height:1.5;color:#1f2328}
.markdown-body table{border-collapse:collapse}.markdown-body td,.markdown-body th{border:1px solid #d1d9e0;padding:6px 13px}
.markdown-body code{background:#eff1f3;border-radius:6px;padding:.2em .4em;font-size:85%}`

// pane is the width of the Actions summary pane on a laptop's screen.
const pane = 760

func (s *summaries) write(title, md string) error {
	if md == "" {
		return nil
	}
	s.n++
	name := filepath.Join(s.dir, fmt.Sprintf("%02d-%s", s.n, slug(title)))
	if err := os.WriteFile(name+".md", []byte(md), 0o644); err != nil {
		return err
	}
	page := fmt.Sprintf(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>%s</title>
<style>%s</style>
<style>body{margin:0;background:#fff}.markdown-body{box-sizing:border-box;width:%dpx;padding:16px}</style>
</head><body><article class="markdown-body">
%s</article></body></html>
`, html.EscapeString(title), s.css, pane, summarytest.Render(md))
	return os.WriteFile(name+".html", []byte(page), 0o644)
}

// tell says where the summaries are.
func (s *summaries) tell(w io.Writer) {
	fmt.Fprintf(w, "\nEach job summary above is in %s/ as NN-scene.md and, rendered as GitHub renders it, NN-scene.html: open those in a browser.\n", s.dir)
	if s.plain {
		fmt.Fprintf(w, "(The pages are without GitHub's stylesheet: `npm install --prefix bin/npm github-markdown-css` once puts it where the demo looks, %s.)\n", cssPath)
	}
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// slug is a scene's title as a file name: "3. Another product, blocked" is
// "another-product-blocked".
func slug(title string) string {
	s := strings.Trim(nonWord.ReplaceAllString(strings.ToLower(title), "-"), "-")
	s = strings.TrimLeft(s, "0123456789-")
	if len(s) > 48 {
		s = strings.TrimRight(s[:48], "-")
	}
	return s
}
