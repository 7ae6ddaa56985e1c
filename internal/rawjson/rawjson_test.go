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
	`{"\u0069\u0064":1,"\u0049D":2,"\u017f":3,"\u212a":4,"ſ":5,"\u212aK":6,"IDx":7,"i":8}`, "{\"\xff\":1,\"\xffd\":2}",
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
		for _, name := range []string{m.Name(), "id", "K", "s", "extra_metadata", "preflight_status", "ſ", "\u212a", "é"} {
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

// sameAsObject checks Members against Object: refused alike, and else the
// same names and values in the same order.
func sameAsObject(t *testing.T, s string) {
	t.Helper()
	var want, got []string
	okObject := rawjson.Object([]byte(s), func(m rawjson.Member) { want = append(want, m.Name(), string(m.Value)) })
	okMembers := rawjson.Members(s, func(name string, v rawjson.Value) { got = append(got, name, v.String()) })
	if okObject != okMembers {
		t.Fatalf("Members(%.60q) ok = %v, Object's %v", s, okMembers, okObject)
	}
	if diff := cmp.Diff(want, got); okObject && diff != "" {
		t.Errorf("Members(%.60q) (-Object +Members):\n%s", s, diff)
	}
}

// sameAsObjectTwice checks Within against Object, called again on the
// value of each member named name that is an object: refused alike, and
// else the same calls in the same order.
func sameAsObjectTwice(t *testing.T, b []byte, name string) {
	t.Helper()
	var want, got []string
	okObject := rawjson.Object(b, func(m rawjson.Member) {
		if m.Is(name) && m.Value[0] == '{' {
			rawjson.Object(m.Value, func(in rawjson.Member) { want = append(want, "in "+string(in.Key)+"="+string(in.Value)) })
		}
		want = append(want, string(m.Key)+"="+string(m.Value))
	})
	okWithin := rawjson.Within(b, name,
		func(m rawjson.Member) { got = append(got, string(m.Key)+"="+string(m.Value)) },
		func(in rawjson.Member) { got = append(got, "in "+string(in.Key)+"="+string(in.Value)) })
	if okObject != okWithin {
		t.Fatalf("Within(%.60q, %q) ok = %v, Object's %v", b, name, okWithin, okObject)
	}
	if diff := cmp.Diff(want, got); okObject && diff != "" {
		t.Errorf("Within(%.60q, %q) (-Object twice +Within):\n%s", b, name, diff)
	}
}

func TestWithinIsObjectTwice(t *testing.T) {
	t.Parallel()
	more := []string{
		`{"a":{"b":1,"c":{"d":[2]}},"A":[],"x":{"a":{}},"\u0061":{"e":"f"},"a":null}`,
		`{"a":{"b":1,}}`, `{"a":{"b" 1}}`, `{"a":{}}`, `{"a":{},"b":}`,
		`{"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
		`{"a":{"b":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}}`,
		`{"a":{"b":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}}`,
		`{"a":` + strings.Repeat(`{"a":`, 9999) + `1` + strings.Repeat("}", 10000),
		`{"a":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat("}", 10001),
	}
	for _, s := range append(more, seeds...) {
		sameAsUnmarshal(t, []byte(s))
		sameAsObjectTwice(t, []byte(s), "a")
	}
}

func TestMembersIsObject(t *testing.T) {
	t.Parallel()
	for _, s := range seeds {
		sameAsObject(t, s)
	}
}

// sameAsValid checks Parse against json.Valid: refused alike, and else
// the text without the space around it.
func sameAsValid(t *testing.T, s string) {
	t.Helper()
	v, ok := rawjson.Parse(s)
	if want := json.Valid([]byte(s)); ok != want {
		t.Fatalf("Parse(%.60q) ok = %v, json.Valid says %v", s, ok, want)
	}
	if want := strings.Trim(s, " \t\r\n"); ok && v.String() != want {
		t.Errorf("Parse(%.60q) = %.60q, want %.60q", s, v, want)
	}
}

func TestParseIsValid(t *testing.T) {
	t.Parallel()
	for _, s := range seeds {
		sameAsValid(t, s)
	}
}

func TestValue(t *testing.T) {
	t.Parallel()
	parse := func(s string) rawjson.Value {
		v, ok := rawjson.Parse(s)
		if !ok {
			t.Fatalf("Parse(%q) refused it", s)
		}
		return v
	}
	tests := []struct {
		name     string
		v        rawjson.Value
		want     string // String, and what json.Marshal writes of it
		wantUTF8 string // of ValidUTF8
	}{
		{name: "the zero value is null", want: "null", wantUTF8: "null"},
		{name: "text as written, space inside kept", v: parse(` {"a" : [1, 2]} `), want: `{"a" : [1, 2]}`, wantUTF8: `{"a" : [1, 2]}`},
		{name: "digits kept", v: parse(`12345678901234567890`), want: `12345678901234567890`, wantUTF8: `12345678901234567890`},
		{name: "each byte that is not UTF-8 becomes U+FFFD", v: parse("[\"a\xff\xfeb\",\"\u00e9\"]"), want: "[\"a\xff\xfeb\",\"\u00e9\"]", wantUTF8: "[\"a\uFFFD\uFFFDb\",\"\u00e9\"]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.v.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := tt.v.ValidUTF8().String(); got != tt.wantUTF8 {
				t.Errorf("ValidUTF8() = %q, want %q", got, tt.wantUTF8)
			}
			if !json.Valid([]byte(tt.v.ValidUTF8().String())) {
				t.Errorf("ValidUTF8() = %q, not JSON", tt.v.ValidUTF8())
			}
			// json.Marshal writes it as it writes a json.RawMessage of its text.
			got, err := json.Marshal(map[string]any{"v": tt.v})
			want, wantErr := json.Marshal(map[string]any{"v": json.RawMessage(tt.want)})
			if err != nil || wantErr != nil || !bytes.Equal(got, want) {
				t.Errorf("json.Marshal() = %s, %v; want %s, %v", got, err, want, wantErr)
			}
			if !tt.v.Equal(parse(tt.want)) {
				t.Errorf("%q.Equal(Parse(%q)) = false", tt.v, tt.want)
			}
		})
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
		f.Add(`{"a":{` + string(k) + `:` + string(k) + `}}`)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := rawjson.Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid says %v", s, got, want)
		}
		sameAsUnmarshal(t, []byte(s))
		sameAsObject(t, s)
		sameAsObjectTwice(t, []byte(s), "a")
		sameAsValid(t, s)
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

// TestMembersAllocates: a Value goes into an interface without an
// allocation of its own, and Members keeps the values' texts in a few
// blocks, not one allocation per value.
func TestMembersAllocates(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("{")
	for i := range 1000 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `"k%d":[%d]`, i, i)
	}
	sb.WriteString("}")
	in := sb.String()
	vals := make([]any, 0, 1000)
	allocs := testing.AllocsPerRun(10, func() {
		vals = vals[:0]
		rawjson.Members(in, func(_ string, v rawjson.Value) { vals = append(vals, v) })
	})
	if allocs > 20 {
		t.Errorf("Members of 1,000 members allocated %.0f times, want at most 20", allocs)
	}
	if len(vals) != 1000 || vals[999].(rawjson.Value).String() != "[999]" || vals[0].(rawjson.Value).String() != "[0]" {
		t.Errorf("Members gave %d values, the last %v", len(vals), vals[len(vals)-1])
	}
}
