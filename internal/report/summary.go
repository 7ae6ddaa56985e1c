package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/redact"
)

// MaxSummary keeps the summary under GitHub's 1 MiB limit per step.
const MaxSummary = 1000 << 10

// Summary is the job summary of a step that recorded one product, in
// GitHub-flavoured markdown. It reads top down as a release engineer asks:
// what happened to the deploy (the headline: its outcome in words and an
// icon that agrees, what went where, who, how long), what to follow up
// (the commit, the run, the records in both sinks), and only when a sink
// had trouble, a Tracking section that keeps that apart from the deploy.
func (r *Report) Summary() string {
	var b strings.Builder
	b.WriteString("### " + r.headline() + "\n")
	for _, p := range r.about() {
		b.WriteString("\n" + p + "\n")
	}
	if t := r.details(); t != "" {
		b.WriteString("\n" + t)
	}
	writeNotes(&b, "Tracking", r.tracking())
	var warns []note
	for _, w := range r.summaryWarnings() {
		warns = append(warns, note{text: w})
	}
	writeNotes(&b, "Warnings", warns)
	return finish(b.String(), r.Secrets)
}

// look is how the summary states what happened to the deploy: an icon
// and a word, Versioner's where it has one.
type look struct{ icon, word string }

// The looks of the outcomes, in the order a reader must attend to them:
// a summary of several products takes the first that one of them has.
var (
	lookBlocked    = look{"⛔", "blocked"}
	lookNotStarted = look{"❌", "not started"}
	lookFailed     = look{"❌", "failed"}
	lookAborted    = look{"⏹️", "aborted"}
	lookSkipped    = look{"⏭️", "skipped"}
	lookPending    = look{"⏳", "pending"}
	lookStarted    = look{"🚀", "started"}
	lookCompleted  = look{"✅", "completed"}
	lookDryRun     = look{"🧪", "dry run"}
	severity       = []look{lookBlocked, lookNotStarted, lookFailed, lookAborted, lookSkipped, lookPending, lookStarted, lookCompleted, lookDryRun}
)

var statusLooks = map[event.Status]look{
	event.Pending: lookPending, event.Started: lookStarted, event.Completed: lookCompleted,
	event.Failed: lookFailed, event.Aborted: lookAborted,
}

// look says what happened to the deploy, whatever happened to its
// tracking, with one exception: a start whose tracking failed the step
// did not start, since the job's steps after it do not run.
func (r *Report) look() look {
	switch {
	case r.DryRun:
		return lookDryRun
	case r.Skipped != "":
		return lookSkipped
	case r.Preflight() != nil:
		return lookBlocked
	case !r.Event.Status.Terminal() && r.Failed():
		return lookNotStarted
	}
	if l, ok := statusLooks[r.Event.Status]; ok {
		return l
	}
	return look{"❔", string(r.Event.Status)}
}

// headline is the one line that says it all: "✅ Completed: shop-api
// 1.4.0 → production · by octocat · took 4m 12s".
func (r *Report) headline() string {
	l := r.look()
	word := capital(l.word)
	if r.DryRun {
		word += " (" + string(r.Event.Status) + ")"
	}
	return l.icon + " " + word + ": " + r.what() + r.byline()
}

// what is the product, its version and where it went.
func (r *Report) what() string {
	ev := r.Event
	s := md(ev.Product) + " " + md(ev.Version)
	if ev.Kind == event.Build {
		return s + " build"
	}
	return s + " → " + r.link(ev.Environment, ev.EnvironmentURL)
}

// byline is who deployed, how long it took, and until when a block holds,
// each when known.
func (r *Report) byline() string {
	var s string
	if who := r.who(); who != "" {
		s += " · by " + md(who)
	}
	if d := r.took(); d != "" {
		s += " · took " + d
	}
	if pe := r.Preflight(); pe != nil && pe.RetryAfter != "" {
		s += " · until " + when(pe.RetryAfter)
	}
	return s
}

func (r *Report) who() string {
	if r.Event.Actor != "" {
		return r.Event.Actor
	}
	return r.Event.ActorName
}

// took is how long the deploy took, when its start is known and this
// event ends it.
func (r *Report) took() string {
	ev := r.Event
	if r.Skipped != "" || !ev.Status.Terminal() {
		return ""
	}
	return duration(ev.Duration())
}

// duration writes d as a person reads it: 45s, 4m 12s, 1h 5m.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Second:
		return "under 1s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm %ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh %dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// when writes a retry_after as a person reads it, in UTC; a value that is
// not RFC 3339 as it came.
func when(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return md(s)
	}
	return t.UTC().Format("Mon 2 Jan 2006 15:04 UTC")
}

