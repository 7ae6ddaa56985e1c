package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/rawjson"
)

// parseProductsTests are TestParseProducts' cases, and seeds of FuzzProducts.
var parseProductsTests = []struct {
	name    string
	in      string
	want    []Product
	wantErr string
}{
	{name: "empty", in: " \n"},
	{name: "lines", in: "shop-api@1.4.0\n\n# the worker too\n  worker@2024.11.3  \n",
		want: []Product{{Product: "shop-api", Version: "1.4.0"}, {Product: "worker", Version: "2024.11.3"}}},
	{name: "one line", in: "shop-api@sha-3f78685", want: []Product{{Product: "shop-api", Version: "sha-3f78685"}}},
	{name: "yaml objects", in: "- product: shop-api\n  version: 1.4.0\n  environment: eu\n  status: failure\n  environment-url: https://eu.shop.example\n  metadata: {ticket: OPS-1}\n- product: worker\n  version: 2\n",
		want: []Product{{Product: "shop-api", Version: "1.4.0", Environment: "eu", Status: "failure", EnvironmentURL: "https://eu.shop.example",
			Metadata: map[string]any{"ticket": raw(`"OPS-1"`)}}, {Product: "worker", Version: "2"}}},
	{name: "json", in: `[{"product":"shop-api","version":"1.4.0","metadata":"{\"n\": 12345678901234567890}"}, "worker@2"]`,
		want: []Product{{Product: "shop-api", Version: "1.4.0", Metadata: map[string]any{"n": raw("12345678901234567890")}}, {Product: "worker", Version: "2"}}},
	{name: "yaml strings", in: "- shop-api@1.4.0\n- worker@2\n", want: []Product{{Product: "shop-api", Version: "1.4.0"}, {Product: "worker", Version: "2"}}},
	{name: "a product twice is Load's to refuse, once the entries take the step's inputs", in: "a@1\nb@1\na@2",
		want: []Product{{Product: "a", Version: "1"}, {Product: "b", Version: "1"}, {Product: "a", Version: "2"}}},
	{name: "same product, two environments", in: "- {product: a, environment: eu}\n- {product: a, environment: us}",
		want: []Product{{Product: "a", Environment: "eu"}, {Product: "a", Environment: "us"}}},
	{name: "not a list", in: "product: shop-api", wantErr: "not a list"},
	{name: "bad yaml", in: "- product: [", wantErr: "neither a YAML/JSON list"},
	{name: "empty list", in: "[]", wantErr: "empty list"},
	{name: "unknown key", in: "- product: a\n  versoin: 1", wantErr: `unknown key "versoin"`},
	{name: "no product", in: "- version: 1", wantErr: "entry 1: has no product"},
	{name: "bad string entry", in: `["a@1", "b"]`, wantErr: `entry 2: "b" is not product@version`},
	{name: "metadata not an object", in: "- product: a\n  metadata: [1]", wantErr: "metadata is a list"},
	{name: "metadata string not JSON", in: "- product: a\n  metadata: 'x'", wantErr: "metadata is not valid JSON"},
	{name: "nested value", in: "- product: a\n  version: {x: 1}", wantErr: "version is a map"},
	{name: "line break in a field", in: "- product: a\n  version: \"1\\n::error::x\"", wantErr: "version holds a line break"},
	{name: "number entry", in: "[1]", wantErr: `entry 1: "1" is not product@version`},
	{name: "list entry", in: "[[a]]", wantErr: "entry 1: is a list"},
	{name: "versions as written, not as YAML reads them", in: "- {product: a, version: 1.10}\n- {product: b, version: 2.0}\n- {product: c, version: 010}\n- {product: d, version: 0x1F}\n- {product: e, version: 2024-01-02}\n- {product: f, version: 1e3}\n- {product: g, version: 123456789012345678901234}",
		want: []Product{{Product: "a", Version: "1.10"}, {Product: "b", Version: "2.0"}, {Product: "c", Version: "010"}, {Product: "d", Version: "0x1F"},
			{Product: "e", Version: "2024-01-02"}, {Product: "f", Version: "1e3"}, {Product: "g", Version: "123456789012345678901234"}}},
	{name: "json numbers as written", in: `[{"product": "a", "version": 1.10, "metadata": {"n": 1.50, "big": 12345678901234567890, "on": on}}]`,
		want: []Product{{Product: "a", Version: "1.10", Metadata: map[string]any{"n": raw("1.50"), "big": raw("12345678901234567890"), "on": raw(`"on"`)}}}},
	{name: "anchors", in: "- &x {product: a, version: 1}\n- {product: b, version: *v}\n", wantErr: "line 1: anchors (&x) are not supported"},
	{name: "a key twice", in: "- {product: a, version: 1, version: 2}", wantErr: `has the key "version" twice`},
	{name: "@ in a product", in: "- {product: web@eu, version: 1}", wantErr: "holds @, :: or ##["},
	{name: "a workflow command in a product", in: "- {product: '::error::x', version: 1}", wantErr: "holds @, :: or ##["},
	{name: "a workflow command in a line", in: "::error::x@1", wantErr: "entry 1: product \"::error::x\" holds"},
	{name: "a legacy command in a product", in: "- {product: 'shop##[warning]x', version: 1}", wantErr: "holds @, :: or ##["},
	{name: "too many", in: strings.Repeat("- p@1\n", 1) + manyProducts(MaxProducts+1), wantErr: "the limit is 30"},
}

