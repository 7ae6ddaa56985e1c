package config

import "strings"

// flowNode reads [ ... ] or { ... } from pos, over lines if need be.
func (p *yParser) flowNode() *yNode {
	open := p.peek()
	n := &yNode{kind: ySequence, tag: "!!seq"}
	closer := byte(']')
	if open == '{' {
		n.kind, n.tag, closer = yMapping, "!!map", '}'
	}
	p.enter()
	p.flow++
	p.pos++
	for {
		p.skipFlowSpace()
		if p.peek() == closer {
			break
		}
		if n.kind == yMapping {
			n.content = append(n.content, p.flowKey())
			p.skipFlowSpace()
			if c := p.peek(); c == ',' || c == '}' {
				n.content = append(n.content, &yNode{kind: yScalar, tag: "!!null"})
			} else {
				n.content = append(n.content, p.flowItem())
			}
		} else {
			n.content = append(n.content, p.flowItem())
			p.skipSpace()
			if p.peek() == ':' {
				p.unsupported("a key: value inside [ ] is not supported: write {key: value}")
			}
		}
		p.skipFlowSpace()
		if p.peek() == closer {
			break
		}
		if p.peek() != ',' {
			p.fail("expected , or %c, found %s", closer, p.what())
		}
		p.pos++
	}
	p.pos++
	p.flow--
	p.depth--
	return n
}

// flowKey reads a key and its ':' on the same line.
func (p *yParser) flowKey() *yNode {
	switch p.peek() {
	case '[', '{':
		p.unsupported("a list or mapping as a key is not supported")
	case ',', '}', ':':
		p.fail("expected a key, found %s", p.what())
	}
	start := p.pos
	quoted := p.peek() == '"' || p.peek() == '\''
	k := p.scalar()
	p.skipSpace()
	if p.peek() != ':' || !quoted && !p.blankAt(p.pos+1) {
		p.unsupported("a key without ': value' is not supported inside { }: give each key a value, on the key's line")
	}
	if p.pos-start > 1000 {
		p.unsupported("a key longer than 1000 characters is not supported")
	}
	p.pos++
	return k
}

// flowItem reads a value inside [ ] or { }.
func (p *yParser) flowItem() *yNode {
	switch p.peek() {
	case '[', '{':
		return p.flowNode()
	case ',', ']', '}':
		p.unexpected()
	}
	quoted := p.peek() == '"' || p.peek() == '\''
	line := p.line
	n := p.scalar()
	if !quoted {
		// A plain value that ends its line goes on over the next, in
		// YAML: refuse that rather than read it differently.
		save := *p
		p.skipSpace()
		if p.peek() == '\n' && p.inBlock {
			p.tabAfterLine()
		}
		p.skipFlowSpace()
		if p.line != line && !strings.ContainsRune(",]}", rune(p.peek())) {
			p.unsupported("a value that spans lines is not supported: put it on one line")
		}
		*p = save
	}
	return n
}

// tabAfterLine refuses a tab that starts a line after a plain value that
// ends its line inside a block collection: yaml.v3 reads it as breaking
// the block's indentation, up to the next comment or value.
func (p *yParser) tabAfterLine() {
	for q := p.pos; q < len(p.src); q++ {
		switch p.src[q] {
		case '\t':
			p.unsupported("a tab after a value that ends its line is not supported: indent with spaces")
		case ' ', '\n':
		default:
			return
		}
	}
}

// skipFlowSpace skips spaces, tabs, comments and line ends inside [ ] or
// { }.
func (p *yParser) skipFlowSpace() {
	for {
		p.endOfLine()
		if p.peek() != '\n' {
			return
		}
		p.newline()
	}
}
