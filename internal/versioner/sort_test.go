package versioner

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sameAsSort checks sortedKeys against slices.Sort, json.Marshal's order,
// of a map holding keys.
func sameAsSort(t *testing.T, keys []string) {
	t.Helper()
	m := map[string]any{}
	for _, k := range keys {
		m[k] = nil
	}
	want := slices.Sorted(maps.Keys(m))
	keys, order := sortedKeys(m)
	var got []string
	for _, i := range order {
		got = append(got, keys[i])
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("sortedKeys(%.80q) (-slices.Sort +sortedKeys):\n%s", keys, diff)
	}
}

func TestSortedKeys(t *testing.T) {
	t.Parallel()
	many := func(n int, f func(i int) string) []string {
		var keys []string
		for i := range n {
			keys = append(keys, f(i))
		}
		return keys
	}
	tests := []struct {
		name string
		keys []string
	}{
		{name: "none"},
		{name: "one", keys: []string{"a"}},
		{name: "a few", keys: []string{"b", "", "ab", "a", "B", "é", "\xff", "\x00"}},
		{name: "a shared prefix, numbered", keys: many(749, func(i int) string { return fmt.Sprint("artifact_", (i*7919)%749) })},
		{name: "prefixes of each other", keys: many(200, func(i int) string { return strings.Repeat("a", (i*37)%200) })},
		{name: "each one byte longer, then another byte", keys: many(300, func(i int) string { return strings.Repeat("a", i) + "b" })},
		{name: "the same key many times", keys: many(100, func(int) string { return "same" })},
		{name: "the same key and its prefixes", keys: many(100, func(i int) string { return "same"[:i%5] })},
		{name: "every byte", keys: many(600, func(i int) string { return string([]byte{byte(i % 256), byte(i / 256)}) })},
		{name: "mixed case and UTF-8", keys: many(100, func(i int) string { return []string{"Ä", "ä", "a", "A", "z", "日本"}[i%6] + fmt.Sprint(i%13) })},
		{name: "vi_gh_ facts among user keys", keys: append(many(40, func(i int) string { return fmt.Sprint("k", i) }),
			"vi_gh_workflow", "vi_gh_job", "vi_gh_run_attempt", "vi_gh_event_name", "vi_gh_ref", "vi_gh_head_ref", "vi_gh_base_ref")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sameAsSort(t, tt.keys)
		})
	}
}

func FuzzSortedKeys(f *testing.F) {
	f.Add("b\na\nab\n\nartifact_10\nartifact_9")
	f.Add(strings.Repeat("x\nxy\nxyz\n", 20))
	f.Add(strings.Repeat("k1\nk10\nk2\nk\n", 10) + "\xff\n\x00")
	f.Fuzz(func(t *testing.T, s string) {
		sameAsSort(t, strings.Split(s, "\n"))
	})
}
