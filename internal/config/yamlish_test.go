package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// productsSeeds are inputs FuzzProducts starts from: every
// TestParseProducts input, the README's examples, and YAML that is easy
// to read wrongly.
func productsSeeds() []string {
	seeds := []string{
		// README
		"- product: shop-api\n  version: 1.4.0\n  environment-url: https://shop.example.com\n- product: worker\n  version: 2.0.1\n  environment: production-eu\n- product: payments\n  version: 9.9.9\n  metadata: {ticket: PAY-1}\n",
		"shop-api@3f786850e387550fdab836ed7e6dc881de23001b\nworker@2.0.1\n",
		// quotes and escapes
		`- {product: "a\tb", version: 'it''s'}`,
		`- {product: "caf\u00e9 \x41 \U0001F600 \N\_\L\P \e\0\a\b\v\f\ \/", version: "1"}`,
		`- {product: "a\ud83d\ude00", version: 1}`,
		`- {product: "a\q", version: 1}`,
		`["a@1", 'b@2', "c@\"3\""]`,
		"- product: 'a # not a comment'\n  version: \"1#2\" # a comment\n",
		"- product: a#b\n  version: 1 #c\n",
		// comments, blank lines, ---
		"# products\n---\n- a@1 # first\n\n  # between\n- b@2\n",
		"--- # start\n[a@1]\n",
		"---\n- a@1\n---\n- b@1\n",
		"- a@1\n...\n",
		// nested metadata
		"- product: a\n  metadata:\n    team: shop\n    n: 1.50\n    list: [1, two, {three: 3}]\n    map:\n      deep: [true, FALSE, True, yes, on, ~, null, NULL, '']\n    seq:\n    - x\n    - y: 1\n      z: 2\n    empty:\n",
		"- product: a\n  metadata: '{\"n\": 1.0}'\n",
		"- product: a\n  metadata: \"\"\n",
		"- product: a\n  metadata: ~\n",
		"- product: a\n  metadata: {}\n",
		"- product: a\n  metadata: {\"a\":1,\"b\":[1,2],\"c\":{\"d\":null}}\n",
		"- product: a\n  metadata: {n: 010, h: 0x1F, e: 1e3, i: .inf, m: -.nan, big: 1e400, u: 1_000, o: 0o17, b: 0b11, d: 2024-01-02, f: 1., g: -0, p: +1}\n",
		"- product: a\n  metadata: {a: 1, a: 2}\n",
		"- product: a\n  metadata:\n    \"key: with colon\": 1\n    'key with spaces': 2\n    plain key: 3\n",
		// flow inside block, block inside block
		"- product: a\n  version: [1]\n",
		"-\n  product: a\n  version: 1\n",
		"- - a@1\n",
		"-\n- a@1\n",
		"  - a@1\n  - b@1\n",
		"- product: a\n  version:\n",
		"- product: a\n  version:\n    1.2\n",
		"- product: a\n  version: 1\n    .2\n",
		"- product: a\n version: 1\n",
		"- product: a\n   version: 1\n",
		"- product:    a   \n  version:  1  \n",
		"- product: a\r\n  version: 1.10\r\n",
		"- product: a\r  version: 1\r",
		"- product: a\n\tversion: 1\n",
		"[\n\t{\"product\": \"a\",\n\t \"version\": \"1\"}\n]",
		"[\n  {\"product\": \"a\", \"version\": \"1\"},\n  {\"product\": \"b\"}\n]\n",
		"[{product: a,\nversion: 1}]",
		"- {product: a,\nversion: 1}",
		"[a@1,]",
		"[a@1,,]",
		"{product: a}",
		"- {product: a, version}",
		"- {product: a, version:}",
		"- {\"product\":\"a\",\"version\":}",
		"- {product: a:1}",
		"- {product: a, version: 1:}",
		"- [a: 1]",
		"- product: a: b",
		"- product: - a",
		"- product: a\n- version: 1\n  product: b\n",
		"- ? product\n  : a\n",
		"- product: &a x\n",
		"- product: *a\n",
		"- product: !!str 1\n",
		"- product: |\n    a\n",
		"- product: >\n    a\n",
		"%YAML 1.2\n---\n- a@1\n",
		"- product: @a\n",
		"- product: \"a\n  b\"\n",
		"- product: 'a\n  b'\n",
		"- product: a\n  environment-url: https://x.example/a?b=c#d\n",
		"- {product: a, environment-url: https://x.example:8443/}\n",
		"- product: ünïcødé\n  version: 日本\n",
		"- product: a\n  status: true\n",
		"- product: a\n  version: -1\n",
		"- \"product\": a\n  'version': 1\n",
		"- <<: {product: a}\n",
		"- product: a\n  metadata: [1]\n",
		"- product: a\n  metadata: {a: [b, [c, {d: e}]]}\n",
		"[a@1]  # c\n",
		"[a@1]#c\n",
		"- 'a@1'x\n",
		"- {product: a} x\n",
		"- product: a \t\n",
	}
	for _, tt := range parseProductsTests {
		seeds = append(seeds, tt.in)
	}
	return seeds
}

