package versioner

import (
	"encoding/json"
	"time"

	"github.com/deploytrack/deploytrack/internal/event"
)

// Body is the JSON the API receives for ev: exactly what Record sends and
// what a dry run prints.
func Body(ev event.Event) ([]byte, error) {
	b := map[string]any{
		"product_name":  ev.Product,
		"version":       ev.Version,
		"status":        string(ev.Status),
		"source_system": "github",
	}
	opt := func(k, v string) {
		if v != "" {
			b[k] = v
		}
	}
	opt("scm_repository", ev.Repository)
	opt("scm_sha", ev.SHA)
	opt("scm_branch", ev.Branch)
	opt("build_number", ev.RunNumber)
	opt("invoke_id", ev.RunID)
	at := ev.At.Format(time.RFC3339)
	if ev.Kind == event.Build {
		opt("built_by", ev.Actor)
		opt("built_by_name", ev.ActorName)
		opt("built_by_email", ev.ActorEmail)
		opt("build_url", first(ev.BuildURL, ev.RunURL))
		if ev.Status == event.Started {
			b["started_at"] = at
		}
	} else {
		b["environment_name"] = ev.Environment
		opt("deployed_by", ev.Actor)
		opt("deployed_by_name", ev.ActorName)
		opt("deployed_by_email", ev.ActorEmail)
		opt("deploy_url", ev.RunURL)
		opt("build_url", ev.BuildURL)
	}
	if ev.Status.Terminal() {
		b["completed_at"] = at
	}
	if ev.Metadata != nil {
		b["extra_metadata"] = ev.Metadata
	}
	return json.Marshal(b)
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
