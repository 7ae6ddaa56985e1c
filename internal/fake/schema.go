package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ValidateGitHubRequest checks body against the OpenAPI request schema of an operation in the
// extract at schemaPath (testdata/schemas/github-rest-deployments.json), so tests can prove that
// what the action sends is what GitHub accepts. operationID is the file's operationId, such as
// "repos/create-deployment" or "repos/create-deployment-status"; the part after the slash alone
// is accepted too. The error names the operation and every mismatch.
func ValidateGitHubRequest(schemaPath, operationID string, body []byte) error {
	return validateGitHub(schemaPath, operationID, "request", body)
}

// ValidateGitHubResponse checks body against the OpenAPI schema of the operation's response with
// the given status, to keep the fake GitHub (and any canned response) honest.
func ValidateGitHubResponse(schemaPath, operationID string, status int, body []byte) error {
	return validateGitHub(schemaPath, operationID, strconv.Itoa(status), body)
}

// compiled caches schemas by file, operation and part: tests validate many bodies.
var compiled sync.Map // string -> *jsonschema.Schema

func validateGitHub(schemaPath, operationID, part string, body []byte) error {
	what := operationID + " " + part
	if part != "request" {
		what = operationID + " response " + part
	}
	sch, err := operationSchema(schemaPath, operationID, part)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: body is not JSON: %w", what, err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s does not match GitHub's OpenAPI schema: %w", what, err)
	}
	return nil
}

func operationSchema(schemaPath, operationID, part string) (*jsonschema.Schema, error) {
	key := schemaPath + "\x00" + operationID + "\x00" + part
	if s, ok := compiled.Load(key); ok {
		return s.(*jsonschema.Schema), nil
	}
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			RequestBody *struct {
				Content map[string]struct{ Schema json.RawMessage }
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]struct{ Schema json.RawMessage }
			}
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("reading %s: %w", schemaPath, err)
	}
	var schema json.RawMessage
	found := false
	for _, ops := range doc.Paths {
		for _, op := range ops {
			if op.OperationID != operationID && !strings.HasSuffix(op.OperationID, "/"+operationID) {
				continue
			}
			found = true
			if part == "request" && op.RequestBody != nil {
				schema = op.RequestBody.Content["application/json"].Schema
			} else if resp, ok := op.Responses[part]; ok {
				schema = resp.Content["application/json"].Schema
			}
		}
	}
	switch {
	case !found:
		return nil, fmt.Errorf("no operation %q in %s", operationID, schemaPath)
	case schema == nil:
		return nil, fmt.Errorf("%s has no JSON schema for the %s", schemaPath, part)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	url := "mem:///" + strings.ReplaceAll(operationID, "/", "_") + "/" + part + ".json"
	if err := c.AddResource(url, fromOpenAPI(v)); err != nil {
		return nil, err
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compiling the %s schema: %w", part, err)
	}
	compiled.Store(key, sch)
	return sch, nil
}

// fromOpenAPI turns an OpenAPI 3.0 schema into JSON Schema: `nullable: true` becomes a type that
// allows null (an enum gains null too), and the `example` annotations are dropped.
func fromOpenAPI(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = fromOpenAPI(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			switch k {
			case "nullable", "example", "examples":
			case "properties": // keys here are property names, not keywords
				props := map[string]any{}
				for name, s := range x.(map[string]any) {
					props[name] = fromOpenAPI(s)
				}
				out[k] = props
			case "enum", "default", "required":
				out[k] = x // values, not schemas
			default:
				out[k] = fromOpenAPI(x)
			}
		}
		if v["nullable"] != true {
			return out
		}
		t, ok := out["type"].(string)
		if !ok {
			return map[string]any{"anyOf": []any{out, map[string]any{"type": "null"}}}
		}
		out["type"] = []any{t, "null"}
		if enum, ok := out["enum"].([]any); ok {
			out["enum"] = append(slices.Clip(enum), nil)
		}
		return out
	}
	return v
}