// FuzzProducts holds ParseProducts to the yaml.v3 reading it replaced:
// what it accepts, yaml.v3 accepts and reads the same; what yaml.v3
// refuses, it refuses. It may refuse what yaml.v3 reads: YAML outside the
// subset, and text yaml.v3 is lenient with ([a@1]0 is [a@1] to yaml.v3).
func FuzzProducts(f *testing.F) {
	for _, s := range productsSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkTree(t, s)
		got, err := ParseProducts(s)
		want, werr := oracleParseProducts(s)
		switch {
		case err == nil && werr != nil:
			t.Fatalf("ParseProducts(%q) = %v; yaml.v3 refuses it: %v", s, got, werr)
		case err == nil:
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("ParseProducts(%q) (-yaml.v3 +ours):\n%s", s, diff)
			}
		}
	})
}

// The subset refuses what it does not read, naming the line and what.
func TestParseProductsSubset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, wantErr string
	}{
		{"anchor", "- a@1\n- &x b@1", "line 2: anchors (&x) are not supported in products: write the value out"},
		{"alias", "- {product: a, version: *v}", "line 1: aliases (*v) are not supported"},
		{"tag", "- product: a\n  version: !!str 1", "line 2: tags (!!str) are not supported"},
		{"local tag", "- !foo a@1", "tags (!foo) are not supported"},
		{"literal block", "- product: a\n  version: |\n    1", "line 2: block scalars (|) are not supported"},
		{"folded block", "- product: a\n  version: >-\n    1", "line 2: block scalars (>) are not supported"},
		{"plain over lines", "- product: a\n  version: 1\n    2", "line 3: a value that spans lines is not supported"},
		{"plain over lines in flow", "[a@1\n b]", "line 2: a value that spans lines is not supported"},
		{"quote over lines", "- product: \"a\n  b\"", "line 1: a quoted value that spans lines is not supported"},
		{"escaped line break", "- product: \"a\\\n  b\"", "a quoted value that spans lines is not supported"},
		{"complex key", "- ? product\n  : a", "line 1: complex keys (?) are not supported"},
		{"flow key", "- {[a]: 1}", "a list or mapping as a key is not supported"},
		{"second document", "- a@1\n---\n- b@1", "line 2: a second document (---) is not supported"},
		{"document end", "- a@1\n...", "line 2: a second document (...) is not supported"},
		{"directive", "%YAML 1.2\n---\n- a@1", "line 1: directives (%) are not supported"},
		{"tab indentation", "- product: a\n\tversion: 1", "line 2: tabs are not supported as indentation"},
		{"tab in a plain value", "- product: a\tb", "line 1: tabs are not supported outside quotes"},
		{"key without a value in braces", "- {product: a, version}", "a key without ': value' is not supported"},
		{"key: value in brackets", "- [a: 1]", "a key: value inside [ ] is not supported"},
		{"content after ---", "--- [a@1]", "content on the --- line is not supported"},
		{"lone carriage return", "- a@1\r- b@1", "a carriage return without a line feed is not supported"},
		{"other line breaks", "- a@1\u2028", "the line break U+2028 is not supported"},
		{"byte order mark", "\ufeff- a@1", "a byte order mark (U+FEFF) is not supported"},
		{"tab after a value that ends its line", "- product: a\n  metadata: {x: 1\n\t}", "line 2: a tab after a value that ends its line is not supported"},
		{"a second ---", "# products\n---\n--- [a@1]", "line 3: a second document (---) is not supported"},
		{"deep nesting", strings.Repeat("[", 65) + strings.Repeat("]", 65), "nesting deeper than 64 lists and mappings is not supported"},
		{"long key", "- {" + strings.Repeat("k", 1001) + ": 1}", "a key longer than 1000 characters is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseProducts(tt.in)
			if err == nil || !strings.Contains(err.Error(), "uses YAML that deploytrack does not read: ") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// Broken YAML is refused as broken, with its line.
func TestParseProductsSyntax(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, wantErr string
	}{
		{"unclosed bracket", "- product: [", "line 1: unexpected end of the text"},
		{"unclosed quote", "- product: 'a", "line 1: a quoted value that spans lines"},
		{"missing comma", `["a@1" "b@1"]`, `line 1: expected , or ], found '"'`},
		{"unknown escape", `- {product: "a\q"}`, `line 1: unknown escape \q`},
		{"surrogate escape", `- {product: "\ud83d\ude00"}`, `\ud83d is not a Unicode character`},
		{"short hex escape", `- {product: "\x4"}`, `\x needs 2 hexadecimal digits`},
		{"value after a quote", "- 'a@1' b", "line 1: unexpected 'b'"},
		{"mapping on a key's line", "- product: a: b", "line 1: a mapping cannot start on the line of its key"},
		{"list on a key's line", "- product: - a", "line 1: a list (- ) cannot start on the line of its key"},
		{"bad indentation", "- product: a\n   version: 1", "line 2: a value that spans lines"},
		{"a value without a key", "- product: a\n  b\n  version: 1", "line 2: expected a key: value, found a value without a key"},
		{"less indented", "  - a@1\n- b@1", "line 2: did not find the end of the document"},
		{"control character", "- a@1\x01", "the control character U+0001 is not allowed"},
		{"not UTF-8", "- a@\xff", "is not valid UTF-8"},
		{"reserved @", "- product: @a", "a value cannot start with @"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseProducts(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
