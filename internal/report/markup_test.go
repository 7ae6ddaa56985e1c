package report_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/report/summarytest"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

// hostile is a report whose every outside value tries to break out.
func hostile() *report.Report {
	return edit(deployed(), func(r *report.Report) {
		r.Event.Product = "a|b <script>alert(1)</script>"
		r.Event.Version = "[x](javascript:alert(1))"
		r.Event.Environment = "prod\n# Owned\n| forged | row |"
		r.Event.Branch = "feature/**bold**_it_`code`~~s~~ & &amp;"
		r.GivenWord = "succ|ess"
		r.Event.EnvironmentURL = "javascript:alert(document.cookie)"
		r.GitHub.URL = "https://github.com/acme/web/deployments/x) [y](javascript:alert(1)"
		r.Warnings = []string{"line one\r\nline two\n- forged item", "![img](https://evil.example/x.png)"}
	})
}

// cells splits a table row on the pipes GitHub's table parser sees: those
// not escaped by a backslash.
func cells(line string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		if line[i] == '|' && (i == 0 || line[i-1] != '\\') {
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(line[i])
	}
	return append(out, cur.String())
}

// checkTables asserts the structure no value may break: the headline
// first, then only the paragraphs, tables, sections and list items the
// summary writes, every table row with as many cells as its header, and
// nothing a link other than http(s).
func checkTables(t *testing.T, s string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "### ") {
		t.Errorf("first line %q is not the headline", lines[0])
	}
	width := 0 // the cells of the table being read
	section := false
	for i, line := range lines[1:] {
		switch {
		case line == "":
			width = 0
		case strings.HasPrefix(line, "|"):
			c := len(cells(line)) - 2
			if width == 0 {
				width = c
			}
			if c != width || !strings.HasSuffix(line, " |") && !strings.HasSuffix(line, "---|") {
				t.Errorf("line %d %q has %d cells, want a row of %d", i+2, line, c, width)
			}
		case line == "#### Tracking", line == "#### Warnings", line == "#### Details":
			section = true
		case section && strings.HasPrefix(line, "- "):
		case !section && paragraph.MatchString(line):
		case strings.HasPrefix(line, "*(summary cut"):
		default:
			t.Errorf("line %d %q is not one the summary writes: a value broke out of its place", i+2, line)
		}
	}
	// A link's destination and a code span show their text as it is
	// (link encodes the parentheses and spaces that could end a
	// destination early; code replaces backticks): no link starts there.
	text := codeSpan.ReplaceAllString(destination.ReplaceAllString(s, "]()"), "$1``")
	for _, bad := range []string{"<", ">", "![", "\r"} {
		if unescaped(text, bad) {
			t.Errorf("summary contains %q:\n%s", bad, s)
		}
	}
	for _, bad := range []string{"](javascript", "](data:", "](vbscript"} {
		if unescaped(codeSpan.ReplaceAllString(s, "$1``"), bad) {
			t.Errorf("summary contains %q:\n%s", bad, s)
		}
	}
}

// paragraph matches the paragraphs the summary writes under its headline.
var paragraph = regexp.MustCompile(`^(Commit |Nothing recorded: |Nothing was sent|Versioner's rule|Versioner blocked|Replaced |The step failed on tracking|\*[^*])`)

var (
	destination = regexp.MustCompile(`\]\(https?://[^ ()]*\)`)
	codeSpan    = regexp.MustCompile("(^|[^\\\\])`[^`]*`")
)

// unescaped reports whether sub occurs in s other than right after a
// backslash (\](javascript: is text, not the end of a link).
func unescaped(s, sub string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], sub)
		if j < 0 {
			return false
		}
		if i+j == 0 || s[i+j-1] != '\\' {
			return true
		}
		i += j + 1
	}
}

