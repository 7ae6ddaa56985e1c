package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// MaxProducts bounds the products input. GitHub's secondary rate limit
// allows about 80 content-creating requests a minute; a product costs two
// (create, status) when it starts, and three when one step records its
// success from scratch and retires its previous version (create, status,
// inactive). 30 keeps starts and finishes under the limit; a one-step
// success of 30 products that each replace a version is 90, and the last
// may meet the limit (see the README).
const MaxProducts = 30

// Product is one entry of the products input. An empty field takes the
// step's input of the same name.
type Product struct {
	Product        string
	Version        string
	Environment    string
	Status         string
	EnvironmentURL string
	Metadata       map[string]any // merged over the metadata input
}

// productLine is one line of the short form: product@version. It is
// compiled when a products input is first read, not when every step
// starts: most steps have none.
var productLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([^\s@]+)@(\S+)$`) })

// ParseProducts reads the products input: a YAML or JSON list whose
// entries are objects (product, version, environment, status, metadata,
// environment-url) or product@version strings, or plain lines of
// product@version. Empty means one product, from the step's own inputs.
// The YAML is the subset parseYAML reads (see yamlish.go).
func ParseProducts(s string) ([]Product, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if ps, ok := parseLines(s); ok {
		return checkProducts(ps)
	}
	list, err := parseYAML(s)
	var ye *yError
	if errors.As(err, &ye) && ye.unsupported {
		return nil, fmt.Errorf("uses YAML that deploytrack does not read: %v", err)
	}
	if err != nil {
		return nil, fmt.Errorf("is neither a YAML/JSON list nor lines of product@version: %v", err)
	}
	if list.kind != ySequence {
		return nil, fmt.Errorf("is a YAML %s, not a list: give a list of products, or lines of product@version", nodeKind(list))
	}
	if len(list.content) == 0 {
		return nil, errors.New("is an empty list: give at least one product, or leave the input out")
	}
	if len(list.content) > MaxProducts {
		return nil, fmt.Errorf("lists %d products; the limit is %d per step (GitHub's secondary rate limit): split them over steps", len(list.content), MaxProducts)
	}
	ps := make([]Product, 0, len(list.content))
	for i, n := range list.content {
		p, err := productEntry(n)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %v", i+1, err)
		}
		ps = append(ps, p)
	}
	return checkProducts(ps)
}

// parseLines reads the short form, where every line that is not blank or
// a # comment is product@version.
func parseLines(s string) ([]Product, bool) {
	var ps []Product
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := productLine().FindStringSubmatch(line)
		if m == nil || strings.HasPrefix(line, "-") || strings.HasPrefix(line, "[") {
			return nil, false
		}
		ps = append(ps, Product{Product: m[1], Version: m[2]})
	}
	return ps, len(ps) > 0
}

// productEntry reads one entry. Scalars are taken as written, never as
// YAML reads them: version: 1.10 is "1.10", not the number 1.1.
func productEntry(n *yNode) (Product, error) {
	switch n.kind {
	case yScalar:
		m := productLine().FindStringSubmatch(strings.TrimSpace(n.value))
		if m == nil || n.tag == "!!null" {
			return Product{}, fmt.Errorf("%q is not product@version", n.value)
		}
		return Product{Product: m[1], Version: m[2]}, nil
	case yMapping:
	default:
		return Product{}, fmt.Errorf("is a %s, not an object or a product@version string", nodeKind(n))
	}
	var p Product
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.content); i += 2 {
		k, v := n.content[i].value, n.content[i+1]
		if seen[k] {
			return p, fmt.Errorf("has the key %q twice", k)
		}
		seen[k] = true
		if k == "metadata" {
			m, err := productMetadata(v)
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
		if v.kind != yScalar {
			return p, fmt.Errorf("%s is a %s, not a string", k, nodeKind(v))
		}
		if v.tag != "!!null" {
			*dst = strings.TrimSpace(v.value)
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
func productMetadata(n *yNode) (map[string]any, error) {
	switch n.kind {
	case yScalar:
		if n.tag == "!!null" {
			return nil, nil
		}
		m, err := ParseMetadata(n.value)
		if err != nil {
			return nil, fmt.Errorf("metadata %v", err)
		}
		return m, nil
	case yMapping:
		// Through JSON, so the values are what ParseMetadata would give.
		b, err := json.Marshal(nodeJSON(n))
		if err != nil {
			return nil, fmt.Errorf("metadata cannot be sent as JSON: %v", err)
		}
		return ParseMetadata(string(b))
	}
	return nil, fmt.Errorf("metadata is a %s, not an object", nodeKind(n))
}

// nodeJSON converts YAML to JSON values, numbers kept as written.
func nodeJSON(n *yNode) any {
	switch n.kind {
	case yMapping:
		m := make(map[string]any, len(n.content)/2)
		for i := 0; i+1 < len(n.content); i += 2 {
			m[n.content[i].value] = nodeJSON(n.content[i+1])
		}
		return m
	case ySequence:
		l := make([]any, len(n.content))
		for i, c := range n.content {
			l[i] = nodeJSON(c)
		}
		return l
	}
	switch n.tag {
	case "!!null":
		return nil
	case "!!bool":
		return strings.EqualFold(n.value, "true")
	case "!!int", "!!float":
		if json.Valid([]byte(n.value)) {
			return json.Number(n.value)
		}
	}
	return n.value
}

func nodeKind(n *yNode) string {
	switch n.kind {
	case ySequence:
		return "list"
	case yMapping:
		return "mapping"
	case yScalar:
		switch n.tag {
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

// checkProducts refuses what no entry may be, whatever the step's inputs.
// Duplicates are duplicateProduct's: they show only once each entry has
// taken the step's inputs.
func checkProducts(ps []Product) ([]Product, error) {
	if len(ps) > MaxProducts {
		return nil, fmt.Errorf("lists %d products; the limit is %d per step (GitHub's secondary rate limit): split them over steps", len(ps), MaxProducts)
	}
	for i, p := range ps {
		// @ would make results keys ambiguous; :: and ##[ start workflow
		// commands in the log, which prints product names.
		if strings.Contains(p.Product, "@") || strings.Contains(p.Product, "::") || strings.Contains(p.Product, "##[") {
			return nil, fmt.Errorf("entry %d: product %q holds @, :: or ##[: give the product's plain name", i+1, p.Product)
		}
	}
	return ps, nil
}

// duplicateProduct refuses two entries that would record the same thing,
// compared after each has taken the step's inputs: an entry that leaves
// environment out and one that spells the environment input's value are
// the same deployment. A build has no environment, so there one product
// is one build whatever its entries say. own holds each entry's
// environment as written, to say where a clash came from. Keeping each
// product once per environment keeps every entry in the results output,
// which is keyed by product@environment when a product repeats.
func duplicateProduct(kind Kind, ps []Product, own []string) error {
	seen := map[[2]string]int{}
	for i, p := range ps {
		k := [2]string{p.Product, p.Environment}
		if kind == Build {
			k[1] = ""
		}
		j, dup := seen[k]
		if !dup {
			seen[k] = i
			continue
		}
		if kind == Build {
			return fmt.Errorf("entries %d and %d are both builds of %s, and a build event has no environment: list each product once", j+1, i+1, p.Product)
		}
		return fmt.Errorf("entries %d and %d are both %s in %s%s: list each product once per environment", j+1, i+1, p.Product, p.Environment, fromInput(j, i, own))
	}
	return nil
}

// fromInput says which of entries j and i took their environment from
// the environment input.
func fromInput(j, i int, own []string) string {
	switch {
	case own[j] == "" && own[i] == "":
		return " (both take their environment from the environment input)"
	case own[j] == "":
		return fmt.Sprintf(" (entry %d takes its environment from the environment input)", j+1)
	case own[i] == "":
		return fmt.Sprintf(" (entry %d takes its environment from the environment input)", i+1)
	}
	return ""
}
