package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/redact"
)

// MaxSummary keeps the summary under GitHub's 1 MiB limit per step.
const MaxSummary = 1000 << 10

// Summary is the job summary, in GitHub-flavoured markdown. Every value
// that came from outside is escaped, so it renders as text.
func (r *Report) Summary() string {
	ev := r.Event
	var b strings.Builder

	icon := "✅"
	switch {
	case r.Failed():
		icon = "❌"
	case r.VersionerErr != nil || r.GitHubErr != nil || len(r.warnings()) > 0:
		icon = "⚠️"
	}
	title := md(ev.Product) + " " + md(ev.Version)
	if ev.Kind == event.Deployment {
		title += " → " + md(ev.Environment)
	} else {
		title += " build"
	}
	dry := ""
	if r.DryRun {
		dry = " (dry run: nothing sent)"
	}
	if r.Skipped != "" {
		fmt.Fprintf(&b, "### ⏭️ deploytrack: %s: skipped\n\nNothing recorded: %s.\n", title, md(r.Skipped))
		return finishSummary(&b, "Warnings", r.Warnings, r.Secrets)
	}
	fmt.Fprintf(&b, "### %s deploytrack: %s: %s%s\n\n", icon, title, ev.Status, dry)

	b.WriteString("| | |\n|---|---|\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "| %s | %s |\n", k, v)
		}
	}
	row("Product", md(ev.Product))
	row("Version", md(ev.Version))
	row("Environment", md(ev.Environment))
	status := "`" + string(ev.Status) + "`"
	if r.GivenWord != "" && !strings.EqualFold(r.GivenWord, string(ev.Status)) {
		status += " (given as " + md(r.GivenWord) + ")"
	}
	row("Status", status)
	if d := ev.Duration(); d > 0 && ev.Status.Terminal() {
		row("Duration", d.Round(time.Second).String())
	}
	row("Commit", r.commit())
	if ev.RunURL != "" {
		run := "run"
		if ev.RunNumber != "" {
			run = "#" + ev.RunNumber
		}
		if ev.RunAttempt != "" && ev.RunAttempt != "1" {
			run += ", attempt " + ev.RunAttempt
		}
		row("Run", r.link(run, ev.RunURL))
	}
	if r.GitHub.URL != "" {
		row("Deployment", r.link(ev.Environment, r.GitHub.URL))
	}
	if ev.EnvironmentURL != "" {
		row("Environment URL", r.link(ev.EnvironmentURL, ev.EnvironmentURL))
	}

	b.WriteString("\n| Sink | Result |\n|---|---|\n")
	fmt.Fprintf(&b, "| Versioner | %s |\n", r.versionerLine())
	fmt.Fprintf(&b, "| GitHub | %s |\n", r.githubLine())

	if pe := r.Preflight(); pe != nil {
		b.WriteString("\n**Blocked by a Versioner preflight rule.**")
		if pe.RetryAfter != "" {
			fmt.Fprintf(&b, " Retry after: **%s**.", md(pe.RetryAfter))
		}
		b.WriteString("\n")
	}
	return finishSummary(&b, "Warnings", r.warnings(), r.Secrets)
}

// finishSummary appends a list of notes under a heading, redacts the
// secrets, in every form markdown and the APIs give them (sk\_live\_1
// renders as sk_live_1), and keeps the summary under GitHub's limit.
func finishSummary(b *strings.Builder, heading string, notes []string, secrets *redact.Secrets) string {
	if len(notes) > 0 {
		fmt.Fprintf(b, "\n**%s**\n\n", heading)
		for _, n := range notes {
			fmt.Fprintf(b, "- %s\n", md(n))
		}
	}
	s := secrets.Markdown(b.String())
	if len(s) > MaxSummary {
		s = cut(s, MaxSummary-64) + "\n\n*(summary cut to stay under GitHub's 1 MiB limit)*\n"
	}
	return s
}

func (r *Report) commit() string {
	ev := r.Event
	if ev.SHA == "" {
		return md(ev.Branch)
	}
	short := ev.SHA
	if len(short) > 12 {
		short = short[:12]
	}
	c := r.code(short)
	if r.ServerURL != "" && ev.Repository != "" {
		c = r.link(short, r.ServerURL+"/"+ev.Repository+"/commit/"+ev.SHA)
	}
	if ev.Branch != "" {
		c += " on " + md(ev.Branch)
	}
	return c
}