// Each field that comes from outside, given hostile text, renders as that
// text and breaks nothing. A message the step writes (an error, a warning)
// may quote outside text too: it is escaped the same, but for its pairs of
// backticks, which the step writes around code and which render as code.
func TestSummaryEscapes(t *testing.T) {
	t.Parallel()
	values := []struct {
		name  string
		in    string
		want  string // how it appears in the summary
		prose string // how it appears in a message, when not as want
	}{
		{name: "pipe", in: "a|b", want: `a\|b`},
		{name: "script tag", in: "<script>alert(1)</script>", want: "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{name: "markdown link", in: "[x](javascript:alert(1))", want: `\[x\](javascript:alert(1))`},
		{name: "image", in: "![x](https://evil.example/p.png)", want: `!\[x\](https\://evil.example/p.png)`},
		{name: "autolinks", in: "see https://evil.example, www.evil.example or mona@evil.example", want: `see https\://evil.example, www\.evil.example or mona\@evil.example`},
		{name: "newline and heading", in: "a\n# b\n| c | d |", want: `a \# b \| c \| d \|`},
		{name: "carriage returns", in: "a\r\nb\rc", want: "a b c"},
		{name: "emphasis and code", in: "*a* _b_ `c` ~d~", want: "\\*a\\* \\_b\\_ \\`c\\` \\~d\\~", prose: "\\*a\\* \\_b\\_ `c` \\~d\\~"},
		{name: "code holding a pipe", in: "add `a|b`", want: "add \\`a\\|b\\`", prose: "add `a|b`"},
		{name: "unpaired backtick", in: "a ` b", want: "a \\` b"},
		{name: "entity", in: "&lt;b&gt;", want: "&amp;lt;b&amp;gt;"},
		{name: "backslash before pipe", in: `\|`, want: `\\\|`},
	}
	fields := []struct {
		name  string
		prose bool
		set   func(r *report.Report, v string)
	}{
		{name: "product", set: func(r *report.Report, v string) { r.Event.Product = v }},
		{name: "version", set: func(r *report.Report, v string) { r.Event.Version = v }},
		{name: "environment", set: func(r *report.Report, v string) { r.Event.Environment = v }},
		{name: "branch", set: func(r *report.Report, v string) { r.Event.Branch = v }},
		{name: "branch without a commit", set: func(r *report.Report, v string) { r.Event.Branch = v; r.Event.SHA = "" }},
		{name: "actor", set: func(r *report.Report, v string) { r.Event.Actor = v }},
		{name: "description", set: func(r *report.Report, v string) { r.Event.Description = v }},
		{name: "replaced version", set: func(r *report.Report, v string) { r.GitHub.Replaced = deployments.Replaced{ID: 1, Version: v} }},
		{name: "warning", prose: true, set: func(r *report.Report, v string) { r.Warnings = []string{v} }},
		{name: "rule name", set: func(r *report.Report, v string) {
			r.Versioner.Warnings = []versioner.Rule{{Name: v, Status: "report_only", EvaluationResult: "failed", Message: "m"}}
		}},
		{name: "rule message", prose: true, set: func(r *report.Report, v string) {
			r.Versioner.Warnings = []versioner.Rule{{Name: "soak", Status: "report_only", EvaluationResult: "failed", Message: v}}
		}},
		{name: "Versioner note", prose: true, set: func(r *report.Report, v string) { r.Versioner = versioner.Result{Note: v} }},
		{name: "Versioner error", prose: true, set: func(r *report.Report, v string) { r.VersionerErr = errors.New(v) }},
		{name: "Versioner error as a warning", prose: true, set: func(r *report.Report, v string) {
			r.VersionerErr = errors.New(v)
			r.FailOnAPIError, r.FailOnGitHubError = false, false
		}},
		{name: "preflight message", prose: true, set: func(r *report.Report, v string) {
			r.VersionerErr = &versioner.PreflightError{Status: 423, Message: v, RuleName: "freeze"}
		}},
		{name: "preflight rule", set: func(r *report.Report, v string) {
			r.VersionerErr = &versioner.PreflightError{Status: 423, Message: "m", RuleName: v}
		}},
		{name: "retry after", set: func(r *report.Report, v string) {
			r.VersionerErr = &versioner.PreflightError{Status: 423, Message: "m", RetryAfter: v}
		}},
		{name: "why skipped", prose: true, set: func(r *report.Report, v string) { r.Skipped = v }},
		{name: "GitHub error", prose: true, set: func(r *report.Report, v string) { r.GitHubErr = errors.New(v) }},
	}
	for _, f := range fields {
		for _, v := range values {
			t.Run(f.name+"/"+v.name, func(t *testing.T) {
				t.Parallel()
				want := v.want
				if f.prose && v.prose != "" {
					want = v.prose
				}
				r := deployed()
				f.set(r, v.in)
				for name, got := range map[string]string{"one product": r.Summary(), "several": report.ManySummary([]*report.Report{r, deployed()})} {
					checkTables(t, got)
					if !strings.Contains(got, want) {
						t.Errorf("%s: the summary lacks %q for %q:\n%s", name, want, v.in, got)
					}
					h := had(r)
					h.Markup = true // the values hold markup, which must show
					for _, p := range summarytest.Check(got, h) {
						t.Errorf("%s: as GitHub renders it: %s\n%s", name, p, got)
					}
				}
			})
		}
	}
}

// Only http(s) URLs become links; their text is escaped and their
// characters cannot end the link or the table cell early.
func TestSummaryLinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		set     func(r *report.Report)
		want    string
		notWant string
	}{
		{
			name: "https environment URL links the environment",
			set:  func(r *report.Report) { r.Event.EnvironmentURL = "https://web.example.com/" },
			want: "→ [production](https://web.example.com/) ·",
		},
		{
			name: "http environment URL too",
			set:  func(r *report.Report) { r.Event.EnvironmentURL = "http://10.0.0.1:8080" },
			want: "→ [production](http://10.0.0.1:8080) ·",
		},
		{
			name:    "javascript URL is no link",
			set:     func(r *report.Report) { r.Event.EnvironmentURL = "javascript:alert(document.cookie)" },
			want:    "→ production ·",
			notWant: "](javascript",
		},
		{
			name:    "data URL is no link",
			set:     func(r *report.Report) { r.Event.EnvironmentURL = "data:text/html,<script>alert(1)</script>" },
			want:    "→ production ·",
			notWant: "](data",
		},
		{
			name:    "scheme is matched exactly",
			set:     func(r *report.Report) { r.Event.EnvironmentURL = "https:/evil" },
			want:    "→ production ·",
			notWant: "](https:/evil",
		},
		{
			name: "parentheses and spaces cannot end the link",
			set: func(r *report.Report) {
				r.GitHub.URL = "https://github.com/acme/web/deployments/x) [y](javascript:alert(1)"
			},
			want: "| [deployment 42](https://github.com/acme/web/deployments/x%29%20[y]%28javascript:alert%281%29) |",
		},
		{
			name: "angle brackets and newlines in a URL",
			set:  func(r *report.Report) { r.Event.RunURL = "https://github.com/a<b>\n/runs/1" },
			want: "| [\\#77](https://github.com/a%3Cb%3E/runs/1) |",
		},
		{
			name: "run attempt is named",
			set:  func(r *report.Report) { r.Event.RunAttempt = "3" },
			want: "| [\\#77, attempt 3](https://github.com/acme/web/actions/runs/987654321) |",
		},
		{
			name: "run without a number",
			set:  func(r *report.Report) { r.Event.RunNumber = "" },
			want: "| [run](https://github.com/acme/web/actions/runs/987654321) |",
		},
		{
			name:    "no run URL, no run column",
			set:     func(r *report.Report) { r.Event.RunURL = "" },
			want:    "| Commit | GitHub | Versioner |",
			notWant: "| Run |",
		},
		{
			name: "commit without a server URL is code",
			set:  func(r *report.Report) { r.ServerURL = "" },
			want: "| `0123456` on main |",
		},
		{
			name: "branch only",
			set:  func(r *report.Report) { r.Event.SHA = "" },
			want: "| main |",
		},
		{
			name: "commit links to GitHub Enterprise",
			set:  func(r *report.Report) { r.ServerURL = "https://ghes.example.com" },
			want: "| [0123456](https://ghes.example.com/acme/web/commit/0123456789abcdef0123456789abcdef01234567) on main |",
		},
		{
			name:    "no link to a GitHub deployment that does not exist",
			set:     func(r *report.Report) { r.GitHub.DeploymentID = 0; r.GitHubErr = errors.New("GitHub answered 403") },
			want:    "| Commit | Run | Versioner |",
			notWant: "/deployments/",
		},
		{
			name:    "nor in a dry run",
			set:     func(r *report.Report) { r.DryRun = true },
			want:    "| Commit | Run |",
			notWant: "/deployments/",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := deployed()
			tt.set(r)
			got := r.Summary()
			checkTables(t, got)
			if tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("Summary() lacks\n%s\nin:\n%s", tt.want, got)
			}
			if tt.notWant != "" && unescaped(got, tt.notWant) {
				t.Errorf("Summary() contains %q:\n%s", tt.notWant, got)
			}
			for _, p := range summarytest.Check(got, had(r)) {
				t.Errorf("as GitHub renders it: %s\n%s", p, got)
			}
		})
	}
}

