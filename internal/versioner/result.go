package versioner

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/deploytrack/deploytrack/internal/event"
	"github.com/deploytrack/deploytrack/internal/rawjson"
)

// Result is what Versioner recorded.
type Result struct {
	ID            string // the deployment or build id
	ProductID     string
	VersionID     string
	EnvironmentID string
	Status        string // Versioner's canonical status
	// Warnings are report_only preflight rules that failed: shown, never fatal.
	Warnings []Rule
	// Note says what was odd about a successful answer (an empty body, say).
	Note string
}

// Rule is one evaluated preflight rule.
type Rule struct {
	Name             string `json:"rule_name"`
	Status           string `json:"status"`
	EvaluationResult string `json:"evaluation_result"`
	Message          string `json:"error_message"`
}

type response struct {
	ID            string `json:"id"`
	ProductID     string `json:"product_id"`
	VersionID     string `json:"version_id"`
	EnvironmentID string `json:"environment_id"`
	Status        string `json:"status"`
	ExtraMetadata struct {
		PreflightStatus struct {
			RulesEvaluated []Rule `json:"rules_evaluated"`
		} `json:"preflight_status"`
	} `json:"extra_metadata"`
}

// decodeResult reads a 2xx answer. The event is recorded whatever the body
// says, so a body that cannot be read costs the ids, not the step.
func decodeResult(k event.Kind, raw []byte) Result {
	var r response
	if err := decode(raw, &r); err != nil || r.ID == "" {
		what := "a body without an event id"
		switch {
		case len(bytes.TrimSpace(raw)) == 0:
			what = "an empty body"
		case err != nil:
			what = "a body that is not valid JSON"
		}
		return Result{Note: fmt.Sprintf("Versioner recorded the %s event but answered with %s, so its ids are unknown", k, what)}
	}
	res := Result{ID: r.ID, ProductID: r.ProductID, VersionID: r.VersionID, EnvironmentID: r.EnvironmentID, Status: r.Status}
	for _, rule := range r.ExtraMetadata.PreflightStatus.RulesEvaluated {
		if rule.Status == "report_only" && rule.EvaluationResult == "failed" {
			res.Warnings = append(res.Warnings, rule)
		}
	}
	return res
}

// decode decodes raw into r as json.Unmarshal does, errors included,
// without reading what r has no field for twice: Versioner echoes the
// event's extra_metadata (up to 120 KB) in its answer, and json.Unmarshal
// would check it and then skip it. For a valid object, each member that
// r has a field for (matched as encoding/json matches them, in any case)
// is decoded into it in turn, and of extra_metadata only
// preflight_status, seen in the one pass that checks the answer
// (rawjson.Within); anything else goes to json.Unmarshal whole, to say
// what is wrong.
func decode(raw []byte, r *response) error {
	var first error
	into := func(v []byte, field any) {
		if err := json.Unmarshal(v, field); err != nil && first == nil {
			first = err
		}
	}
	em := &r.ExtraMetadata
	ok := rawjson.Within(raw, "extra_metadata", func(m rawjson.Member) {
		switch {
		case m.Is("id"):
			into(m.Value, &r.ID)
		case m.Is("product_id"):
			into(m.Value, &r.ProductID)
		case m.Is("version_id"):
			into(m.Value, &r.VersionID)
		case m.Is("environment_id"):
			into(m.Value, &r.EnvironmentID)
		case m.Is("status"):
			into(m.Value, &r.Status)
		case m.Is("extra_metadata"):
			if m.Value[0] != '{' { // an object's members went to the function below
				into(m.Value, em) // null, or the type error
			}
		}
	}, func(m rawjson.Member) {
		if m.Is("preflight_status") {
			into(m.Value, &em.PreflightStatus)
		}
	})
	if !ok {
		*r = response{}
		return json.Unmarshal(raw, r)
	}
	return first
}
