package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// oracleParseProducts is ParseProducts as it was with gopkg.in/yaml.v3,
// kept as the oracle FuzzProducts holds parseYAML to. It reads the products input: a YAML or JSON list whose
// entries are objects (product, version, environment, status, metadata,
// environment-url) or product@version strings, or plain lines of
// product@version. Empty means one product, from the step's own inputs.
func oracleParseProducts(s string) ([]Product, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if ps, ok := parseLines(s); ok {
		return checkProducts(ps)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		return nil, fmt.Errorf("is neither a YAML/JSON list nor lines of product@version: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	list := &doc
	if list.Kind == yaml.DocumentNode && len(list.Content) == 1 {
		list = list.Content[0]
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("is a YAML %s, not a list: give a list of products, or lines of product@version", oracleNodeKind(list))
	}
	if len(list.Content) == 0 {
		return nil, errors.New("is an empty list: give at least one product, or leave the input out")
	}
	if len(list.Content) > MaxProducts {
		return nil, fmt.Errorf("lists %d products; the limit is %d per step (GitHub's secondary rate limit): split them over steps", len(list.Content), MaxProducts)
	}
	ps := make([]Product, 0, len(list.Content))
	for i, n := range list.Content {
		p, err := oracleProductEntry(n)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %v", i+1, err)
		}
		ps = append(ps, p)
	}
	return checkProducts(ps)
}

// productEntry reads one entry. Scalars are taken as written, never as
// YAML reads them: version: 1.10 is "1.10", not the number 1.1.
func oracleProductEntry(n *yaml.Node) (Product, error) {
	n = oracleResolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		m := productLine().FindStringSubmatch(strings.TrimSpace(n.Value))
		if m == nil || n.Tag == "!!null" {
			return Product{}, fmt.Errorf("%q is not product@version", n.Value)
		}
		return Product{Product: m[1], Version: m[2]}, nil
	case yaml.MappingNode:
	default:
		return Product{}, fmt.Errorf("is a %s, not an object or a product@version string", oracleNodeKind(n))
	}
	var p Product
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, oracleResolve(n.Content[i+1])
		if seen[k] {
			return p, fmt.Errorf("has the key %q twice", k)
		}
		seen[k] = true
		if k == "metadata" {
			m, err := oracleProductMetadata(v)
			if err != nil {
				return p, err
			}
			p.Metadata = m
			continue
		}
		dst := map[string]*string{"product": &p.Product, "version": &p.Version, "environment": &p.Environment,
			"status": &p.Status, "environment-url": &p.EnvironmentURL}[k]
		if dst == nil {
			return p, fmt.Errorf("has an unknown key %q: use product, version, environment, status, metadata or environment-url", k)
		}
		if v.Kind != yaml.ScalarNode {
			return p, fmt.Errorf("%s is a %s, not a string", k, oracleNodeKind(v))
		}
		if v.Tag != "!!null" {
			*dst = strings.TrimSpace(v.Value)
		}
		if strings.ContainsAny(*dst, "\r\n") {
			return p, fmt.Errorf("%s holds a line break", k)
		}
	}
	if p.Product == "" {
		return p, errors.New("has no product")
	}
	return p, nil
}

// productMetadata takes a mapping, or a string holding a JSON object.
func oracleProductMetadata(n *yaml.Node) (map[string]any, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		m, err := ParseMetadata(n.Value)
		if err != nil {
			return nil, fmt.Errorf("metadata %v", err)
		}
		return m, nil
	case yaml.MappingNode:
		// Through JSON, so the values are what ParseMetadata would give.
		b, err := json.Marshal(oracleNodeJSON(n))
		if err != nil {
			return nil, fmt.Errorf("metadata cannot be sent as JSON: %v", err)
		}
		return ParseMetadata(string(b))
	}
	return nil, fmt.Errorf("metadata is a %s, not an object", oracleNodeKind(n))
}

// nodeJSON converts YAML to JSON values, numbers kept as written.
func oracleNodeJSON(n *yaml.Node) any {
	n = oracleResolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = oracleNodeJSON(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			l[i] = oracleNodeJSON(c)
		}
		return l
	}
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		return strings.EqualFold(n.Value, "true")
	case "!!int", "!!float":
		if json.Valid([]byte(n.Value)) {
			return json.Number(n.Value)
		}
	}
	return n.Value
}

func oracleResolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func oracleNodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int", "!!float":
			return "number"
		case "!!bool":
			return "boolean"
		case "!!null":
			return "null"
		}
		return "string"
	}
	return "value"
}

// sameTree says how ours differs from yaml.v3's reading of the same text,
// or "" when they agree: kinds, values, and the tags nodeJSON and
// nodeKind tell apart (a timestamp and << are strings to them).
func sameTree(ours *yNode, theirs *yaml.Node) string {
	if theirs.Kind == yaml.DocumentNode || theirs.Kind == 0 {
		if len(theirs.Content) == 0 {
			if ours.kind == yScalar && ours.tag == "!!null" && ours.value == "" {
				return ""
			}
			return "yaml.v3 reads an empty document"
		}
		theirs = theirs.Content[0]
	}
	kinds := map[yaml.Kind]yKind{yaml.ScalarNode: yScalar, yaml.SequenceNode: ySequence, yaml.MappingNode: yMapping}
	k, ok := kinds[theirs.Kind]
	if !ok || k != ours.kind {
		return fmt.Sprintf("line %d: yaml.v3 reads kind %v, ours %v", theirs.Line, theirs.Kind, ours.kind)
	}
	if k == yScalar {
		tag := theirs.Tag
		if tag == "!!timestamp" || tag == "!!merge" {
			tag = "!!str"
		}
		if tag != ours.tag || theirs.Value != ours.value {
			return fmt.Sprintf("line %d: yaml.v3 reads %s %q, ours %s %q", theirs.Line, tag, theirs.Value, ours.tag, ours.value)
		}
		return ""
	}
	if len(theirs.Content) != len(ours.content) {
		return fmt.Sprintf("line %d: yaml.v3 reads %d nodes in the collection, ours %d", theirs.Line, len(theirs.Content), len(ours.content))
	}
	for i := range theirs.Content {
		if d := sameTree(ours.content[i], theirs.Content[i]); d != "" {
			return d
		}
	}
	return ""
}

// checkTree fails t when parseYAML accepts s and yaml.v3 refuses it or
// reads it differently. It says whether parseYAML accepted.
func checkTree(t *testing.T, s string) bool {
	t.Helper()
	ours, err := parseYAML(s)
	if err != nil {
		return false
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("parseYAML reads %q; yaml.v3 refuses it: %v", s, err)
	}
	if d := sameTree(ours, &doc); d != "" {
		t.Fatalf("parseYAML(%q): %s", s, d)
	}
	return true
}
