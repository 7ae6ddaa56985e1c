package report

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/workflow"
)

// Result is one product's entry in the results output.
type Result struct {
	Status             string `json:"status"`
	Version            string `json:"version"`
	Environment        string `json:"environment,omitempty"`
	DeploymentID       string `json:"deployment_id,omitempty"`
	BuildID            string `json:"build_id,omitempty"`
	VersionID          string `json:"version_id,omitempty"`
	ProductID          string `json:"product_id,omitempty"`
	EnvironmentID      string `json:"environment_id,omitempty"`
	GitHubDeploymentID string `json:"github_deployment_id,omitempty"`
	// OK is false when the product's event failed in either sink.
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Results is the results output: one entry per product, keyed by the
// product's name, or by product@environment when a product appears in
// several environments.
func Results(reps []*Report) map[string]Result {
	out := make(map[string]Result, len(reps))
	count := map[string]int{}
	for _, r := range reps {
		count[r.Event.Product]++
	}
	for _, r := range reps {
		key := r.Event.Product
		if count[key] > 1 {
			key += "@" + r.Event.Environment
		}
		res := Result{Status: r.Outcome(), Version: r.Event.Version, Environment: r.Event.Environment, OK: !r.Failed() && r.VersionerErr == nil && r.GitHubErr == nil}
		for _, o := range r.Outputs() {
			dst := map[string]*string{"deployment-id": &res.DeploymentID, "build-id": &res.BuildID, "version-id": &res.VersionID,
				"product-id": &res.ProductID, "environment-id": &res.EnvironmentID, "github-deployment-id": &res.GitHubDeploymentID}[o.Name]
			if dst != nil {
				*dst = o.Value
			}
		}
		var errs []string
		for _, err := range []error{r.VersionerErr, r.GitHubErr} {
			if err != nil {
				errs = append(errs, err.Error())
			}
		}
		// Redacted before encoding as well as after (in SetOutputs): the
		// mask then stands for the whole secret, and the JSON stays valid
		// whatever the secret holds.
		res.Error = r.Secrets.Redact(strings.Join(errs, "; "))
		out[key] = res
	}
	return out
}

// WriteAll leaves behind what a step that recorded one or more products
// did. With one product it writes what Write does; with several, the
// per-product outputs stay empty (results holds them), status is set when
// every product has the same one, and the summary has a row per product.
func WriteAll(a *githubactions.Action, reps []*Report) error {
	results, err := json.Marshal(Results(reps))
	if err != nil {
		return err
	}
	first := reps[0]
	if len(reps) == 1 {
		return write(a, first, workflow.Entry{Name: "results", Value: string(results)})
	}

	for _, w := range first.Warnings {
		a.Warningf("%s", w)
	}
	for _, r := range reps {
		p := r.Event.Product + ": "
		for _, w := range r.warnings()[len(r.Warnings):] {
			a.Warningf("%s", p+w)
		}
		if pe := r.Preflight(); pe != nil {
			a.WithFieldsMap(map[string]string{"title": "Deployment of " + r.Event.Product + " blocked by Versioner"}).Errorf("%s", pe.Error())
		} else if r.FailOnAPIError && r.VersionerErr != nil {
			a.WithFieldsMap(map[string]string{"title": "Versioner: " + r.Event.Product}).Errorf("%s", r.VersionerErr.Error())
		}
		if r.FailOnGitHubError && r.GitHubErr != nil {
			a.WithFieldsMap(map[string]string{"title": "GitHub deployment: " + r.Event.Product}).Errorf("%s", r.GitHubErr.Error())
		}
	}

	status := first.Outcome()
	for _, r := range reps {
		if r.Outcome() != status {
			status = ""
		}
	}
	outs := first.Outputs()
	for i := range outs {
		outs[i].Value = ""
		if outs[i].Name == "status" {
			outs[i].Value = status
		}
	}
	outs = append(outs, workflow.Entry{Name: "results", Value: string(results)})
	if err := workflow.SetOutputs(a, first.Secrets, outs...); err != nil {
		return err
	}
	var handoffs []workflow.Entry
	for _, r := range reps {
		if name, value, ok := r.Handoff(); ok {
			handoffs = append(handoffs, workflow.Entry{Name: name, Value: value})
		}
	}
	if err := workflow.SetEnv(a, first.Secrets, handoffs...); err != nil {
		return err
	}
	if a.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return nil
	}
	return workflow.AppendSummary(a, first.Secrets, ManySummary(reps))
}