func TestParseProducts(t *testing.T) {
	t.Parallel()
	for _, tt := range parseProductsTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseProducts(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// raw is a metadata value as ParseMetadata keeps it: the JSON text given.
func raw(s string) rawjson.Value {
	v, ok := rawjson.Parse(s)
	if !ok {
		panic("not JSON: " + s)
	}
	return v
}

func manyProducts(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "- p%d@1\n", i)
	}
	return b.String()
}

func TestLoadProducts(t *testing.T) {
	t.Parallel()
	c, err := Load(inputs(valid(map[string]string{
		"metadata": `{"team": "shop", "ticket": "OPS-0"}`, "environment-url": "https://shop.example",
		"products": "- product: api\n  metadata: {ticket: OPS-1}\n- product: worker\n  version: 2.0.0\n  environment: eu\n  status: failed\n",
	})))
	if err != nil {
		t.Fatal(err)
	}
	var got []Product
	for _, e := range c.Each() {
		got = append(got, Product{e.Product, e.Version, e.Environment, e.Status, e.EnvironmentURL, e.Metadata})
	}
	want := []Product{
		{"api", "1.2.3", "production", "completed", "https://shop.example", map[string]any{"team": raw(`"shop"`), "ticket": raw(`"OPS-1"`)}},
		{"worker", "2.0.0", "eu", "failed", "https://shop.example", map[string]any{"team": raw(`"shop"`), "ticket": raw(`"OPS-0"`)}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Each() (-want +got):\n%s", diff)
	}
	if one := (&Config{Product: "x"}).Each(); len(one) != 1 || one[0].Product != "x" {
		t.Errorf("Each() without products = %v", one)
	}

	for _, tt := range []struct {
		name string
		in   map[string]string
		want string
	}{
		{"product and products", map[string]string{"product": "x", "products": "a@1"}, "input product is set together with products"},
		{"no version anywhere", map[string]string{"version": "", "products": "- product: a"}, "entry 1 (a) has no version"},
		{"no environment anywhere", map[string]string{"environment": "", "products": "a@1"}, "entry 1 (a) has no environment"},
		{"bad url in an entry", map[string]string{"products": "- {product: a, environment-url: 'ftp://x'}"}, "not an http(s) URL"},
	} {
		if _, err := Load(inputs(valid(tt.in))); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.want)
		}
	}
	// Entries carry their own version, so an empty version input is fine.
	if _, err := Load(inputs(valid(map[string]string{"version": "", "products": "a@1\nb@2"}))); err != nil {
		t.Errorf("versions in the entries: %v", err)
	}
}

