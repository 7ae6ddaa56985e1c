package report_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/versioner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/summary")

// golden compares got with testdata/summary/name.md, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "summary", name+".md")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("Summary() mismatch with %s (-want +got):\n%s", path, diff)
	}
}

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    *report.Report
	}{
		{name: "deployment", r: deployed()},
		{name: "build", r: built()},
		{name: "blocked", r: edit(deployed(), func(r *report.Report) {
			r.Event.Status = event.Started
			r.GivenWord = "started"
			r.VersionerErr = blocked()
			r.GitHub.State = "failure"
		})},
		{name: "dry-run", r: edit(deployed(), func(r *report.Report) {
			r.DryRun = true
			r.Versioner = versioner.Result{}
			r.GitHub.DeploymentID, r.GitHub.Created, r.GitHub.URL = 0, false, ""
		})},
		{name: "warnings", r: edit(deployed(), func(r *report.Report) {
			r.FailOnAPIError, r.FailOnGitHubError = false, false
			r.Event.RunAttempt = "2"
			r.Event.EnvironmentURL = "https://web.example.com"
			r.GitHubErr = errors.New("GitHub answered 403 Forbidden when asked to create a deployment in acme/web: add `permissions: deployments: write` to the job")
			r.GitHub.Created, r.GitHub.DeploymentID, r.GitHub.URL = false, 0, ""
			r.Versioner.Warnings = []versioner.Rule{{Name: "Soak time", Status: "report_only", EvaluationResult: "failed", Message: "staging soaked 10m of 1h"}}
			r.Warnings = []string{"input api_key is deprecated: use api-key"}
		})},
		{name: "failed", r: edit(deployed(), func(r *report.Report) {
			r.VersionerErr = errors.New("Versioner answered 401 Unauthorized for POST https://api.versioner.io/deployment-events/: Invalid authentication credentials")
			r.Versioner = versioner.Result{}
			r.GitHub.Created = false
		})},
		{name: "empty-answer", r: edit(built(), func(r *report.Report) {
			r.Versioner = versioner.Result{Note: "Versioner recorded the build event but answered with an empty body, so its ids are unknown"}
		})},
		{name: "hostile", r: hostile()},
		{name: "job-deployment", r: edit(deployed(), func(r *report.Report) {
			r.GitHub.Created, r.GitHub.Job, r.GitHub.Auto = false, true, true
			r.Event.EnvironmentURL = "https://web.example.com"
		})},
		{name: "dry-run-auto", r: edit(deployed(), func(r *report.Report) {
			r.DryRun = true
			r.Versioner = versioner.Result{}
			r.GitHub = deployments.Result{Auto: true, State: "success"}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.r.Summary()
			golden(t, tt.name, got)
			checkTables(t, got)
		})
	}
}

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

