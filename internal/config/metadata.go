package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/deploytrack/deploytrack/internal/rawjson"
)

// ParseMetadata decodes the metadata input: empty, or one JSON object.
// Only its top level is decoded: each value stays the JSON text the user
// wrote (a rawjson.Value, a slice of s), so numbers keep their exact
// digits (12345678901234567890 reaches Versioner as written), and a large
// object costs a pass to check it rather than a tree of Go values built
// only to be encoded again: one pass (internal/rawjson) checks the text
// and splits its top level, and the request is then written with the
// values as they are, not checked again. Bytes that are not UTF-8 become
// U+FFFD, as a full decode made them.
func ParseMetadata(s string) (map[string]any, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > MaxMetadataBytes {
		return nil, fmt.Errorf("is %d bytes; the limit is %d (%d KiB), under the %d KiB the runner can pass any input: keep metadata to facts about the event",
			len(s), MaxMetadataBytes, MaxMetadataBytes>>10, RunnerMaxInputBytes>>10)
	}
	// One pass for a valid object (nearly always); encoding/json's
	// decoder, which reads the text twice, only to say what is wrong.
	// The members are kept in blocks until they are all known, so that
	// the map is made once at its size rather than grown (and its keys
	// hashed again) eight times on the way to 749.
	var blocks [][]member
	n := 0
	if rawjson.Members(s, func(name string, v rawjson.Value) {
		if len(blocks) == 0 || len(blocks[len(blocks)-1]) == cap(blocks[len(blocks)-1]) {
			blocks = append(blocks, make([]member, 0, 8<<min(len(blocks), 5))) // 8, 16, ... 256, 256, ...
		}
		blocks[len(blocks)-1] = append(blocks[len(blocks)-1], member{name, v})
		n++
	}) {
		m := make(map[string]any, n)
		for _, b := range blocks {
			for _, mb := range b {
				m[mb.name] = mb.v.ValidUTF8() // the last of a repeated name wins, as in encoding/json
			}
		}
		return m, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	var fields map[string]json.RawMessage
	err := dec.Decode(&fields)
	var te *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &te) {
		return nil, fmt.Errorf("is not valid JSON (%s): give a JSON object such as {\"ticket\": \"OPS-1\"}", jsonProblem(s, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("holds more than one JSON value: give a single JSON object")
	}
	if te != nil || fields == nil {
		return nil, fmt.Errorf("is a JSON %s, not an object: give a JSON object such as {\"ticket\": \"OPS-1\"}", jsonKind(te))
	}
	// Not reached: rawjson accepts what encoding/json accepts (a fuzz
	// test holds them together).
	return nil, errors.New("is not valid JSON: give a JSON object such as {\"ticket\": \"OPS-1\"}")
}

// member is one member of the metadata object, as ParseMetadata reads it.
type member struct {
	name string
	v    rawjson.Value
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

// jsonKind names what a value that is not an object is: te says, or it
// was null.
func jsonKind(te *json.UnmarshalTypeError) string {
	switch {
	case te == nil:
		return "null"
	case te.Value == "bool":
		return "boolean"
	}
	return te.Value
}
