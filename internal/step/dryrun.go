package step

import (
	"bytes"
	"encoding/json"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/deployments"
	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/ghcontext"
	"github.com/deploytrack/deploytrack/internal/report"
	"github.com/deploytrack/deploytrack/internal/versioner"
	"github.com/deploytrack/deploytrack/internal/workflow"
)

// dryRun prints the exact requests the step would send, and sends nothing;
// products is how many products the step records.
func dryRun(a *githubactions.Action, cfg *config.Config, src ghcontext.Source, ev event.Event, rep *report.Report, products int) {
	body, err := versioner.Body(ev)
	if err != nil {
		rep.VersionerErr = err
		return
	}
	vs := versioner.New(nil, cfg.APIURL, "", "")
	a.Group("dry run: Versioner request (not sent)")
	workflow.Printf(a, "POST %s", vs.Endpoint(ev.Kind))
	workflow.Printf(a, "Authorization: Bearer ***")
	workflow.Printf(a, "Idempotency-Key: %s", ev.IdempotencyKey)
	printJSON(a, body)
	a.EndGroup()

	if rep.GitHubSkipped != "" {
		return
	}
	if ev.Repository == "" {
		workflow.Printf(a, "GitHub: GITHUB_REPOSITORY is not set, so a real run could not record the deployment (set github-deployment: false outside GitHub Actions)")
		return
	}
	a.Group("dry run: GitHub requests (not sent)")
	where := githubWhere(a, cfg, ev)
	where.Products = products
	for _, r := range deployments.Plan(src.APIURL, ev, where, rep.GitHub.State) {
		workflow.Printf(a, "%s", r.Line)
		if b, err := json.Marshal(r.Body); err == nil && r.Body != nil {
			printJSON(a, b)
		}
	}
	a.EndGroup()
}

func printJSON(a *githubactions.Action, b []byte) {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		out.Reset()
		out.Write(b)
	}
	for _, line := range bytes.Split(out.Bytes(), []byte("\n")) {
		workflow.Printf(a, "%s", line)
	}
}
