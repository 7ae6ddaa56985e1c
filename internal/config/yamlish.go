package config

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The products input is read by a small parser of our own rather than
// gopkg.in/yaml.v3, which made the binary 242 KB bigger (this parser,
// about 50 KB) in an image that must stay under 8 MB (#14). It reads the
// YAML the input needs, and reads it as yaml.v3 did (FuzzProducts holds
// the two together):
//
//   - block sequences (- x) and block mappings (key: value) by indentation,
//     spaces only;
//   - flow sequences [a, b] and flow mappings {k: v}, over several lines if
//     need be, so JSON is read too;
//   - plain scalars on one line, resolved as yaml.v3 resolves them (null,
//     bool, int, float, else string);
//   - 'single-' and "double-quoted" scalars on one line, with YAML's escapes;
//   - # comments, a leading ---.
//
// Anything else is refused with its line and what is not supported, never
// read some other way: anchors, aliases, tags, block scalars (| and >),
// values or keys over several lines, complex keys (?), documents after the
// first, directives, and tabs outside quotes (inside [ ] and { } they may
// separate values, as in JSON).

// yNode is one node of the tree, shaped like yaml.v3's Node: a mapping's
// content is its keys and values in turn.
type yNode struct {
	kind    yKind
	tag     string // a scalar's resolved tag: !!null, !!bool, !!int, !!float or !!str
	value   string
	content []*yNode
}

type yKind int

const (
	yScalar yKind = iota
	ySequence
	yMapping
)

// yError is a problem with the text, at a line. unsupported marks YAML
// that is valid but outside what the parser reads.
type yError struct {
	line        int
	msg         string
	unsupported bool
}

func (e *yError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// yParser reads src (line ends normalised to \n) from pos.
type yParser struct {
	src       string
	pos       int
	line      int  // 1-based line of pos
	lineStart int  // offset of the start of pos's line
	flow      int  // depth of [ ] and { }
	depth     int  // of collections, up to maxDepth
	inBlock   bool // the [ ] or { } being read is inside a block collection
	started   bool // past the first content: a --- or ... line now starts another document
}

// maxDepth bounds nesting, which products never need deep, so that no
// input costs much time or stack.
const maxDepth = 64

// enter counts a collection's nesting.
func (p *yParser) enter() {
	if p.depth++; p.depth > maxDepth {
		p.unsupported("nesting deeper than %d lists and mappings is not supported", maxDepth)
	}
}

// parseYAML reads one document of the subset. The parser panics with a
// *yError at the first problem and this recovers it, so that the descent
// reads straight through without an error check at every step.
func parseYAML(s string) (n *yNode, err error) {
	p := &yParser{line: 1}
	if err := p.load(s); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			ye, ok := r.(*yError)
			if !ok {
				panic(r)
			}
			n, err = nil, ye
		}
	}()
	indent, ok := p.start()
	if !ok {
		return &yNode{kind: yScalar, tag: "!!null"}, nil
	}
	n = p.blockNode(-1, indent)
	if _, ok := p.nextContent(); ok {
		p.fail("did not find the end of the document: check the indentation")
	}
	return n, nil
}

// start moves to the first line with content, past blank lines,
// comments and one ---, and returns its indentation; ok is false if there
// is none.
func (p *yParser) start() (indent int, ok bool) {
	marker := 0 // the line of the ---
	for {
		rest := p.src[p.pos:]
		switch {
		case strings.HasPrefix(rest, "---") && p.blankAt(p.pos+3):
			if marker != 0 {
				p.unsupported("a second document (---) is not supported: give one list")
			}
			marker = p.line
			p.pos += 3
		case strings.HasPrefix(rest, "...") && p.blankAt(p.pos+3):
			p.unsupported("a document end marker (...) is not supported")
		}
		for p.peek() == ' ' {
			p.pos++
		}
		if c := p.peek(); c != '\n' && c != 0 && c != '#' {
			if p.line == marker {
				p.unsupported("content on the --- line is not supported: start it on the next line")
			}
			if c == '\t' {
				p.unsupported("tabs are not supported as indentation: indent with spaces")
			}
			p.started = true
			return p.col(), true
		}
		if !p.endOfLine() {
			p.unexpected()
		}
		if p.peek() == 0 {
			return 0, false
		}
		p.newline()
	}
}

