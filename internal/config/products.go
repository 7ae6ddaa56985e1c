package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxProducts bounds the products input. Each product costs GitHub up to
// two content-creating requests, and GitHub's secondary rate limit allows
// about 80 of those a minute.
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

// productLine is one line of the short form: product@version.
var productLine = regexp.MustCompile(`^([^\s@]+)@(\S+)$`)

// ParseProducts reads the products input: a YAML or JSON list whose
// entries are objects (product, version, environment, status, metadata,
// environment-url) or product@version strings, or plain lines of
// product@version. Empty means one product, from the step's own inputs.
func ParseProducts(s string) ([]Product, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if ps, ok := parseLines(s); ok {
		return checkProducts(ps)
	}
	var list []any
	if err := yaml.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("is neither a YAML/JSON list nor lines of product@version: %s", yamlProblem(err))
	}
	if len(list) == 0 {
		return nil, errors.New("is an empty list: give at least one product, or leave the input out")
	}
	if len(list) > MaxProducts {
		return nil, fmt.Errorf("lists %d products; the limit is %d per step (GitHub's secondary rate limit): split them over steps", len(list), MaxProducts)
	}
	ps := make([]Product, 0, len(list))
	for i, v := range list {
		p, err := productEntry(v)
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
		m := productLine.FindStringSubmatch(line)
		if m == nil || strings.HasPrefix(line, "-") || strings.HasPrefix(line, "[") {
			return nil, false
		}
		ps = append(ps, Product{Product: m[1], Version: m[2]})
	}
	return ps, len(ps) > 0
}

func productEntry(v any) (Product, error) {
	switch v := v.(type) {
	case string:
		m := productLine.FindStringSubmatch(strings.TrimSpace(v))
		if m == nil {
			return Product{}, fmt.Errorf("%q is not product@version", v)
		}
		return Product{Product: m[1], Version: m[2]}, nil
	case map[string]any:
		var p Product
		for k, x := range v {
			if k == "metadata" {
				m, err := productMetadata(x)
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
			switch x := x.(type) {
			case string:
				*dst = strings.TrimSpace(x)
			case int, int64, uint64, float64, bool:
				*dst = fmt.Sprint(x) // version: 2 in YAML is a number
			default:
				return p, fmt.Errorf("%s is a %T, not a string", k, x)
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
	return Product{}, fmt.Errorf("is a %s, not an object or a product@version string", yamlKind(v))
}

// productMetadata takes a mapping, or a string holding a JSON object.
func productMetadata(x any) (map[string]any, error) {
	switch x := x.(type) {
	case string:
		m, err := ParseMetadata(x)
		if err != nil {
			return nil, fmt.Errorf("metadata %v", err)
		}
		return m, nil
	case map[string]any:
		// Through JSON, so the values are what ParseMetadata would give.
		b, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("metadata cannot be sent as JSON: %v", err)
		}
		return ParseMetadata(string(b))
	}
	return nil, fmt.Errorf("metadata is a %s, not an object", yamlKind(x))
}

// checkProducts refuses two entries that would record the same thing.
func checkProducts(ps []Product) ([]Product, error) {
	if len(ps) > MaxProducts {
		return nil, fmt.Errorf("lists %d products; the limit is %d per step (GitHub's secondary rate limit): split them over steps", len(ps), MaxProducts)
	}
	seen := map[[2]string]int{}
	for i, p := range ps {
		k := [2]string{p.Product, p.Environment}
		if j, dup := seen[k]; dup {
			return nil, fmt.Errorf("entries %d and %d are both %s%s: list each product once per environment", j+1, i+1, p.Product, inEnv(p.Environment))
		}
		seen[k] = i
	}
	return ps, nil
}

func inEnv(env string) string {
	if env == "" {
		return ""
	}
	return " in " + env
}

func yamlKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "list"
	case map[string]any:
		return "mapping"
	case bool:
		return "boolean"
	case int, int64, uint64, float64:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func yamlProblem(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return "it is not a list"
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}
