// Package rawjson checks JSON text and splits an object into its members
// in one pass, keeping every value as the text it was. encoding/json reads
// a value twice (once to check it, once to decode it), and once more to
// skip what a struct has no field for; the metadata input and Versioner's
// answer, which echoes it, can be 100 KB of which the action reads a few
// fields, and GitHub lists each deployment with some thirty fields of
// which the step reads six. The grammar accepted is exactly json.Valid's
// (a fuzz test holds them together).
package rawjson

import (
	"bytes"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// maxDepth is encoding/json's limit on nesting: deeper text is invalid.
const maxDepth = 10000

// Member is one name and value of an object, each the JSON text as
// written: Key with its quotes and escapes, Value without the space
// around it.
type Member struct {
	Key, Value []byte
}

// Name is the member's name decoded as encoding/json decodes it (escapes
// read, bytes that are not UTF-8 made U+FFFD).
func (m Member) Name() string {
	s, ok := String(m.Key)
	if !ok {
		return string(m.Key[1 : len(m.Key)-1]) // not reached: Object checked the key
	}
	return s
}

// Is reports whether the member's name is name, in any case, as
// encoding/json matches a name to a struct's field when none matches
// exactly.
func (m Member) Is(name string) bool {
	k := m.Key[1 : len(m.Key)-1]
	if len(k) < len(name) && ascii(name) {
		// An ASCII name's other cases are as long or longer (K for k,
		// ſ for s), an escape is longer than what it stands for, and a
		// byte that is not UTF-8 stands for U+FFFD, no case of a letter:
		// a shorter key cannot match. (Versioner's answer echoes
		// hundreds of keys, each asked whether it is preflight_status.)
		return false
	}
	if plain(k) {
		return bytes.EqualFold(k, []byte(name))
	}
	return strings.EqualFold(m.Name(), name)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// plain reports whether k, a string's text between its quotes, decodes to
// itself: no escape, and valid UTF-8.
func plain(k []byte) bool {
	return bytes.IndexByte(k, '\\') < 0 && utf8.Valid(k)
}

// plainString is plain for a string.
func plainString(k string) bool {
	return strings.IndexByte(k, '\\') < 0 && utf8.ValidString(k)
}

// Valid reports whether b is one JSON value, with space around it or not,
// as json.Valid does.
func Valid(b []byte) bool {
	_, _, ok := one(b)
	return ok
}

// one finds the one JSON value in b, space around it allowed: its start
// and end.
func one(b []byte) (start, end int, ok bool) {
	s := scanner{b: b}
	s.space()
	start = s.i
	if !s.value(0) {
		return 0, 0, false
	}
	end = s.i
	s.space()
	return start, end, s.i == len(b)
}

// Object reports whether b is one valid JSON object (space around it
// allowed), calling each for its members in order as it reads them: when
// Object returns false, each may have seen the members before the fault,
// which the caller then drops. The members' texts are slices of b.
func Object(b []byte, each func(Member)) bool {
	return object(b, members(b, each), nil)
}

// Within is Object, and more: the members of the value of each member
// named name (in any case, as Member.Is matches names), when that value
// is an object, go to inner as they are read, before each gets that
// member. Versioner's answer echoes the event's extra_metadata (up to
// 120 KB), of which the step reads one member: it is read once, not by
// Object and then again by the caller.
func Within(b []byte, name string, each, inner func(Member)) bool {
	in := members(b, inner)
	return object(b, members(b, each), func(k, kend int) member {
		if (Member{Key: b[k:kend]}).Is(name) {
			return in
		}
		return nil
	})
}

// members hands each the Members that object reads in b.
func members(b []byte, each func(Member)) member {
	return func(k, kend, v, end int) { each(Member{Key: b[k:kend], Value: b[v:end]}) }
}

// Members is Object for text held in a string: each member's name,
// decoded as Member.Name decodes it, and its value as a Value, which
// shares s's memory rather than copying it.
func Members(s string, each func(name string, v Value)) bool {
	var texts []string // the values' texts, side by side in blocks
	return object(bytesOf(s), func(k, kend, v, end int) {
		name := s[k+1 : kend-1]
		if !plainString(name) {
			name = Member{Key: []byte(s[k:kend])}.Name()
		}
		if len(texts) == cap(texts) {
			texts = make([]string, 0, min(2*cap(texts)+8, 256))
		}
		texts = append(texts, s[v:end])
		each(name, Value{&texts[len(texts)-1]})
	}, nil)
}

// bytesOf is s's bytes, not copied, for the scanner, which only reads
// them (a string's bytes must never change): 100 KB of metadata is read
// where it is, and its values are slices of s.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// object reads an object, handing each member's key (b[k:kend], quotes
// included) and value (b[v:end]) to each as it reads them; open, when not
// nil, as members says.
func object(b []byte, each member, open func(k, kend int) member) bool {
	s := scanner{b: b}
	s.space()
	if s.i >= len(b) || b[s.i] != '{' || !s.members(1, each, open) {
		return false
	}
	s.space()
	return s.i == len(b)
}

// member is handed each member of an object as it is read: its key
// (b[k:kend], quotes included) and value (b[v:end]).
type member func(k, kend, v, end int)

// members reads an object (s.i at its '{'), the depth-th level of
// nesting, handing each of its members to each once read. When open is
// not nil and returns a function for a member's key, and the member's
// value is an object, that object's members go to the function as they
// are read (then the member itself to each): the caller need not read
// the value's text again to see them.
func (s *scanner) members(depth int, each member, open func(k, kend int) member) bool {
	if depth > maxDepth {
		return false
	}
	b := s.b
	s.i++
	s.space()
	if s.i < len(b) && b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		k := s.i
		if !s.str() {
			return false
		}
		kend := s.i
		s.space()
		if s.i >= len(b) || b[s.i] != ':' {
			return false
		}
		s.i++
		s.space()
		v := s.i
		var inner member
		if open != nil && s.i < len(b) && b[s.i] == '{' {
			inner = open(k, kend)
		}
		if inner != nil {
			if !s.members(depth+1, inner, nil) {
				return false
			}
		} else if !s.value(depth) {
			return false
		}
		each(k, kend, v, s.i)
		s.space()
		if s.i >= len(b) {
			return false
		}
		switch b[s.i] {
		case '}':
			s.i++
			return true
		case ',':
			s.i++
			s.space()
		default:
			return false
		}
	}
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value reads one value starting at s.i (no space before it), nested in
// depth containers.
func (s *scanner) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == '{' || c == '[':
		return s.container(depth + 1)
	case c == '-' || ('0' <= c && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return false
}

// container reads an object or an array, the depth-th level of nesting.
func (s *scanner) container(depth int) bool {
	if depth > maxDepth {
		return false
	}
	obj := s.b[s.i] == '{'
	end := byte(']')
	if obj {
		end = '}'
	}
	s.i++
	s.space()
	if s.i < len(s.b) && s.b[s.i] == end {
		s.i++
		return true
	}
	for {
		if obj {
			if s.i >= len(s.b) || s.b[s.i] != '"' || !s.str() {
				return false
			}
			s.space()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return false
			}
			s.i++
			s.space()
		}
		if !s.value(depth) {
			return false
		}
		s.space()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case end:
			s.i++
			return true
		case ',':
			s.i++
			s.space()
		default:
			return false
		}
	}
}

// str reads a string: its quotes, and between them no control character
// and only JSON's escapes. Bytes that are not UTF-8 are allowed, as
// json.Valid allows them.
func (s *scanner) str() bool {
	b := s.b
	if s.i >= len(b) || b[s.i] != '"' {
		return false
	}
	i := s.i + 1
	for {
		for i < len(b) && plainByte[b[i]] {
			i++
		}
		if i >= len(b) {
			return false
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return true
		case c == '\\':
			n := escape(b, i)
			if n == 0 {
				return false
			}
			i += n
		default: // a control character
			return false
		}
	}
}

// plainByte is true for the bytes a string holds as they are: not the
// quote, the backslash, or a control character.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escape returns the length of the escape at b[i] (a backslash), or 0
// when it is not one of JSON's.
func escape(b []byte, i int) int {
	if i+1 >= len(b) {
		return 0
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if i+6 > len(b) {
			return 0
		}
		for _, h := range b[i+2 : i+6] {
			if !hex(h) {
				return 0
			}
		}
		return 6
	}
	return 0
}

func hex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	b, i := s.b, s.i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	s.i = i
	return true
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}
