package versioner

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/deploytrack/deploytrack/internal/config"
	"github.com/deploytrack/deploytrack/internal/fake"
)

// sortedKeys is sortedMembers' keys, in their order.
func sortedKeys(m map[string]any) []string {
	ms := sortedMembers(m)
	var keys []string
	for _, h := range ms.order {
		if ms.vals[h.i] != m[ms.keys[h.i]] {
			panic("a key's value is another's")
		}
		keys = append(keys, ms.keys[h.i])
	}
	return keys
}

// sameAsSort checks sortedMembers against slices.Sort, json.Marshal's order,
// of a map holding keys.
func sameAsSort(t *testing.T, keys []string) {
	t.Helper()
	m := map[string]any{}
	for _, k := range keys {
		m[k] = k
	}
	want := slices.Sorted(maps.Keys(m))
	if diff := cmp.Diff(want, sortedKeys(m), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("sortedKeys(%.80q) (-slices.Sort +sortedKeys):\n%s", keys, diff)
	}
}

func TestSortedMembers(t *testing.T) {
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
		{name: "alike in 16 bytes, then zeros or not", keys: many(100, func(i int) string {
			return strings.Repeat("p", 16) + []string{"", "\x00", "\x00\x00", "a", "\x00a"}[i%5] + fmt.Sprint(i % 7)[:i%2]
		})},
		{name: "zeros inside, shorter and longer", keys: []string{"a", "a\x00", "a\x00\x00", "", "\x00", "\x00\x00\x00\x00\x00\x00\x00\x00\x00", "b\x00"}},
		{name: "bytes past 0x7f", keys: []string{"\xff\xff", "\x80", "\x7f", "é", "日本", "\xff"}},
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

func FuzzSortedMembers(f *testing.F) {
	f.Add("b\na\nab\n\nartifact_10\nartifact_9")
	f.Add(strings.Repeat("x\nxy\nxyz\n", 20))
	f.Add(strings.Repeat("k1\nk10\nk2\nk\n", 10) + "\xff\n\x00")
	f.Fuzz(func(t *testing.T, s string) {
		sameAsSort(t, strings.Split(s, "\n"))
	})
}

// BenchmarkSortedMembers orders the members of 100 KB of metadata and
// the detected facts, against slices.Sort of their keys.
func BenchmarkSortedMembers(b *testing.B) {
	md, err := config.ParseMetadata(fake.Metadata(100 << 10))
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range []string{"vi_gh_workflow", "vi_gh_job", "vi_gh_run_attempt", "vi_gh_event_name", "vi_gh_ref"} {
		md[k] = k
	}
	var ms members
	var keys []string
	b.Run("sortedMembers", func(b *testing.B) {
		for range b.N {
			ms = sortedMembers(md)
		}
	})
	b.Run("slices.Sorted", func(b *testing.B) {
		for range b.N {
			keys = slices.Sorted(maps.Keys(md))
		}
	})
	_, _ = ms, keys
}
