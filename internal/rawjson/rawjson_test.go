package rawjson_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/rawjson"
	"github.com/deploytrack/deploytrack/internal/runner"
)

// seeds are texts at the edges of JSON's grammar.
var seeds = []string{
	``, ` `, `{}`, ` { } `, `[]`, `{"a":1}`, `{"a" : [1, 2] , "b":{"c":null}}`, "{\n\t\"a\"\r:\"x\"\n}",
	`{"a":1,}`, `{,}`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a":1}{}`, `{"a":1} x`, `[1,]`, `[,1]`, `"x"`, `null`,
	`true`, `false`, `nul`, `truex`, `[true false]`, `0`, `-0`, `01`, `-`, `1.`, `.5`, `1.5e`, `1e+`, `1E-7`,
	`-12.5e+300`, `1e400`, `"\u00e9\uD834\uDD1E"`, `"\u12"`, `"\u12G4"`, `"\x"`, `"\/\b\f\n\r\t\"\\"`,
	"\"a\x01b\"", "\"\x7f\"", "\"\xff\xfe\"", "{\"\xff\":1}", `{"\u0041":1,"A":2}`, `{"\u212a":1,"ſ":2,"\u0049D":3}`, `{"a":1,"a":2}`,
	`"unterminated`, `"\`, `{"a":"b"`, `[[[]]]`, `[{"a":[{}]}]`, "\x00", `{"a":1}` + "\x00",
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	`{"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
	`{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
}

func TestValidIsJSONValid(t *testing.T) {
	t.Parallel()
	for _, s := range seeds {
		if got, want := rawjson.Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("Valid(%.60q) = %v, json.Valid says %v", s, got, want)
		}
	}
}

func TestObjectIsUnmarshal(t *testing.T) {
	t.Parallel()
	for _, s := range seeds {
		sameAsUnmarshal(t, []byte(s))
	}
}

func TestObjectKeepsOrderAndText(t *testing.T) {
	t.Parallel()
	var got []rawjson.Member
	ok := rawjson.Object([]byte(` {"b" : [1, 2] ,"a\n":"x", "b":1e400}`+"\n"), func(m rawjson.Member) { got = append(got, m) })
	if !ok {
		t.Fatal("Object() refused a valid object")
	}
	want := []string{`"b"=[1, 2]`, `"a\n"="x"`, `"b"=1e400`}
	var have []string
	for _, m := range got {
		have = append(have, string(m.Key)+"="+string(m.Value))
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("Object() (-want +got):\n%s", diff)
	}
	if n := got[1].Name(); n != "a\n" {
		t.Errorf("Name() = %q, want %q", n, "a\n")
	}
}

// sameAsUnmarshal checks Object against json.Unmarshal into a map of raw
// values: refused exactly when Unmarshal fails, and the same names
// (the last of a repeated name winning) and values otherwise.
func sameAsUnmarshal(t *testing.T, b []byte) {
	t.Helper()
	var members []rawjson.Member
	ok := rawjson.Object(b, func(m rawjson.Member) { members = append(members, m) })
	var want map[string]json.RawMessage
	err := json.Unmarshal(b, &want)
	isObject := err == nil && want != nil
	if ok != isObject {
		t.Fatalf("Object(%.60q) ok = %v; json.Unmarshal: %v, %v", b, ok, want != nil, err)
	}
	if !ok {
		return
	}
	got := map[string]json.RawMessage{}
	for _, m := range members {
		got[m.Name()] = m.Value
		for _, name := range []string{m.Name(), "id", "K", "s", "extra_metadata"} {
			if m.Is(name) != strings.EqualFold(m.Name(), name) {
				t.Errorf("Member %s .Is(%q) = %v, want %v", m.Key, name, m.Is(name), !m.Is(name))
			}
		}
		if !bytes.Equal(bytes.TrimSpace(m.Value), m.Value) || !json.Valid(m.Value) {
			t.Errorf("Object(%.60q): value %q is not one value without space", b, m.Value)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Object(%.60q) (-json.Unmarshal +Object):\n%s", b, diff)
	}
}

func FuzzObject(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	hostile, err := runner.Hostile("../../testdata/hostile.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range hostile {
		f.Add(s)
		k, _ := json.Marshal(s)
		f.Add(`{` + string(k) + `:` + string(k) + `}`)
		f.Add(`{"raw":"` + s + `"}`)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := rawjson.Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid says %v", s, got, want)
		}
		sameAsUnmarshal(t, []byte(s))
	})
}

func BenchmarkObject(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("{")
	for i := 0; sb.Len() < 100<<10; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `"artifact_%d":{"digest":"sha256:%064x","size":%d,"tags":["v%d","latest"]}`, i, i, 1000+i, i)
	}
	sb.WriteString("}")
	in := []byte(sb.String())
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for range b.N {
		if !rawjson.Object(in, func(rawjson.Member) {}) {
			b.Fatal("refused")
		}
	}
}
