package versioner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

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
	if err := json.Unmarshal(read(raw), &r); err != nil || r.ID == "" {
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

// read returns the part of raw that decodeResult reads: Versioner echoes
// the event's extra_metadata (up to 120 KB) in its answer, and
// json.Unmarshal would check it and then skip it, two passes for nothing.
// For a valid object, read keeps only the members that response has a
// field for (matched as encoding/json matches them, in any case), and of
// extra_metadata only preflight_status: decoding the result means the
// same, errors included. Anything else is returned whole, for
// json.Unmarshal to say what is wrong.
func read(raw []byte) []byte {
	members, ok := rawjson.Object(raw)
	if !ok {
		return raw
	}
	return keep(members, func(name string, value []byte) []byte {
		switch {
		case strings.EqualFold(name, "extra_metadata"):
			if em, ok := rawjson.Object(value); ok {
				return keep(em, func(name string, value []byte) []byte {
					if strings.EqualFold(name, "preflight_status") {
						return value
					}
					return nil
				})
			}
			return value
		case strings.EqualFold(name, "id"), strings.EqualFold(name, "product_id"), strings.EqualFold(name, "version_id"),
			strings.EqualFold(name, "environment_id"), strings.EqualFold(name, "status"):
			return value
		}
		return nil
	})
}

// keep writes an object of the members for which value returns text (the
// member's own, or less of it), in their order.
func keep(members []rawjson.Member, value func(name string, v []byte) []byte) []byte {
	out := []byte{'{'}
	for _, m := range members {
		v := value(m.Name(), m.Value)
		if v == nil {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(append(append(out, m.Key...), ':'), v...)
	}
	return append(out, '}')
}