// about lists the paragraphs under the headline: why a deploy was blocked
// or skipped, what a dry run did, the description given, the version this
// one replaced.
func (r *Report) about() []string {
	var ps []string
	switch pe := r.Preflight(); {
	case r.Skipped != "":
		ps = append(ps, "Nothing recorded: "+sentence(prose(r.Secrets.Redact(r.Skipped))))
	case pe != nil:
		ps = append(ps, r.blockedBy())
	case r.DryRun:
		ps = append(ps, "Nothing was sent: the step's log shows the requests a real run would send.")
	}
	if r.Failed() && r.Preflight() == nil {
		// The job shows the step failed; the headline says the deploy did
		// well, or did not start: say whose failure it is.
		ps = append(ps, "The step failed on tracking, not on the "+r.noun()+": see Tracking below.")
	}
	if d := strings.TrimSpace(r.Event.Description); d != "" {
		ps = append(ps, "*"+md(d)+"*")
	}
	if v := r.replaced(); v != "" {
		ps = append(ps, "Replaced "+v+", which GitHub now shows as inactive.")
	}
	return ps
}

// blockedBy says which rule blocked the deploy and what it said.
func (r *Report) blockedBy() string {
	pe := r.Preflight()
	if pe.RuleName == "" && pe.Code == "" {
		// The answer named no rule: the error says what it usually means.
		return sentence(prose(r.Secrets.Redact(pe.Error())))
	}
	s := "Versioner's rule"
	if pe.RuleName != "" {
		s += " **" + md(pe.RuleName) + "**"
	}
	if pe.Code != "" {
		s += " (" + inlineCode(r.Secrets.Redact(pe.Code)) + ")"
	}
	return s + " stopped it: " + sentence(prose(r.Secrets.Redact(pe.Message)))
}

// replaced is the version this deployment replaced on GitHub, if it did.
func (r *Report) replaced() string {
	rep := r.GitHub.Replaced
	if rep.ID == 0 || r.DryRun {
		return ""
	}
	if rep.Version == "" || rep.Version == "<nil>" {
		return fmt.Sprintf("GitHub deployment %d", rep.ID)
	}
	return "**" + md(rep.Version) + "**"
}

// details is the table of what a reader follows up: the commit, the run,
// the GitHub deployment (only one that exists), Versioner's id. A column
// shows only when it has a value, so no header is empty.
func (r *Report) details() string {
	var heads, cells []string
	add := func(head, cell string) {
		if cell != "" {
			heads, cells = append(heads, head), append(cells, cell)
		}
	}
	add("Commit", r.commit())
	add("Run", r.run())
	add("GitHub", r.githubCell())
	if r.recorded() {
		add("Versioner", r.code(r.Versioner.ID))
	}
	if len(heads) == 0 {
		return ""
	}
	return table(heads, [][]string{cells})
}

// recorded reports whether Versioner recorded the event with an id.
func (r *Report) recorded() bool {
	return !r.DryRun && r.VersionerErr == nil && r.Versioner.ID != ""
}

// table writes a markdown table.
func table(heads []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(heads, " | ") + " |\n|" + strings.Repeat("---|", len(heads)) + "\n")
	for _, row := range rows {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	return b.String()
}

// commit is the commit, as GitHub shows one: seven digits, linked, and
// the branch.
func (r *Report) commit() string {
	ev := r.Event
	if ev.SHA == "" {
		return md(ev.Branch)
	}
	short := cut(ev.SHA, 7)
	c := r.code(short)
	if r.ServerURL != "" && ev.Repository != "" {
		c = r.link(short, r.ServerURL+"/"+ev.Repository+"/commit/"+ev.SHA)
	}
	if ev.Branch != "" {
		c += " on " + md(ev.Branch)
	}
	return c
}

// run is the run that recorded the event, linked.
func (r *Report) run() string {
	ev := r.Event
	if ev.RunURL == "" {
		return ""
	}
	run := "run"
	if ev.RunNumber != "" {
		run = "#" + ev.RunNumber
	}
	if ev.RunAttempt != "" && ev.RunAttempt != "1" {
		run += ", attempt " + ev.RunAttempt
	}
	return r.link(run, ev.RunURL)
}

// githubCell links to the GitHub deployment, when there is one: not in a
// dry run, nor when GitHub made none. Its state shows only when it is not
// the one the outcome implies (failure for a blocked deploy, say).
func (r *Report) githubCell() string {
	g := r.GitHub
	if r.DryRun || r.GitHubSkipped != "" || g.DeploymentID == 0 {
		return ""
	}
	s := r.link(fmt.Sprintf("deployment %d", g.DeploymentID), g.URL)
	if g.Job {
		s += " (the job's)"
	}
	if r.GitHubErr == nil && g.State != "" && g.State != deployments.State(r.Event.Status) {
		s += ", marked " + md(g.State)
	}
	return s
}

