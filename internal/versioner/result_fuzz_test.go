package versioner

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/runner"
)

// FuzzDecodeResult: decode gives what json.Unmarshal gives, the error's
// presence included.
func FuzzDecodeResult(f *testing.F) {
	for _, seed := range []string{
		`{"id":"d1","product_id":"p1","version_id":"v1","environment_id":"e1","status":"completed","extra_metadata":{"artifact_0":{"digest":"sha256:00","tags":["v0","latest"]},"preflight_status":{"rules_evaluated":[{"rule_name":"r","status":"report_only","evaluation_result":"failed","error_message":"m"}]}}}`,
		`{"ID":"d1","Product_ID":"p","STATUS":"x","Extra_Metadata":{"PREFLIGHT_STATUS":{"rules_evaluated":[]}},"other":[1,2,{"id":"no"}]}`,
		`{"id":"a","id":"b","extra_metadata":{"preflight_status":1},"extra_metadata":{}}`,
		`{"id":1}`, `{"id":"x","extra_metadata":[1]}`, `{"id":"x","extra_metadata":"s"}`, `{"id":"x","extra_metadata":null}`,
		`{"id":"x","status":{"a":1}}`, `{"\u0069d":"escaped"}`, `{"id":"x","extra_metadata":{"preflight_status":{"rules_evaluated":"no"}}}`,
		`{"id":"\u212a"}`, `{"\u212ad":"kelvin"}`, "{\"id\":\"x\",\"\xff\":1}",
		``, ` `, `null`, `[]`, `"id"`, `{`, `{"id":"x"} {}`, `{"id":"x",}`, `<h1>ok</h1>`,
	} {
		f.Add([]byte(seed))
	}
	hostile, err := runner.Hostile("../../testdata/hostile.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range hostile {
		j, _ := json.Marshal(s)
		f.Add([]byte(`{"id":` + string(j) + `,"extra_metadata":{` + string(j) + `:` + string(j) + `}}`))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var whole, part response
		errWhole := json.Unmarshal(raw, &whole)
		errPart := decode(raw, &part)
		if (errWhole == nil) != (errPart == nil) {
			t.Fatalf("answer %q: json.Unmarshal's error %v, decode's %v", raw, errWhole, errPart)
		}
		if diff := cmp.Diff(whole, part); diff != "" {
			t.Errorf("answer %q (-json.Unmarshal +decode):\n%s", raw, diff)
		}
	})
}
