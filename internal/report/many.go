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
// products: one row each, then what went wrong.
func ManySummary(reps []*Report) string {
	first := reps[0]
	var b strings.Builder
	failed, warned := 0, false
	for _, r := range reps {
		if r.Failed() {
			failed++
		}
		warned = warned || r.VersionerErr != nil || r.GitHubErr != nil || len(r.warnings()) > 0
	}
	icon := "✅"
	switch {
	case failed > 0:
		icon = "❌"
	case warned:
		icon = "⚠️"
	}
	what := "products"
	if first.Event.Kind == event.Build {
		what = "product builds"
	}
	dry := ""
	if first.DryRun {
		dry = " (dry run: nothing sent)"
	}
	fmt.Fprintf(&b, "### %s deploytrack: %d %s%s", icon, len(reps), what, dry)
	if failed > 0 {
		fmt.Fprintf(&b, ", %d failed", failed)
	}
	b.WriteString("\n\n")
	if c := first.commit(); c != "" {
		fmt.Fprintf(&b, "Commit %s", c)
		if ev := first.Event; ev.RunURL != "" {
			fmt.Fprintf(&b, ", %s", link("run #"+ev.RunNumber, ev.RunURL))
		}
		b.WriteString("\n\n")
	}

	b.WriteString("| Product | Version | Environment | Status | Versioner | GitHub |\n|---|---|---|---|---|---|\n")
	for _, r := range reps {
		ev := r.Event
		env := md(ev.Environment)
		if r.GitHub.URL != "" {
			env = link(ev.Environment, r.GitHub.URL)
		}
		if ev.EnvironmentURL != "" {
			env += " (" + link("open", ev.EnvironmentURL) + ")"
		}
		vl, gl := r.versionerLine(), r.githubLine()
		if r.Skipped != "" {
			vl, gl = "nothing recorded: "+md(r.Skipped), ""
		}
		fmt.Fprintf(&b, "| %s | %s | %s | `%s` | %s | %s |\n", md(ev.Product), md(ev.Version), env, r.Outcome(), vl, gl)
	}

	var notes []string
	for _, r := range reps {
		if pe := r.Preflight(); pe != nil && pe.RetryAfter != "" {
			notes = append(notes, fmt.Sprintf("%s: blocked by a Versioner preflight rule; retry after %s", r.Event.Product, pe.RetryAfter))
		}
	}
	notes = append(notes, first.Warnings...)
	for _, r := range reps {
		for _, w := range r.warnings()[len(r.Warnings):] {
			notes = append(notes, r.Event.Product+": "+w)
		}
	}
	return finishSummary(&b, "Notes", notes, first.Secrets)
}

// OutputNames lists every output WriteAll writes.
func OutputNames() []string {
	var names []string
	for _, o := range (&Report{}).Outputs() {
		names = append(names, o.Name)
	}
	return append(names, "results")
}
