package schema

import (
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Check validates a JSON record against the projection's type where it
// lies, with the same acceptance and the same error (class, field path)
// as JSONToBinary, and appends to dst the values at the declared paths,
// in document order, none inside another.
//
// It returns the bytes the values were found in: doc itself; or, for a
// valid record in a form the compiled plan leaves to protojson (an
// escaped key, an integer with an exponent, …), its canonical JSON
// (ToJSON), in which the values are found instead. A valid record whose
// canonical form the plan does not take either (nesting at MaxDepth)
// fails as bad_input, saying so.
func (p *Projection) Check(doc []byte, dst []Found) ([]byte, []Found, error) {
	c := p.codec
	if err := c.checkSize(doc); err != nil {
		return nil, dst, err
	}
	found, ok := p.scan(doc, dst)
	if ok {
		return doc, found, nil
	}
	m, err := c.FromJSON(doc)
	if err == nil {
		err = c.Validate(m)
	}
	if err != nil {
		return nil, dst, err
	}
	canon, err := c.ToJSON(m)
	if err != nil {
		return nil, dst, c.badInput("re-encoding a valid record: %v", err)
	}
	if found, ok = p.scan(canon, dst); ok {
		return canon, found, nil
	}
	return nil, dst, c.badInput("the record is valid, but too deeply nested for field projection (max_depth %d)", c.limits.MaxDepth)
}

// scan runs the plan over doc, checking it and finding the paths' values.
func (p *Projection) scan(doc []byte, dst []Found) ([]Found, bool) {
	c := p.codec
	t := c.pool.Get().(*transcoder)
	defer c.pool.Put(t)
	j := &t.j
	j.out, j.maxDepth = j.out[:0], c.limits.MaxDepth
	j.node, j.found, j.skip = p.root, dst, true
	ok := j.run(c.plan, doc)
	found := j.found
	j.node, j.found, j.in, j.skip = nil, nil, nil, false
	if !ok {
		return dst[:len(dst):len(dst)], false
	}
	return found, true
}

// CheckValue reports whether raw, one JSON value written where value ref
// was found, keeps the record valid: its field's type and rules, as the
// plan checks them in a whole record (null leaves a field unset: valid
// unless the field must be set). A false is not an error: the caller
// checks the whole record the plain way, which names what breaks.
func (p *Projection) CheckValue(ref int, raw []byte) bool {
	if ref < 0 || ref >= len(p.refs) {
		return false
	}
	r := &p.refs[ref]
	c := p.codec
	t := c.pool.Get().(*transcoder)
	defer c.pool.Put(t)
	j := &t.j
	j.out, j.maxDepth, j.node = j.out[:0], c.limits.MaxDepth, nil
	j.in, j.pos, j.depth, j.skip = raw, 0, r.depth+1, true
	var ok bool
	if r.elem {
		ok = j.peek() != 'n' && j.singular(r.f, true)
	} else {
		ok = j.member(r.f)
	}
	ok = ok && j.end()
	j.in, j.skip = nil, false
	return ok
}

// CheckText is CheckValue for a JSON string holding text, which must be
// valid UTF-8: a string field's rules are checked on the text itself; a
// field of another kind (bytes, enum, a 64-bit integer, a timestamp: also
// strings in JSON) on the quoted text.
func (p *Projection) CheckText(ref int, text []byte) bool {
	if ref < 0 || ref >= len(p.refs) || !utf8.Valid(text) {
		return false
	}
	r := &p.refs[ref]
	if f := r.f; f.kind == protoreflect.StringKind && !f.isMap() && (r.elem || !f.list) {
		return f.okString(text)
	}
	return p.CheckValue(ref, quote(text))
}

// quote is text as a JSON string (valid UTF-8 in).
func quote(text []byte) []byte {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, len(text)+2)
	out = append(out, '"')
	for _, c := range text {
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c < 0x20:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			out = append(out, c)
		}
	}
	return append(out, '"')
}

// Path is the path value ref was found at, as declared, with proto
// names: "customer.email", "items[*].sku".
func (p *Projection) Path(ref int) string {
	if ref < 0 || ref >= len(p.refs) {
		return ""
	}
	return p.refs[ref].path
}

// CheckJSON validates a JSON record of the codec's type without
// converting it: JSONToBinary's acceptance and errors, nothing written.
func (c *Codec) CheckJSON(doc []byte) error {
	if err := c.checkSize(doc); err != nil {
		return err
	}
	if c.plan != nil {
		t := c.pool.Get().(*transcoder)
		t.j.out, t.j.maxDepth, t.j.node, t.j.skip = t.j.out[:0], c.limits.MaxDepth, nil, true
		ok := t.j.run(c.plan, doc)
		t.j.in, t.j.skip = nil, false
		c.pool.Put(t)
		if ok {
			return nil
		}
	}
	m, err := c.FromJSON(doc)
	if err != nil {
		return err
	}
	return c.Validate(m)
}