// load checks the characters and normalises line ends.
func (p *yParser) load(s string) error {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	line := 1
	if !utf8.ValidString(s) {
		return &yError{line: 1, msg: "is not valid UTF-8"}
	}
	for _, r := range s {
		switch {
		case r == '\n':
			line++
		case r == '\r':
			return &yError{line: line, msg: "a carriage return without a line feed is not supported", unsupported: true}
		case r == 0x85 || r == 0x2028 || r == 0x2029:
			return &yError{line: line, msg: fmt.Sprintf("the line break U+%04X is not supported: use \\n", r), unsupported: true}
		case r == 0xFEFF:
			return &yError{line: line, msg: "a byte order mark (U+FEFF) is not supported", unsupported: true}
		case r == '\t', r >= 0x20 && r <= 0x7E, r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000:
		default:
			return &yError{line: line, msg: fmt.Sprintf("the control character U+%04X is not allowed", r)}
		}
	}
	p.src = s
	return nil
}

// fail stops at text that is not YAML.
func (p *yParser) fail(format string, a ...any) {
	panic(&yError{line: p.line, msg: fmt.Sprintf(format, a...)})
}

// unsupported stops at YAML outside the subset.
func (p *yParser) unsupported(format string, a ...any) {
	panic(&yError{line: p.line, msg: fmt.Sprintf(format, a...), unsupported: true})
}

// peek is the byte at pos, 0 at the end.
func (p *yParser) peek() byte { return p.at(p.pos) }

func (p *yParser) at(i int) byte {
	if i < len(p.src) {
		return p.src[i]
	}
	return 0
}

// blankAt: a space, a tab, a line end or the end at i.
func (p *yParser) blankAt(i int) bool {
	c := p.at(i)
	return c == ' ' || c == '\t' || c == '\n' || c == 0
}

// col is pos's column, in bytes: only spaces and "- " come before a
// node's start on its line, so bytes are characters there.
func (p *yParser) col() int { return p.pos - p.lineStart }

// skipSpace skips spaces on the line; a tab is refused outside [ ] and { }.
func (p *yParser) skipSpace() {
	for {
		switch p.peek() {
		case ' ':
		case '\t':
			if p.flow == 0 {
				p.unsupported("tabs are not supported outside quotes: indent and separate with spaces")
			}
		default:
			return
		}
		p.pos++
	}
}

// endOfLine skips spaces and a comment, and says whether the line ends
// there. A comment needs a space before it, as in YAML.
func (p *yParser) endOfLine() bool {
	p.skipSpace()
	if p.peek() == '#' && (p.pos == p.lineStart || p.src[p.pos-1] == ' ' || p.src[p.pos-1] == '\t') {
		for p.peek() != '\n' && p.peek() != 0 {
			p.pos++
		}
	}
	return p.peek() == '\n' || p.peek() == 0
}

// newline moves past the \n at pos, and refuses a document marker at the
// start of the new line.
func (p *yParser) newline() {
	p.pos++
	p.line++
	p.lineStart = p.pos
	rest := p.src[p.pos:]
	if p.started && (strings.HasPrefix(rest, "---") || strings.HasPrefix(rest, "...")) && p.blankAt(p.pos+3) {
		p.unsupported("a second document (%s) is not supported: give one list", rest[:3])
	}
}

// nextContent moves from the end of a line to the first character of
// the next line with content, and returns its indentation. ok is false at
// the end of the text. Lines of spaces and comments are skipped.
func (p *yParser) nextContent() (indent int, ok bool) {
	for {
		if !p.endOfLine() {
			p.unexpected()
		}
		if p.peek() == 0 {
			return 0, false
		}
		p.newline()
		for p.peek() == ' ' {
			p.pos++
		}
		if p.peek() == '\t' {
			p.unsupported("tabs are not supported as indentation: indent with spaces")
		}
		if p.peek() != '\n' && p.peek() != 0 && p.peek() != '#' {
			return p.col(), true
		}
	}
}

// unexpected refuses the character at pos.
func (p *yParser) unexpected() {
	if p.peek() == '#' {
		p.unsupported("a comment (#) needs a space before it")
	}
	p.fail("unexpected %s", p.what())
}

// what names the character at pos for an error.
func (p *yParser) what() string {
	switch c := p.peek(); c {
	case 0:
		return "end of the text"
	case '\n':
		return "end of the line"
	default:
		r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
		return fmt.Sprintf("%q", r)
	}
}

