package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ParseMetadata decodes the metadata input: empty, or one JSON object.
// Numbers keep their exact text (json.Number), so 12345678901234567890
// reaches Versioner as written.
func ParseMetadata(s string) (map[string]any, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > MaxMetadataBytes {
		return nil, fmt.Errorf("is %d bytes; the limit is %d (%d KiB): keep metadata to facts about the event", len(s), MaxMetadataBytes, MaxMetadataBytes>>10)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("is not valid JSON (%s): give a JSON object such as {\"ticket\": \"OPS-1\"}", jsonProblem(s, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("holds more than one JSON value: give a single JSON object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("is a JSON %s, not an object: give a JSON object such as {\"ticket\": \"OPS-1\"}", jsonKind(v))
	}
	return m, nil
}

func jsonProblem(s string, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v at byte %d", se, se.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "it ends too soon"
	}
	return err.Error()
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
