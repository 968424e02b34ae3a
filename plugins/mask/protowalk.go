package main

import (
	"fmt"

	"github.com/weirstream/weir/sdk/go/pbwire"
)

// walk appends message b, rewritten, to dst, and reports whether the
// rewrite differs from b; when it does not, it appends nothing and the
// caller keeps b's bytes. s is b's state (protoplan.go). Unchanged fields
// are not copied one by one: the span since the last change is copied
// whole when the next change comes, or by the caller. Every occurrence of
// a field is visited: a repeated field's elements, a singular field
// written twice (readers keep the last), a message written twice (readers
// merge them).
//
// A field with a one-byte tag and a one- or two-byte length (or a one-byte
// varint) is read and decided with no call: in Go's wasm backend a call
// and a branch cost more than the work of most fields.
func (m *masker) walk(dst, b []byte, s int32, depth int) ([]byte, bool, error) {
	if depth > maxProtoDepth {
		return nil, false, fmt.Errorf("protobuf record nested deeper than %d messages", maxProtoDepth)
	}
	st := &m.pb.states[s]
	prev, changed := 0, false // b[prev:] is not written yet
	for i := 0; i < len(b); {
		// fastField, inlined by hand
		var f pbwire.Field
		var a action
		if c := b[i]; c < 0x80 && i+1 < len(b) && c&7 == pbwire.Bytes {
			n, v := int(b[i+1]), i+2
			if n >= 0x80 {
				n = -1 // a length of three bytes or more: pbwire.Next reads it
				if i+2 < len(b) && b[i+2] < 0x80 {
					n, v = int(b[i+1])&0x7f|int(b[i+2])<<7, i+3
				}
			}
			if n >= 0 && v+n <= len(b) {
				a = st.tags[c]
				f = pbwire.Field{Num: uint32(c >> 3), Type: pbwire.Bytes, Start: i, ValStart: v, ValEnd: v + n, End: v + n}
			}
		} else if c < 0x80 && i+1 < len(b) {
			f, a = fastField(st, b, i)
		}
		if a.kind == actSlow {
			var err error
			if f, err = pbwire.Next(b, i); err != nil {
				return nil, false, fmt.Errorf("payload is not protobuf: %w", err)
			}
			a = m.pb.decide(s, f.Num, f.Type)
		}
		i = f.End
		switch a.kind {
		case actKeep:
		case actDrop:
			dst, prev, changed = append(dst, b[prev:f.Start]...), f.End, true
		case actMask:
			dst = m.maskProtoField(append(dst, b[prev:f.Start]...), b, f, a.rule)
			prev, changed = f.End, true
		case actMessage:
			var rewrote bool
			var err error
			if dst, rewrote, err = m.message(dst, b[prev:f.Start], b, f, a.next, depth); err != nil {
				return nil, false, err
			}
			if rewrote {
				prev, changed = f.End, true
			}
		default:
			return nil, false, m.refusal(st, f, a)
		}
	}
	if changed {
		dst = append(dst, b[prev:]...)
	}
	return dst, changed, nil
}

// fastField reads the field at b[i:] and its action from st's table if
// its tag is one byte and its varint or length at most two; otherwise the
// action is actSlow and pbwire.Next reads it. It reads what pbwire.Next
// reads (FuzzProtoPlanMatchesReference).
func fastField(st *state, b []byte, i int) (pbwire.Field, action) {
	var f pbwire.Field
	c := b[i]
	if c >= 0x80 || i+1 >= len(b) {
		return f, action{}
	}
	a := st.tags[c]
	f = pbwire.Field{Num: uint32(c >> 3), Type: int(c & 7), Start: i, ValStart: i + 1}
	switch f.Type {
	case pbwire.Bytes:
		n, v := int(b[i+1]), i+2
		if n >= 0x80 {
			if i+2 >= len(b) || b[i+2] >= 0x80 {
				return f, action{}
			}
			n, v = n&0x7f|int(b[i+2])<<7, i+3
		}
		f.ValStart, f.End = v, v+n
	case pbwire.Varint:
		if b[i+1] >= 0x80 {
			return f, action{}
		}
		f.End = i + 2
	case pbwire.Fixed64:
		f.End = i + 9
	default: // Fixed32, or a wire type the table has as actSlow
		f.End = i + 5
	}
	if f.End > len(b) {
		return f, action{}
	}
	f.ValEnd = f.End
	return f, a
}

// refusal is the error of a field a refuses.
func (m *masker) refusal(st *state, f pbwire.Field, a action) error {
	switch a.kind {
	case actUnknown:
		return fmt.Errorf("field %d of %s is not in the bound schema: refused, since it could carry PII the mask cannot see (update the schema, or set unknown_fields: drop)", f.Num, m.pb.types[st.t].name)
	case actWire:
		return fmt.Errorf("field %d of %s has wire type %d, declared %d: refused, readers would keep it as an unknown field", f.Num, m.pb.types[st.t].name, f.Type, m.pb.types[st.t].field(f.Num).wire)
	case actNotText:
		return fmt.Errorf("field %d (masked by %s) has wire type %d, not length-delimited: refused, it cannot be masked", f.Num, m.rules[a.rule-1].Path, f.Type)
	}
	ft := m.pb.types[st.t].field(f.Num)
	return fmt.Errorf("field %d of type %s has wire type %d, not length-delimited", f.Num, m.pb.types[ft.child].name, f.Type)
}

// maskProtoField appends field f, a text, masked by rule.
func (m *masker) maskProtoField(dst, b []byte, f pbwire.Field, rule int32) []byte {
	r := &m.rules[rule-1]
	m.text = m.maskText(m.text[:0], r.With, r, b[f.ValStart:f.ValEnd])
	return appendBytesField(dst, f.Num, m.text)
}

// message appends pre and the message field f rewritten, if its content
// changes or its tag and length are not in their shortest form (a
// rewritten message is written in it). The content is walked into dst
// first; pre, the tag and the length are then inserted before it.
func (m *masker) message(dst, pre, b []byte, f pbwire.Field, s int32, depth int) ([]byte, bool, error) {
	content := len(dst)
	dst, changed, err := m.walk(dst, b[f.ValStart:f.ValEnd], s, depth+1)
	if err != nil {
		return nil, false, err
	}
	tag := uint64(f.Num)<<3 | pbwire.Bytes
	if !changed {
		if f.ValStart-f.Start == varintLen(tag)+varintLen(uint64(f.ValEnd-f.ValStart)) {
			return dst, false, nil
		}
		dst = append(dst, b[f.ValStart:f.ValEnd]...)
	}
	head := pbwire.AppendVarint(append(m.head[:0], pre...), tag)
	m.head = pbwire.AppendVarint(head, uint64(len(dst)-content))
	return insertSpan(dst, content, m.head), true, nil
}

// insertSpan inserts s into dst at i.
func insertSpan(dst []byte, i int, s []byte) []byte {
	if len(s) == 0 {
		return dst
	}
	if i == len(dst) {
		return append(dst, s...)
	}
	n := len(dst)
	dst = append(dst, s...) // grows dst by len(s)
	copy(dst[i+len(s):], dst[i:n])
	copy(dst[i:], s)
	return dst
}

func varintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func appendBytesField(dst []byte, num uint32, content []byte) []byte {
	dst = pbwire.AppendVarint(dst, uint64(num)<<3|pbwire.Bytes)
	dst = pbwire.AppendVarint(dst, uint64(len(content)))
	return append(dst, content...)
}
