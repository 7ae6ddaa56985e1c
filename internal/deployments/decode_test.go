package deployments

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// listSeeds are pages as GitHub lists them, and texts at their edges.
var listSeeds = []string{
	`[]`, `null`, ` [ null ] `, `{}`, `[1]`, `["x"]`, `[{}]`, `[`, `[{"id":1}`,
	`[{"id":1,"sha":"abc","environment":"production","payload":{"product":"web","run_id":12345678901234567},` +
		`"creator":{"login":"github-actions[bot]","id":41898282},"created_at":"2026-11-29T02:00:00Z","statuses_url":"x"}]`,
	`[{"ID":2,"Sha":"d","ENVIRONMENT":"e","Payload":"{\"product\":\"web\"}","Creator":null,"Created_At":null}]`,
	`[{"id":1,"id":2,"payload":1,"payload":[1],"creator":{"login":"a"},"creator":{"id":3}}]`,
	`[{"id":"1"}]`, `[{"id":1.5}]`, `[{"id":1e3}]`, `[{"id":-0}]`, `[{"id":99999999999999999999}]`, `[{"id":null,"sha":null}]`,
	`[{"sha":1}]`, `[{"creator":"x"}]`, `[{"creator":{"login":5}}]`, `[{"created_at":"yesterday"}]`, `[{"created_at":1700000000}]`,
	`[{"payload":null}]`, `[{"sha":"\u00e9\ud800\/"}]`, "[{\"sha\":\"\xff\"}]", `[{"ſha":"long s","K":1}]`,
	`[{"state":"success","log_url":"https://x","target_url":null,"STATE":"failure"}]`, `[{"state":true}]`,
	`{"id":42,"url":"x"}`, ` {"ID":1,"id":2} `, `{"id":null}`, `{"id":"1"}`, `{"id":1.5}`, `{}`, `{"id":1} x`, ``, ` `,
}

// TestDecodeIsUnmarshal and FuzzDecode hold decodeListed and
// decodeStatuses to what json.Unmarshal gives for listed and
// listedStatus: an error exactly when it fails, the same fields otherwise.
func TestDecodeIsUnmarshal(t *testing.T) {
	t.Parallel()
	for _, s := range listSeeds {
		sameDecode(t, []byte(s))
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range listSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameDecode(t, []byte(s))
	})
}

func sameDecode(t *testing.T, b []byte) {
	t.Helper()
	var want []listed
	wantErr := json.Unmarshal(b, &want)
	got, err := decodeListed(b)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("decodeListed(%.80q) error = %v; json.Unmarshal: %v", b, err, wantErr)
	}
	if err == nil {
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("decodeListed(%.80q) (-json.Unmarshal +decodeListed):\n%s", b, diff)
		}
	}
	// decodeID as json.Unmarshal into an id field, but for null, which
	// GitHub never answers a create with: an error, not id 0.
	var wantID struct {
		ID int64 `json:"id"`
	}
	wantErr = json.Unmarshal(b, &wantID)
	id, err := decodeID(b)
	if string(bytes.TrimSpace(b)) == "null" {
		wantErr = errNotList
	}
	if (err != nil) != (wantErr != nil) || (err == nil && id != wantID.ID) {
		t.Fatalf("decodeID(%.80q) = %d, %v; json.Unmarshal: %d, %v", b, id, err, wantID.ID, wantErr)
	}
	var wantS []listedStatus
	wantErr = json.Unmarshal(b, &wantS)
	gotS, err := decodeStatuses(b)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("decodeStatuses(%.80q) error = %v; json.Unmarshal: %v", b, err, wantErr)
	}
	if err == nil {
		if diff := cmp.Diff(wantS, gotS, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("decodeStatuses(%.80q) (-json.Unmarshal +decodeStatuses):\n%s", b, diff)
		}
	}
}