// ManySummary is the job summary of a step that recorded several
// products: a headline that counts their outcomes, one short row each
// (narrow enough for the summary pane: the ids are in the details below),
// then the details, the tracking trouble and the warnings, each said once
// for the products it is about.
func ManySummary(reps []*Report) string {
	first := reps[0]
	var b strings.Builder
	b.WriteString("### " + manyHeadline(reps) + "\n")
	var context []string
	if c := first.commit(); c != "" {
		context = append(context, "Commit "+c)
	}
	if run := first.run(); run != "" {
		context = append(context, "run "+run)
	}
	if who := first.who(); who != "" {
		context = append(context, "by "+md(who))
	}
	if len(context) > 0 {
		b.WriteString("\n" + strings.Join(context, " · ") + "\n")
	}
	if p := first.about(); first.DryRun && len(p) > 0 {
		b.WriteString("\n" + p[0] + "\n")
	}
	b.WriteString("\n" + productsTable(reps))
	writeNotes(&b, "Details", details(reps))
	var tracking, warns []note
	for _, r := range reps {
		for _, n := range r.tracking() {
			tracking = addNote(tracking, n, r.label(reps))
		}
		for _, w := range r.ruleWarnings() {
			warns = addNote(warns, note{text: w}, r.label(reps))
		}
	}
	writeNotes(&b, "Tracking", tracking)
	var stepWarns []note
	for _, w := range first.Warnings {
		stepWarns = append(stepWarns, note{text: sentence(prose(first.Secrets.Redact(w)))})
	}
	writeNotes(&b, "Warnings", append(stepWarns, warns...))
	return finish(b.String(), first.Secrets)
}

// manyHeadline counts the products by outcome: "⛔ 3 products →
// production: 1 blocked, 2 completed". Its icon is that of the outcome
// that most needs attention.
func manyHeadline(reps []*Report) string {
	first := reps[0]
	count := map[look]int{}
	env := first.Event.Environment
	for _, r := range reps {
		count[r.look()]++
		if r.Event.Environment != env {
			env = ""
		}
	}
	what := fmt.Sprintf("%d products", len(reps))
	if first.Event.Kind == event.Build {
		what = fmt.Sprintf("%d product builds", len(reps))
	} else if env != "" {
		what += " → " + md(env)
	}
	if first.DryRun {
		return fmt.Sprintf("%s %s (%s): %s", lookDryRun.icon, capital(lookDryRun.word), first.Event.Status, what)
	}
	var icon string
	var counts []string
	for _, l := range severity {
		if n := count[l]; n > 0 {
			if icon == "" {
				icon = l.icon
			}
			counts = append(counts, fmt.Sprintf("%d %s", n, l.word))
		}
	}
	if len(counts) == 1 {
		return fmt.Sprintf("%s %s: %s", icon, capital(counts[0][strings.IndexByte(counts[0], ' ')+1:]), what)
	}
	return fmt.Sprintf("%s %s: %s", icon, what, strings.Join(counts, ", "))
}

// productsTable has one short row per product: what went where, its
// outcome, and how long it took when any product's duration is known.
func productsTable(reps []*Report) string {
	build := reps[0].Event.Kind == event.Build
	took := false
	for _, r := range reps {
		took = took || r.took() != ""
	}
	heads := []string{"Product", "Version"}
	if !build {
		heads = append(heads, "Environment")
	}
	heads = append(heads, "Outcome")
	if took {
		heads = append(heads, "Took")
	}
	var rows [][]string
	for _, r := range reps {
		ev := r.Event
		l := r.look()
		row := []string{md(ev.Product), md(ev.Version)}
		if !build {
			row = append(row, r.link(ev.Environment, ev.EnvironmentURL))
		}
		row = append(row, l.icon+" "+l.word)
		if took {
			row = append(row, r.took())
		}
		rows = append(rows, row)
	}
	return table(heads, rows)
}

// details lists, for each product, what the single-product summary says
// under its headline and in its table: why it was blocked or skipped, the
// description, the version it replaced, its GitHub deployment and
// Versioner id.
func details(reps []*Report) []note {
	var ns []note
	for _, r := range reps {
		var parts []string
		if pe := r.Preflight(); pe != nil && pe.RetryAfter != "" {
			parts = append(parts, "Blocked until "+when(pe.RetryAfter)+".")
		}
		for _, p := range r.about() {
			if !r.DryRun {
				parts = append(parts, p)
			}
		}
		var ids []string
		if g := r.githubCell(); g != "" {
			ids = append(ids, "GitHub "+g)
		}
		if r.recorded() {
			ids = append(ids, "Versioner "+inlineCode(r.Secrets.Redact(r.Versioner.ID)))
		}
		if len(ids) > 0 {
			parts = append(parts, strings.Join(ids, " · "))
		}
		if len(parts) > 0 {
			ns = append(ns, note{text: "**" + r.label(reps) + "**: " + strings.Join(parts, " ")})
		}
	}
	return ns
}

// label names a product among the step's: with its environment when it
// appears in several.
func (r *Report) label(reps []*Report) string {
	n := 0
	for _, o := range reps {
		if o.Event.Product == r.Event.Product {
			n++
		}
	}
	if n > 1 {
		return md(r.Event.Product) + " → " + md(r.Event.Environment)
	}
	return md(r.Event.Product)
}

// addNote adds n about product to ns, or the product to the note that
// says the same.
func addNote(ns []note, n note, product string) []note {
	for i := range ns {
		if ns[i].text == n.text && ns[i].icon == n.icon {
			ns[i].products = append(ns[i].products, product)
			return ns
		}
	}
	n.products = []string{product}
	return append(ns, n)
}

// OutputNames lists every output WriteAll writes.
func OutputNames() []string {
	var names []string
	for _, o := range (&Report{}).Outputs() {
		names = append(names, o.Name)
	}
	return append(names, "results")
}
