package main

import (
	"fmt"

	"github.com/weirstream/weir/sdk/go/pbwire"
)

// walk appends message b, rewritten, to dst, and reports whether the
// rewrite differs from b; when it does not, it appends nothing and the
// caller keeps b's bytes. t is b's type id (noType when unbound or off the
// schema) and n its node in the configured paths (noNode when off them).
// Unchanged fields are not copied one by one: the span since the last
// change is copied whole when the next change comes, or by the caller.
// Every occurrence of a field is visited: a repeated field's elements, a
// singular field written twice (readers keep the last), a message written
// twice (readers merge them).
func (m *masker) walk(dst, b []byte, t, n int32, depth int) ([]byte, bool, error) {
	if depth > maxProtoDepth {
		return nil, false, fmt.Errorf("protobuf record nested deeper than %d messages", maxProtoDepth)
	}
	prev, changed := 0, false // b[prev:] is not written yet
	for i := 0; i < len(b); {
		f, err := pbwire.Next(b, i)
		if err != nil {
			return nil, false, fmt.Errorf("payload is not protobuf: %w", err)
		}
		i = f.End
		ft := &undeclared
		if t != noType {
			typ := &m.pb.types[t]
			if ft = typ.field(f.Num); ft == nil {
				if !m.pb.dropUnknown {
					return nil, false, fmt.Errorf("field %d of %s is not in the bound schema: refused, since it could carry PII the mask cannot see (update the schema, or set unknown_fields: drop)", f.Num, typ.name)
				}
				dst, prev, changed = append(dst, b[prev:f.Start]...), f.End, true
				continue
			}
			if f.Type != ft.wire && !(ft.packable && f.Type == pbwire.Bytes) {
				// protobuf-go would keep it as unknown bytes
				return nil, false, fmt.Errorf("field %d of %s has wire type %d, declared %d: refused, readers would keep it as an unknown field", f.Num, typ.name, f.Type, ft.wire)
			}
		}
		var rewrote bool
		if dst, rewrote, err = m.field(dst, b[prev:f.Start], b, f, ft, m.pb.child(n, f.Num), depth); err != nil {
			return nil, false, err
		}
		if rewrote {
			prev, changed = f.End, true
		}
	}
	if changed {
		dst = append(dst, b[prev:]...)
	}
	return dst, changed, nil
}

// field appends pre, the unchanged span before field f, and f as its rule
// or its type rewrites it, and reports whether it did; a field left out is
// rewritten as nothing, and a field left as it is appends nothing.
func (m *masker) field(dst, pre, b []byte, f pbwire.Field, ft *fieldPlan, n int32, depth int) ([]byte, bool, error) {
	rule := ft.rule
	if n != noNode && m.pb.nodes[n].rule != 0 {
		rule = m.pb.nodes[n].rule
	}
	switch {
	case rule != 0 && ft.declared && !ft.text:
		return append(dst, pre...), true, nil // marked, but no text to mask: left out, it reads as its default
	case rule != 0:
		if f.Type != pbwire.Bytes {
			return nil, false, fmt.Errorf("field %d (masked by %s) has wire type %d, not length-delimited: refused, it cannot be masked", f.Num, m.rules[rule-1].Path, f.Type)
		}
		r := &m.rules[rule-1]
		m.text = m.maskText(m.text[:0], r.With, r, b[f.ValStart:f.ValEnd])
		return appendBytesField(append(dst, pre...), f.Num, m.text), true, nil
	case ft.child != noType || (n != noNode && m.pb.nodes[n].children != nil):
		if f.Type != pbwire.Bytes {
			if ft.child != noType {
				return nil, false, fmt.Errorf("field %d of type %s has wire type %d, not length-delimited", f.Num, m.pb.types[ft.child].name, f.Type)
			}
			return dst, false, nil // unbound: not the message the path goes through, nothing under it
		}
		return m.message(dst, pre, b, f, ft.child, n, depth)
	}
	return dst, false, nil
}

// message appends pre and the message field f rewritten, if its content
// changes or its tag and length are not in their shortest form (a
// rewritten message is written in it). The content is walked into dst
// first; pre, the tag and the length are then inserted before it.
func (m *masker) message(dst, pre, b []byte, f pbwire.Field, t, n int32, depth int) ([]byte, bool, error) {
	content := len(dst)
	dst, changed, err := m.walk(dst, b[f.ValStart:f.ValEnd], t, n, depth+1)
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