func (r *Report) versionerLine() string {
	what := string(r.Event.Kind)
	switch {
	case r.DryRun:
		return "dry run: would POST the " + what + " event"
	case r.VersionerErr != nil:
		if pe := r.Preflight(); pe != nil {
			return "⛔ " + md(pe.Error())
		}
		return "❌ " + md(r.VersionerErr.Error())
	case r.Versioner.ID == "":
		return "✅ recorded " + what + " event (" + md(r.Versioner.Note) + ")"
	}
	return fmt.Sprintf("✅ recorded %s event %s", what, r.code(r.Versioner.ID))
}

func (r *Report) githubLine() string {
	g := r.GitHub
	switch {
	case r.GitHubSkipped != "":
		return "skipped: " + md(r.GitHubSkipped)
	case r.DryRun && g.Auto:
		return "dry run: would post " + code(g.State) + " to the job's own deployment when GitHub made one for the job's `environment:`, else find or create ours"
	case r.DryRun:
		return "dry run: would find or create the deployment and post " + r.code(g.State)
	case r.GitHubErr != nil && g.DeploymentID != 0:
		return fmt.Sprintf("❌ deployment %d: %s", g.DeploymentID, md(r.GitHubErr.Error()))
	case r.GitHubErr != nil:
		return "❌ " + md(r.GitHubErr.Error())
	}
	if g.Job {
		return fmt.Sprintf("✅ the job's own deployment %d (GitHub made it for the job's `environment:`), status %s", g.DeploymentID, code(g.State))
	}
	verb := "found"
	if g.Created {
		verb = "created"
	}
	return fmt.Sprintf("✅ deployment %d %s, status %s", g.DeploymentID, verb, r.code(g.State))
}

// warnings are the ones the summary and the annotations show.
func (r *Report) warnings() []string {
	ws := append([]string(nil), r.Warnings...)
	for _, rule := range r.Versioner.Warnings {
		ws = append(ws, fmt.Sprintf("Versioner rule %q (report only) failed: %s", rule.Name, rule.Message))
	}
	if r.Versioner.Note != "" {
		ws = append(ws, r.Versioner.Note)
	}
	if !r.FailOnAPIError && r.VersionerErr != nil && r.Preflight() == nil {
		ws = append(ws, "Versioner: "+r.VersionerErr.Error()+" (fail-on-api-error is false)")
	}
	if !r.FailOnGitHubError && r.GitHubErr != nil {
		ws = append(ws, r.GitHubErr.Error()+" ("+r.githubSwitch()+" is false)")
	}
	return ws
}

// code and link render text from outside with the secrets redacted
// first, as well as in the whole summary: link's escaping drops line
// breaks, which no form of a secret does.
func (r *Report) code(s string) string { return code(r.Secrets.Redact(s)) }
func (r *Report) link(text, u string) string {
	return link(r.Secrets.Redact(text), r.Secrets.Redact(u))
}

// mdEscaper escapes what markdown or HTML would read as markup, and folds
// line breaks, which would end a table row.
var mdEscaper = strings.NewReplacer(
	"\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]",
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "|", "\\|", "~", "\\~", "#", "\\#",
	"\r\n", " ", "\n", " ", "\r", " ",
)

func md(s string) string { return mdEscaper.Replace(s) }

// code renders s as a code span, where markdown shows backslashes as
// typed: backticks, pipes and line breaks are replaced instead.
func code(s string) string { return "`" + codeEscaper.Replace(s) + "`" }

// codeEscaper and urlEscaper are built once, like mdEscaper: building a
// Replacer costs more than using it.
var codeEscaper = strings.NewReplacer("`", "'", "|", `\|`, "\r", " ", "\n", " ")

var urlEscaper = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E", "|", "%7C", "\n", "", "\r", "")

// link renders a link whose URL came from outside: only http(s) URLs
// become links, and their text is escaped.
func link(text, u string) string {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return md(text)
	}
	return "[" + md(text) + "](" + urlEscaper.Replace(u) + ")"
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

// githubSwitch names the input that made a GitHub failure a warning.
func (r *Report) githubSwitch() string {
	if r.FailOnGitHubError == r.FailOnAPIError {
		return "fail-on-api-error"
	}
	return "fail-on-github-error"
}