// isEntry: a block sequence entry (- and a blank) at pos.
func (p *yParser) isEntry() bool { return p.peek() == '-' && p.blankAt(p.pos+1) }

// blockNode reads the node at pos, at column indent, inside a block
// collection at column parent.
func (p *yParser) blockNode(parent, indent int) *yNode {
	if p.isEntry() {
		return p.blockSequence(indent)
	}
	if c := p.peek(); c == '[' || c == '{' {
		p.inBlock = parent >= 0
		n := p.flowNode()
		p.skipSpace()
		if p.peek() == ':' {
			p.unsupported("a list or mapping as a key is not supported")
		}
		return n
	}
	key, isKey := p.blockScalar()
	if isKey {
		return p.blockMapping(indent, key)
	}
	p.endScalar(parent)
	return key
}

// blockScalar reads a scalar in block context, and whether a ': ' after
// it makes it a key.
func (p *yParser) blockScalar() (*yNode, bool) {
	start := p.pos
	n := p.scalar()
	p.skipSpace()
	if p.peek() == ':' && p.blankAt(p.pos+1) {
		if p.pos-start > 1000 {
			p.unsupported("a key longer than 1000 characters is not supported")
		}
		p.pos++
		return n, true
	}
	return n, false
}

// endScalar checks that a scalar value is all on its line: a line after
// it indented past parent would continue it.
func (p *yParser) endScalar(parent int) {
	save := *p
	indent, ok := p.nextContent()
	if ok && indent > parent {
		p.unsupported("a value that spans lines is not supported: put it on one line")
	}
	*p = save
}

// blockSequence reads a list whose entries' - are at column indent.
func (p *yParser) blockSequence(indent int) *yNode {
	p.enter()
	defer func() { p.depth-- }()
	n := &yNode{kind: ySequence, tag: "!!seq"}
	for {
		p.pos++ // the -
		p.skipSpace()
		var item *yNode
		if p.endOfLine() {
			save := *p
			if next, ok := p.nextContent(); ok && next > indent {
				item = p.blockNode(indent, next)
			} else {
				*p = save
				item = &yNode{kind: yScalar, tag: "!!null"}
			}
		} else {
			item = p.blockNode(indent, p.col())
		}
		n.content = append(n.content, item)
		save := *p
		next, ok := p.nextContent()
		if !ok || next < indent || next == indent && !p.isEntry() {
			*p = save
			return n
		}
		if next > indent {
			p.fail("unexpected indentation: check the indentation of the list")
		}
	}
}

// blockMapping reads a mapping at column indent whose first key is read.
func (p *yParser) blockMapping(indent int, key *yNode) *yNode {
	p.enter()
	defer func() { p.depth-- }()
	n := &yNode{kind: yMapping, tag: "!!map"}
	for {
		n.content = append(n.content, key, p.blockValue(indent))
		save := *p
		next, ok := p.nextContent()
		if !ok || next < indent {
			*p = save
			return n
		}
		if next > indent {
			p.fail("unexpected indentation: check the indentation of the mapping")
		}
		if p.isEntry() || p.peek() == '[' || p.peek() == '{' {
			p.fail("expected a key: value, found %s", p.what())
		}
		var isKey bool
		key, isKey = p.blockScalar()
		if !isKey {
			p.fail("expected a key: value, found a value without a key")
		}
	}
}

// blockValue reads the value after a key's ':'.
func (p *yParser) blockValue(indent int) *yNode {
	p.skipSpace()
	if p.endOfLine() {
		save := *p
		next, ok := p.nextContent()
		switch {
		case ok && next > indent:
			return p.blockNode(indent, next)
		case ok && next == indent && p.isEntry():
			return p.blockSequence(indent)
		}
		*p = save
		return &yNode{kind: yScalar, tag: "!!null"}
	}
	if p.isEntry() {
		p.fail("a list (- ) cannot start on the line of its key: start it on the next line")
	}
	if c := p.peek(); c == '[' || c == '{' {
		p.inBlock = true
		return p.flowNode()
	}
	v, isKey := p.blockScalar()
	if isKey {
		p.fail("a mapping cannot start on the line of its key: start it on the next line")
	}
	p.endScalar(indent)
	return v
}