// note is one item of a Tracking or Warnings section, and the products it
// is about when the summary has several.
type note struct {
	icon     string
	text     string
	products []string
}

// tracking lists the trouble each sink had, as tracking trouble: what
// failed, and what it means for the step and the deploy.
func (r *Report) tracking() []note {
	var ns []note
	if err := r.VersionerErr; err != nil && r.Preflight() == nil {
		fails := r.FailOnAPIError
		ns = append(ns, note{icon: troubleIcon(fails), text: "**Recording in Versioner failed**: " +
			sentence(prose(r.Secrets.Redact(err.Error()))) + " " + r.consequence(fails, "fail-on-api-error")})
	}
	if r.Versioner.Note != "" {
		ns = append(ns, note{icon: "⚠️", text: sentence(prose(r.Secrets.Redact(r.Versioner.Note)))})
	}
	if err := r.GitHubErr; err != nil {
		fails := r.FailOnGitHubError
		what := "Recording on GitHub failed"
		if r.GitHub.DeploymentID != 0 {
			what = fmt.Sprintf("Posting the status of GitHub deployment %d failed", r.GitHub.DeploymentID)
		}
		ns = append(ns, note{icon: troubleIcon(fails), text: "**" + what + "**: " +
			sentence(prose(r.Secrets.Redact(err.Error()))) + " " + r.consequence(fails, r.githubSwitch())})
	}
	return ns
}

func troubleIcon(failsStep bool) string {
	if failsStep {
		return "❌"
	}
	return "⚠️"
}

// consequence says what a sink's failure means: for the deploy, nothing,
// unless it failed a start (the job's steps after it do not run); for the
// step, failure when the input named is true.
func (r *Report) consequence(failsStep bool, input string) string {
	what := r.noun()
	switch {
	case !failsStep:
		return "The " + what + " itself is unaffected: the step went on, as " + input + " is false."
	case r.Event.Status.Terminal():
		return "The " + what + " itself is unaffected, but the step failed, as " + input + " is true."
	}
	return "The step failed, as " + input + " is true, so the job's steps after it (the " + what + " itself) do not run."
}

// noun is what the event is about: a deploy or a build.
func (r *Report) noun() string {
	if r.Event.Kind == event.Build {
		return "build"
	}
	return "deploy"
}

// summaryWarnings are the warnings the summary lists: the step's, and
// Versioner's report-only rules that failed. The sinks' failures are in
// Tracking.
func (r *Report) summaryWarnings() []string {
	var ws []string
	for _, w := range r.Warnings {
		ws = append(ws, sentence(prose(r.Secrets.Redact(w))))
	}
	return append(ws, r.ruleWarnings()...)
}

func (r *Report) ruleWarnings() []string {
	var ws []string
	for _, rule := range r.Versioner.Warnings {
		ws = append(ws, "Versioner's rule **"+md(r.Secrets.Redact(rule.Name))+"** (report only) failed: "+sentence(prose(r.Secrets.Redact(rule.Message))))
	}
	return ws
}

// writeNotes writes a section of notes, when there are any.
func writeNotes(b *strings.Builder, heading string, ns []note) {
	if len(ns) == 0 {
		return
	}
	fmt.Fprintf(b, "\n#### %s\n\n", heading)
	for _, n := range ns {
		b.WriteString("- ")
		if n.icon != "" {
			b.WriteString(n.icon + " ")
		}
		if len(n.products) > 0 {
			b.WriteString(strings.Join(n.products, ", ") + ": ")
		}
		b.WriteString(n.text + "\n")
	}
}

// finish redacts the secrets, in every form markdown and the APIs give
// them (sk\_live\_1 renders as sk_live_1), and keeps the summary under
// GitHub's limit.
func finish(s string, secrets *redact.Secrets) string {
	s = secrets.Markdown(s)
	if len(s) > MaxSummary {
		s = cut(s, MaxSummary-64) + "\n\n*(summary cut to stay under GitHub's 1 MiB limit)*\n"
	}
	return s
}

// warnings are the ones the annotations show.
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

// githubSwitch names the input that made a GitHub failure a warning, or
// the step fail.
func (r *Report) githubSwitch() string {
	if r.FailOnGitHubError == r.FailOnAPIError {
		return "fail-on-api-error"
	}
	return "fail-on-github-error"
}

// capital is s with its first letter in upper case (the words are ASCII).
func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
