package rawjson

import "encoding/json"

// Array reports whether b is one valid JSON array (space around it
// allowed), calling each for its elements in order as it reads them, each
// the element's text without the space around it (a slice of b). As with
// Object, when Array returns false each may have seen the elements before
// the fault.
func Array(b []byte, each func([]byte)) bool {
	s := scanner{b: b}
	s.space()
	if s.i >= len(b) || b[s.i] != '[' {
		return false
	}
	s.i++
	s.space()
	if s.i < len(b) && b[s.i] == ']' {
		s.i++
	} else {
		for {
			v := s.i
			if !s.value(1) {
				return false
			}
			each(b[v:s.i])
			s.space()
			if s.i >= len(b) {
				return false
			}
			if b[s.i] == ']' {
				s.i++
				break
			}
			if b[s.i] != ',' {
				return false
			}
			s.i++
			s.space()
		}
	}
	s.space()
	return s.i == len(b)
}

// String decodes v, the text of a valid JSON value, as encoding/json
// decodes a string (escapes read, bytes that are not UTF-8 made U+FFFD);
// ok is false when v is not a string.
func String(v []byte) (s string, ok bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	if t := v[1 : len(v)-1]; plain(t) {
		return string(t), true
	}
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}
