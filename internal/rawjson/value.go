package rawjson

import (
	"unicode/utf8"
)

// Value is the text of one JSON value that this package has checked, as
// written (no space around it). Only this package makes one, so whoever
// holds a Value may write it out as it is, without reading it again: the
// metadata input is checked once, when it is parsed, and not again when
// the request that carries it is written. Its text is a string, shared
// with the text it was read from and never changed. The zero Value is
// null.
//
// A Value holds its text through a pointer, so that storing one in an
// interface (a map[string]any of metadata) allocates nothing: Members
// keeps the texts of an object's values side by side, a few allocations
// for hundreds of values rather than one each.
type Value struct{ text *string }

// value is a Value of text, on its own.
func value(text string) Value { return Value{&text} }

// Parse returns s's one JSON value (space around it allowed) as a Value,
// or false when s is not one JSON value.
func Parse(s string) (Value, bool) {
	start, end, ok := one(bytesOf(s))
	if !ok {
		return Value{}, false
	}
	return value(s[start:end]), true
}

// String is the value's JSON text.
func (v Value) String() string {
	if v.text == nil {
		return "null"
	}
	return *v.text
}

// MarshalJSON returns the value's text, which encoding/json then checks
// and compacts as it does a json.RawMessage.
func (v Value) MarshalJSON() ([]byte, error) { return []byte(v.String()), nil }

// Equal reports whether v and w are the same text.
func (v Value) Equal(w Value) bool { return v.String() == w.String() }

// ValidUTF8 is v with each byte that is not UTF-8 replaced by U+FFFD, as
// encoding/json's decoder does in the strings it decodes (in JSON text
// such a byte can only be in a string, so the result is JSON still).
// Valid text, nearly always, is returned as it is.
func (v Value) ValidUTF8() Value {
	if v.text == nil || utf8.ValidString(*v.text) {
		return v
	}
	out := make([]byte, 0, len(*v.text)+8)
	for s := *v.text; len(s) > 0; {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, s[:n]...)
		}
		s = s[n:]
	}
	return value(string(out))
}