// One finds a product's inputs for the post step: its products entry, or
// the step's own inputs when the step records one product.
func TestOne(t *testing.T) {
	t.Parallel()
	step := &Config{Product: "shop-api", Version: "1", Environment: "production", EnvironmentURL: "https://shop.example"}
	many := &Config{Environment: "staging", Products: []Product{
		{Product: "api", Version: "1", Environment: "eu", EnvironmentURL: "https://eu.example"},
		{Product: "api", Version: "1", Environment: "us"},
	}}
	tests := []struct {
		name                 string
		c                    *Config
		product, environment string
		wantVersion, wantURL string
		wantEnvironment      string
	}{
		{name: "the step's product", c: step, product: "shop-api", environment: "production", wantVersion: "1", wantURL: "https://shop.example", wantEnvironment: "production"},
		{name: "an entry, by environment", c: many, product: "api", environment: "eu", wantVersion: "1", wantURL: "https://eu.example", wantEnvironment: "eu"},
		{name: "the other entry", c: many, product: "api", environment: "us", wantVersion: "1", wantEnvironment: "us"},
		{name: "no entry: the step's inputs for it", c: many, product: "worker", environment: "eu", wantEnvironment: "eu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.c.One(tt.product, tt.environment)
			if got.Product != tt.product || got.Environment != tt.wantEnvironment || got.Version != tt.wantVersion || got.EnvironmentURL != tt.wantURL || len(got.Products) != 0 {
				t.Errorf("One(%q, %q) = product %q, environment %q, version %q, url %q, %d products; want %q, %q, %q, %q, 0",
					tt.product, tt.environment, got.Product, got.Environment, got.Version, got.EnvironmentURL, len(got.Products),
					tt.product, tt.wantEnvironment, tt.wantVersion, tt.wantURL)
			}
		})
	}
}

// Two entries are the same product once each has taken the step's inputs:
// an entry that leaves environment out is in the environment input's
// environment. The error names both entries and where the environment
// came from; entries that differ after the defaults are kept.
func TestLoadProductsDuplicates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       map[string]string
		wantErr  string // "" when the entries are distinct
		wantEnvs []string
	}{
		{name: "the same line twice", in: map[string]string{"products": "a@1\nb@1\na@2"},
			wantErr: "input products entries 1 and 3 are both a in production (both take their environment from the environment input): list each product once per environment"},
		{name: "one leaves environment out, the other spells it",
			in:      map[string]string{"products": "- {product: api, version: 1}\n- {product: api, version: 2, environment: production}"},
			wantErr: "input products entries 1 and 2 are both api in production (entry 1 takes its environment from the environment input): list each product once per environment"},
		{name: "the other way round",
			in:      map[string]string{"products": "- {product: api, environment: production}\n- api@2"},
			wantErr: "entries 1 and 2 are both api in production (entry 2 takes its environment from the environment input)"},
		{name: "both spell it", in: map[string]string{"products": "- {product: api, environment: eu}\n- {product: api, environment: eu}"},
			wantErr: "entries 1 and 2 are both api in eu: list each product once per environment"},
		{name: "one product in two environments is two products",
			in:       map[string]string{"products": "- {product: api}\n- {product: api, environment: staging}"},
			wantEnvs: []string{"production", "staging"}},
		{name: "environments are compared as written",
			in:       map[string]string{"products": "- {product: api, environment: Production}\n- {product: api}"},
			wantEnvs: []string{"Production", "production"}},
		{name: "a build has no environment: one product is one build",
			in:      map[string]string{"event-type": "build", "products": "- {product: api, environment: eu}\n- {product: api, environment: us}"},
			wantErr: "input products entries 1 and 2 are both builds of api, and a build event has no environment: list each product once"},
		{name: "builds of two products",
			in:       map[string]string{"event-type": "build", "products": "api@1\nworker@1"},
			wantEnvs: []string{"production", "production"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(inputs(valid(tt.in)))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var envs []string
			for _, e := range c.Each() {
				envs = append(envs, e.Environment)
			}
			if diff := cmp.Diff(tt.wantEnvs, envs); diff != "" {
				t.Errorf("environments of Each() (-want +got):\n%s", diff)
			}
		})
	}
}