// A pipe in a link's URL still splits a GitHub table cell: it must be
// encoded too.
func TestSummaryLinkPipes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  func(r *report.Report)
	}{
		{name: "environment URL", set: func(r *report.Report) { r.Event.EnvironmentURL = "https://web.example.com/?q=a|b" }},
		{name: "commit", set: func(r *report.Report) { r.Event.SHA = "abc|def" }},
		{name: "deployment", set: func(r *report.Report) { r.GitHub.URL = "https://github.com/acme/web/deployments/a|b" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := deployed()
			tt.set(r)
			checkTables(t, r.Summary())
			checkTables(t, report.ManySummary([]*report.Report{r, deployed()}))
		})
	}
}

// Backslash escapes are literal inside a code span, so escaping a value
// there shows the backslashes.
func TestSummaryCodeSpans(t *testing.T) {
	t.Parallel()
	r := deployed()
	r.Versioner.ID = "dep_1"
	if got := r.Summary(); !strings.Contains(got, "`dep_1`") {
		t.Errorf("Summary() lacks `dep_1`:\n%s", got)
	}
	if got := report.ManySummary([]*report.Report{r, deployed()}); !strings.Contains(got, "`dep_1`") {
		t.Errorf("ManySummary() lacks `dep_1`:\n%s", got)
	}
}