// checkTables asserts the structure no value may break: every table row
// has exactly two cells, no value starts a line of its own, and nothing
// becomes a link other than http(s).
func checkTables(t *testing.T, s string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "### ") {
		t.Errorf("first line %q is not the title", lines[0])
	}
	inList := false // the warnings list comes last
	for i, line := range lines[1:] {
		switch {
		case line == "":
		case strings.HasPrefix(line, "|"):
			if c := cells(line); len(c) != 4 || c[0] != "" || c[3] != "" {
				t.Errorf("line %d %q has %d cells, want a row of 2", i+2, line, len(c)-2)
			}
		case line == "**Warnings**":
			inList = true
		case inList && strings.HasPrefix(line, "- "):
		case strings.HasPrefix(line, "**Blocked by a Versioner preflight rule.**"):
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
// text and breaks nothing.
func TestSummaryEscapes(t *testing.T) {
	t.Parallel()
	values := []struct {
		name string
		in   string
		want string // how it appears in the summary
	}{
		{name: "pipe", in: "a|b", want: `a\|b`},
		{name: "script tag", in: "<script>alert(1)</script>", want: "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{name: "markdown link", in: "[x](javascript:alert(1))", want: `\[x\](javascript:alert(1))`},
		{name: "image", in: "![x](https://evil.example/p.png)", want: `!\[x\](https://evil.example/p.png)`},
		{name: "newline and heading", in: "a\n# b\n| c | d |", want: `a \# b \| c \| d \|`},
		{name: "carriage returns", in: "a\r\nb\rc", want: "a b c"},
		{name: "emphasis and code", in: "*a* _b_ `c` ~d~", want: "\\*a\\* \\_b\\_ \\`c\\` \\~d\\~"},
		{name: "entity", in: "&lt;b&gt;", want: "&amp;lt;b&amp;gt;"},
		{name: "backslash before pipe", in: `\|`, want: `\\\|`},
	}
	fields := []struct {
		name string
		set  func(r *report.Report, v string)
	}{
		{name: "product", set: func(r *report.Report, v string) { r.Event.Product = v }},
		{name: "version", set: func(r *report.Report, v string) { r.Event.Version = v }},
		{name: "environment", set: func(r *report.Report, v string) { r.Event.Environment = v }},
		{name: "branch", set: func(r *report.Report, v string) { r.Event.Branch = v }},
		{name: "branch without a commit", set: func(r *report.Report, v string) { r.Event.Branch = v; r.Event.SHA = "" }},
		{name: "status as given", set: func(r *report.Report, v string) { r.GivenWord = v }},
		{name: "warning", set: func(r *report.Report, v string) { r.Warnings = []string{v} }},
		{name: "rule", set: func(r *report.Report, v string) {
			r.Versioner.Warnings = []versioner.Rule{{Name: "soak", Status: "report_only", EvaluationResult: "failed", Message: v}}
		}},
		{name: "Versioner note", set: func(r *report.Report, v string) { r.Versioner = versioner.Result{Note: v} }},
		{name: "Versioner error", set: func(r *report.Report, v string) { r.VersionerErr = errors.New(v) }},
		{name: "Versioner error as a warning", set: func(r *report.Report, v string) {
			r.VersionerErr = errors.New(v)
			r.FailOnAPIError, r.FailOnGitHubError = false, false
		}},
		{name: "preflight message", set: func(r *report.Report, v string) {
			r.VersionerErr = &versioner.PreflightError{Status: 423, Message: v, RetryAfter: v}
		}},
		{name: "GitHub error", set: func(r *report.Report, v string) { r.GitHubErr = errors.New(v) }},
		{name: "GitHub skipped", set: func(r *report.Report, v string) { r.GitHubSkipped = v }},
	}
	for _, f := range fields {
		for _, v := range values {
			t.Run(f.name+"/"+v.name, func(t *testing.T) {
				t.Parallel()
				r := deployed()
				f.set(r, v.in)
				got := r.Summary()
				checkTables(t, got)
				if !strings.Contains(got, v.want) {
					t.Errorf("Summary() lacks %q for %q:\n%s", v.want, v.in, got)
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
			name: "https environment URL is a link",
			set:  func(r *report.Report) { r.Event.EnvironmentURL = "https://web.example.com/" },
			want: "| Environment URL | [https://web.example.com/](https://web.example.com/) |",
		},
		{
			name: "http environment URL is a link",
			set:  func(r *report.Report) { r.Event.EnvironmentURL = "http://10.0.0.1:8080" },
			want: "| Environment URL | [http://10.0.0.1:8080](http://10.0.0.1:8080) |",
		},
		{
			name:    "javascript URL is text",
			set:     func(r *report.Report) { r.Event.EnvironmentURL = "javascript:alert(document.cookie)" },
			want:    "| Environment URL | javascript:alert(document.cookie) |",
			notWant: "](javascript",
		},
		{
			name:    "data URL is text",
			set:     func(r *report.Report) { r.Event.EnvironmentURL = "data:text/html,<script>alert(1)</script>" },
			want:    "| Environment URL | data:text/html,&lt;script&gt;alert(1)&lt;/script&gt; |",
			notWant: "](data",
		},
		{
			name:    "scheme is matched exactly",
			set:     func(r *report.Report) { r.Event.EnvironmentURL = "https:/evil" },
			want:    "| Environment URL | https:/evil |",
			notWant: "](https:/evil",
		},
		{
			name: "parentheses and spaces cannot end the link",
			set: func(r *report.Report) {
				r.GitHub.URL = "https://github.com/acme/web/deployments/x) [y](javascript:alert(1)"
			},
			want: "| Deployment | [production](https://github.com/acme/web/deployments/x%29%20[y]%28javascript:alert%281%29) |",
		},
		{
			name: "angle brackets and newlines in a URL",
			set:  func(r *report.Report) { r.Event.RunURL = "https://github.com/a<b>\n/runs/1" },
			want: "| Run | [\\#77](https://github.com/a%3Cb%3E/runs/1) |",
		},
		{
			name: "run attempt is named",
			set:  func(r *report.Report) { r.Event.RunAttempt = "3" },
			want: "| Run | [\\#77, attempt 3](https://github.com/acme/web/actions/runs/987654321) |",
		},
		{
			name: "run without a number",
			set:  func(r *report.Report) { r.Event.RunNumber = "" },
			want: "| Run | [run](https://github.com/acme/web/actions/runs/987654321) |",
		},
		{
			name:    "no run URL, no run row",
			set:     func(r *report.Report) { r.Event.RunURL = "" },
			notWant: "| Run |",
		},
		{
			name: "commit without a server URL is code",
			set:  func(r *report.Report) { r.ServerURL = "" },
			want: "| Commit | `0123456789ab` on main |",
		},
		{
			name: "branch only",
			set:  func(r *report.Report) { r.Event.SHA = "" },
			want: "| Commit | main |",
		},
		{
			name: "commit links to GitHub Enterprise",
			set:  func(r *report.Report) { r.ServerURL = "https://ghes.example.com" },
			want: "| Commit | [0123456789ab](https://ghes.example.com/acme/web/commit/0123456789abcdef0123456789abcdef01234567) on main |",
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := deployed()
			tt.set(r)
			checkTables(t, r.Summary())
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
}

func TestSummaryStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		given  string
		status event.Status
		want   string
	}{
		{given: "success", status: event.Completed, want: "| Status | `completed` (given as success) |"},
		{given: "Completed", status: event.Completed, want: "| Status | `completed` |"},
		{given: "", status: event.Completed, want: "| Status | `completed` |"},
		{given: "in_progress", status: event.Started, want: "| Status | `started` (given as in\\_progress) |"},
		{given: "cancelled", status: event.Aborted, want: "| Status | `aborted` (given as cancelled) |"},
	}
	for _, tt := range tests {
		t.Run(tt.given, func(t *testing.T) {
			t.Parallel()
			r := deployed()
			r.GivenWord, r.Event.Status = tt.given, tt.status
			if got := r.Summary(); !strings.Contains(got, tt.want+"\n") {
				t.Errorf("Summary() lacks\n%s\nin:\n%s", tt.want, got)
			}
		})
	}
}

func TestSummaryIcon(t *testing.T) {
	t.Parallel()
	down := errors.New("down")
	tests := []struct {
		name string
		r    *report.Report
		want string
	}{
		{name: "success", r: deployed(), want: "### ✅ "},
		{name: "failure", r: edit(deployed(), func(r *report.Report) { r.VersionerErr = down }), want: "### ❌ "},
		{name: "blocked even when API errors are warnings", r: edit(deployed(), func(r *report.Report) {
			r.VersionerErr = blocked()
			r.FailOnAPIError, r.FailOnGitHubError = false, false
		}), want: "### ❌ "},
		{name: "API error as a warning", r: edit(deployed(), func(r *report.Report) { r.GitHubErr = down; r.FailOnAPIError, r.FailOnGitHubError = false, false }), want: "### ⚠️ "},
		{name: "warnings", r: edit(deployed(), func(r *report.Report) { r.Warnings = []string{"w"} }), want: "### ⚠️ "},
		{name: "note", r: edit(deployed(), func(r *report.Report) { r.Versioner = versioner.Result{Note: "n"} }), want: "### ⚠️ "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.r.Summary(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("Summary() starts %q, want %q", firstLine(got), tt.want)
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestSummaryPreflight(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want []string
		not  []string
	}{
		{
			name: "retry_after is shown",
			err:  blocked(),
			want: []string{
				"\n**Blocked by a Versioner preflight rule.** Retry after: **2024-05-06T08:00:00Z**.\n",
				`| Versioner | ⛔ Versioner blocked the deployment (NO\_DEPLOY\_WINDOW) by rule "Weekend freeze": Deployments to production are frozen; retry after 2024-05-06T08:00:00Z |`,
			},
		},
		{
			name: "without retry_after",
			err:  &versioner.PreflightError{Status: 428, Code: "APPROVAL_REQUIRED", Message: "Needs approval"},
			want: []string{"\n**Blocked by a Versioner preflight rule.**\n"},
			not:  []string{"Retry after:"},
		},
		{
			name: "wrapped rejection",
			err:  fmt.Errorf("recording the event: %w", blocked()),
			want: []string{"Retry after: **2024-05-06T08:00:00Z**."},
		},
		{
			name: "not a rejection",
			err:  errors.New("Versioner answered 503"),
			not:  []string{"Blocked by", "⛔"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := deployed()
			r.VersionerErr = tt.err
			got := r.Summary()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Summary() lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("Summary() contains %q:\n%s", n, got)
				}
			}
		})
	}
}

func TestSummaryWarnings(t *testing.T) {
	t.Parallel()
	r := deployed()
	r.FailOnAPIError, r.FailOnGitHubError = false, false
	r.Warnings = []string{"input api_key is deprecated: use api-key"}
	r.Versioner.Warnings = []versioner.Rule{
		{Name: "Soak time", Status: "report_only", EvaluationResult: "failed", Message: "staging soaked 10m of 1h"},
		{Name: "Flow", Status: "report_only", EvaluationResult: "failed", Message: "skipped staging"},
	}
	r.Versioner.Note = "Versioner recorded the deployment event but answered with an empty body, so its ids are unknown"
	r.GitHubErr = errors.New("GitHub answered 500")
	_, list, ok := strings.Cut(r.Summary(), "\n**Warnings**\n\n")
	if !ok {
		t.Fatalf("Summary() has no warnings section:\n%s", r.Summary())
	}
	want := []string{
		`- input api\_key is deprecated: use api-key`,
		`- Versioner rule "Soak time" (report only) failed: staging soaked 10m of 1h`,
		`- Versioner rule "Flow" (report only) failed: skipped staging`,
		`- Versioner recorded the deployment event but answered with an empty body, so its ids are unknown`,
		`- GitHub answered 500 (fail-on-api-error is false)`,
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(list, "\n"), "\n")); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(deployed().Summary(), "**Warnings**") {
		t.Errorf("Summary() without warnings has a warnings section")
	}
}

func TestSummaryDryRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    *report.Report
		want []string
	}{
		{
			name: "deployment",
			r:    edit(deployed(), func(r *report.Report) { r.DryRun = true; r.Versioner = versioner.Result{}; r.GitHub.URL = "" }),
			want: []string{
				"### ✅ deploytrack: web 1.2.3 → production: completed (dry run: nothing sent)\n",
				"| Versioner | dry run: would POST the deployment event |",
				"| GitHub | dry run: would find or create the deployment and post `success` |",
			},
		},
		{
			name: "build",
			r:    edit(built(), func(r *report.Report) { r.DryRun = true; r.Versioner = versioner.Result{} }),
			want: []string{
				"### ✅ deploytrack: web 1.2.3 build: completed (dry run: nothing sent)\n",
				"| Versioner | dry run: would POST the build event |",
				"| GitHub | skipped: build events have no GitHub deployment |",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.r.Summary()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Summary() lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, "recorded") {
				t.Errorf("a dry run's summary says something was recorded:\n%s", got)
			}
		})
	}
}

// GitHub refuses a step summary over 1 MiB: the summary is cut under it,
// on a rune boundary, and says so.
func TestSummaryCap(t *testing.T) {
	t.Parallel()
	const note = "\n\n*(summary cut to stay under GitHub's 1 MiB limit)*\n"
	tests := []struct {
		name string
		r    *report.Report
		cut  bool
	}{
		{name: "small summary is whole", r: deployed(), cut: false},
		{name: "many warnings", r: edit(deployed(), func(r *report.Report) {
			for i := 0; i < 3000; i++ {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%d: %s", i, strings.Repeat("é|", 200)))
			}
		}), cut: true},
		{name: "huge product name", r: edit(deployed(), func(r *report.Report) {
			r.Event.Product = strings.Repeat("<部署>", 200_000)
		}), cut: true},
		{name: "huge error", r: edit(deployed(), func(r *report.Report) {
			r.VersionerErr = errors.New(strings.Repeat("🚀", 300_000))
		}), cut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.r.Summary()
			if len(got) > report.MaxSummary || len(got) >= 1<<20 {
				t.Errorf("Summary() is %d bytes, want at most %d", len(got), report.MaxSummary)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Summary() is not valid UTF-8 after the cut")
			}
			if cut := strings.HasSuffix(got, note); cut != tt.cut {
				t.Errorf("Summary() ends with the cut note: %v, want %v (ends %q)", cut, tt.cut, got[max(0, len(got)-80):])
			}
			if !strings.HasPrefix(got, "### ") {
				t.Errorf("Summary() lost its title: starts %q", got[:min(len(got), 80)])
			}
		})
	}
}
