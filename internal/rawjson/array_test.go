package rawjson_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/rawjson"
)

// sameArrayAsUnmarshal checks Array against json.Unmarshal into a slice
// of raw values, and String against json.Unmarshal into a string for
// each element.
func sameArrayAsUnmarshal(t *testing.T, b []byte) {
	t.Helper()
	var got []json.RawMessage
	ok := rawjson.Array(b, func(v []byte) { got = append(got, v) })
	var want []json.RawMessage
	err := json.Unmarshal(b, &want)
	isArray := err == nil && want != nil
	if ok != isArray {
		t.Fatalf("Array(%.60q) ok = %v; json.Unmarshal: %v, %v", b, ok, want != nil, err)
	}
	if !ok {
		return
	}
	if got == nil {
		got = []json.RawMessage{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Array(%.60q) (-json.Unmarshal +Array):\n%s", b, diff)
	}
	for _, v := range got {
		if !bytes.Equal(bytes.TrimSpace(v), v) {
			t.Errorf("Array(%.60q): element %q has space around it", b, v)
		}
		var want string
		wantOK := json.Unmarshal(v, &want) == nil && v[0] == '"'
		s, ok := rawjson.String(v)
		if ok != wantOK || s != want {
			t.Errorf("String(%q) = %q, %v; json.Unmarshal gives %q, %v", v, s, ok, want, wantOK)
		}
	}
}

func TestArrayIsUnmarshal(t *testing.T) {
	t.Parallel()
	for _, s := range arraySeeds {
		sameArrayAsUnmarshal(t, []byte(s))
	}
}

// arraySeeds are arrays, and texts that are almost arrays.
var arraySeeds = []string{
	`[]`, ` [ ] `, `[1]`, `[1,2]`, `[ "a" , {"b":[1]} , null ]`, `[[],[[]]]`, `["\u00e9\ud83d\ude00", "\\", "\"", "a\/b"]`,
	"[\"\xff\"]", `["\ud800"]`, `[1,]`, `[,1]`, `[1 2]`, `[`, `]`, `null`, `{}`, `[1]]`, `[1] x`, `"[]"`, `[01]`, `[-]`, `[1.]`,
	`[{"id":1,"sha":"abc","payload":{"product":"web"}}]`,
}

func FuzzArray(f *testing.F) {
	for _, s := range append(arraySeeds, seeds...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameArrayAsUnmarshal(t, []byte(s))
	})
}
