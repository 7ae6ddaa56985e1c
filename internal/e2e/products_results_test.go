package e2e

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestProductsResultsKeepEveryEntry: the results output has one entry per
// event recorded, whatever the entries leave to the step's inputs. Two
// entries that are one product in two environments are two keys; two that
// turn out the same once they take the step's inputs are refused before
// anything is sent, naming both, rather than recorded twice under one key.
func TestProductsResultsKeepEveryEntry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		with     map[string]string
		wantKeys []string // the results output's keys; nil: refused
		wantErr  string
	}{
		{name: "one product in the step's environment and in another",
			with:     map[string]string{"products": "- {product: api, version: 1}\n- {product: api, version: 1, environment: staging}"},
			wantKeys: []string{"api@production", "api@staging"}},
		{name: "an entry without environment and one that spells the step's",
			with:    map[string]string{"products": "- {product: api, version: 1}\n- {product: api, version: 2, environment: production}"},
			wantErr: "::error title=Invalid input%3A products::input products entries 1 and 2 are both api in production (entry 1 takes its environment from the environment input): list each product once per environment"},
		{name: "builds of one product in entries with environments",
			with:    map[string]string{"event-type": "build", "products": "- {product: api, version: 1, environment: eu}\n- {product: api, version: 1, environment: us}"},
			wantErr: "::error title=Invalid input%3A products::input products entries 1 and 2 are both builds of api, and a build event has no environment: list each product once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			with := w.with(map[string]string{"product": "", "github-deployment": "false"})
			for k, v := range tt.with {
				with[k] = v
			}
			r := w.run(use{with: with})
			if tt.wantErr != "" {
				wantCode(t, r, 1)
				wantContains(t, "log", r.stdout, tt.wantErr)
				wantPaths(t, "Versioner", w.versioner.Requests())
				return
			}
			wantCode(t, r, 0)
			var results map[string]map[string]any
			if err := json.Unmarshal([]byte(r.outputs["results"]), &results); err != nil {
				t.Fatalf("results output %q: %v", r.outputs["results"], err)
			}
			var keys []string
			for k := range results {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if diff := cmp.Diff(tt.wantKeys, keys); diff != "" {
				t.Errorf("results keys (-want +got):\n%s", diff)
			}
			if n := len(w.versioner.Events()); n != len(results) {
				t.Errorf("Versioner recorded %d events, results has %d entries: %s", n, len(results), r.outputs["results"])
			}
		})
	}
}
