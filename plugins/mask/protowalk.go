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
// The common field is read and decided with no call and few branches: in
// Go's wasm backend each costs more than the work of most fields.
func (m *masker) walk(dst, b []byte, s int32, depth int) ([]byte, bool, error) {
	if depth > maxProtoDepth {
		return nil, false, fmt.Errorf("protobuf record nested deeper than %d messages", maxProtoDepth)
	}
	st := &m.pb.states[s]
	prev, changed := 0, false // b[prev:] is not written yet
	for i := 0; i < len(b); {
		// A field with a one-byte tag, decided by st.tags, and a one- or
		// two-byte length (or a one-byte varint) is read here, as
		// pbwire.Next reads it; a kept one costs no more.
		switch st.keep[b[i]] { // a kept field with a short length or value: passed over
		case pbwire.Bytes + 1:
			if i+1 < len(b) && b[i+1] < 0x80 && int(b[i+1]) <= len(b)-i-2 {
				i += 2 + int(b[i+1])
				continue
			}
		case pbwire.Varint + 1:
			if i+1 < len(b) && b[i+1] < 0x80 {
				i += 2
				continue
			}
		case pbwire.Fixed64 + 1:
			if i+9 <= len(b) {
				i += 9
				continue
			}
		case pbwire.Fixed32 + 1:
			if i+5 <= len(b) {
				i += 5
				continue
			}
		}
		var f pbwire.Field
		a := st.tags[b[i]] // actSlow for a tag of more bytes
		if a.kind != actSlow && i+1 < len(b) {
			c, v, end := b[i], i+1, -1
			switch c & 7 {
			case pbwire.Bytes:
				n := int(b[i+1])
				v = i + 2
				if n >= 0x80 {
					n = -len(b) - 8 // a length of three bytes or more: end < 0
					if i+2 < len(b) && b[i+2] < 0x80 {
						n, v = int(b[i+1])&0x7f|int(b[i+2])<<7, i+3
					}
				}
				end = v + n
			case pbwire.Varint:
				if b[i+1] < 0x80 {
					end = i + 2
				}
			case pbwire.Fixed64:
				end = i + 9
			default: // Fixed32, the only other wire type the table decides
				end = i + 5
			}
			switch {
			case end < 0 || end > len(b):
				a = action{} // pbwire.Next reads it, or refuses it
			case a.kind == actKeep:
				i = end
				continue
			default:
				f = pbwire.Field{Num: uint32(c >> 3), Type: int(c & 7), Start: i, ValStart: v, ValEnd: end, End: end}
			}
		} else {
			a = action{}
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
