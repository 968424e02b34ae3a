package weir

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"
)

// flagFields marks an EMIT that carries field replacements (docs/abi.md
// §4b): n:u32 then field:u32 type:u8 value:bytes per replacement, after
// the meta_ops.
const flagFields = 1 << 3

// Replacement types of a projected EMIT.
const (
	replJSON = 0 // raw JSON, checked by the host
	replText = 1 // UTF-8 text, quoted by the host
)

var (
	errBadFields    = errors.New("weir: projected batch names an undeclared path or an unknown type")
	errNotProjected = errors.New("weir: weir_process_fields called, but this instance declared no paths (weir_fields answered 0)")
)

// fieldsBatch is the reusable state of weir_process_fields: decoded
// records, their fields, the arena the replacements are copied into and
// the output. All of it lives until the next call.
type fieldsBatch struct {
	records []Fields
	fields  []field
	metas   []meta
	arena   []byte
	out     []byte
}

func (b *fieldsBatch) arenaLen() uint32 { return uint32(len(b.arena)) }

// process decodes a projected batch, runs the handler on every record and
// returns the encoded output, which aliases b.out until the next call.
// paths is how many paths were declared: a field at another is refused.
func (b *fieldsBatch) process(in []byte, paths int, h FieldsHandler) ([]byte, error) {
	if paths == 0 || h == nil {
		return nil, errNotProjected
	}
	if err := b.decode(in, paths); err != nil {
		return nil, err
	}
	b.arena = b.arena[:0]
	out := binary.LittleEndian.AppendUint32(b.out[:0], uint32(len(b.records)))
	count := 0
	for i := range b.records {
		r := &b.records[i]
		var n int
		out, n = appendFieldsVerdict(out, uint32(i), r, safeCallFields(h, r))
		count += n
	}
	binary.LittleEndian.PutUint32(out, uint32(count))
	b.out = out
	return out, nil
}

// safeCallFields runs the handler, turning a panic into a record error.
func safeCallFields(h FieldsHandler, r *Fields) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicError{p}
		}
	}()
	return h(r)
}

// decode reads count:u32 then, per record, field_count:u32 (path:u32
// type:u8 value:bytes)* meta_count:u32 (key:string value:bytes)*. Counts
// are checked against the bytes left before anything grows.
func (b *fieldsBatch) decode(in []byte, paths int) error {
	d := reader{buf: in}
	n := d.u32()
	if d.bad || uint64(n)*8 > uint64(len(in)) {
		return errTruncated
	}
	b.records = growFields(b.records, int(n))
	b.fields, b.metas = b.fields[:0], b.metas[:0]
	for i := range b.records {
		fc := d.u32()
		if d.bad || uint64(fc)*9 > uint64(d.left()) {
			return errTruncated
		}
		firstField := len(b.fields)
		for j := uint32(0); j < fc; j++ {
			f := field{path: d.u32(), typ: FieldType(d.u8())}
			f.value = d.bytes()
			if f.path >= uint32(paths) || f.typ < TypeString || f.typ > TypeArray {
				return errBadFields
			}
			b.fields = append(b.fields, f)
		}
		mc := d.u32()
		if d.bad || uint64(mc)*8 > uint64(d.left()) {
			return errTruncated
		}
		firstMeta := len(b.metas)
		for j := uint32(0); j < mc; j++ {
			b.metas = append(b.metas, meta{key: d.bytes(), value: d.bytes()})
		}
		if d.bad {
			return errTruncated
		}
		b.records[i].reset(b, b.fields[firstField:len(b.fields):len(b.fields)], b.metas[firstMeta:len(b.metas):len(b.metas)])
	}
	return nil
}

func growFields(rs []Fields, n int) []Fields {
	if cap(rs) < n {
		return append(rs[:cap(rs)], make([]Fields, n-cap(rs))...)
	}
	return rs[:n]
}

// appendFieldsVerdict encodes the record's outcome and returns how many
// entries it wrote.
func appendFieldsVerdict(out []byte, idx uint32, r *Fields, err error) ([]byte, int) {
	le := binary.LittleEndian
	switch {
	case err != nil:
		out = append(le.AppendUint32(out, idx), kindError)
		return appendBytes(out, []byte(err.Error())), 1
	case r.dropped:
		return append(le.AppendUint32(out, idx), kindDrop), 1
	case len(r.emits) > 0:
		n := 0
		for _, e := range r.emits {
			var k int
			out, k = appendFieldsEmits(out, idx, r, r.emitted[e.first:e.last], r.ports[e.portsFrom:e.portsTo])
			n += k
		}
		return out, n
	}
	return appendFieldsEmits(out, idx, r, r.repls, r.ports)
}

// appendFieldsEmits writes one EMIT per port (or one for the default port).
func appendFieldsEmits(out []byte, idx uint32, r *Fields, repls []repl, ports []string) ([]byte, int) {
	if len(ports) == 0 {
		return appendFieldsEmit(out, idx, r, repls, "", false), 1
	}
	for _, p := range ports {
		out = appendFieldsEmit(out, idx, r, repls, p, true)
	}
	return out, len(ports)
}

func appendFieldsEmit(out []byte, idx uint32, r *Fields, repls []repl, port string, hasPort bool) []byte {
	le := binary.LittleEndian
	var flags byte
	if hasPort {
		flags |= flagPort
	}
	if len(r.ops) > 0 {
		flags |= flagMeta
	}
	if len(repls) > 0 {
		flags |= flagFields
	}
	out = append(le.AppendUint32(out, idx), kindEmit, flags)
	if hasPort {
		out = appendString(out, port)
	}
	if len(r.ops) > 0 {
		out = appendMetaOps(out, r.ops)
	}
	if len(repls) == 0 {
		return out
	}
	out = le.AppendUint32(out, uint32(len(repls)))
	for _, x := range repls {
		typ := byte(replText)
		if x.json {
			typ = replJSON
		}
		out = append(le.AppendUint32(out, x.field), typ)
		out = appendBytes(out, r.b.arena[x.start:x.end])
	}
	return out
}

func appendMetaOps(out []byte, ops []metaOp) []byte {
	out = binary.LittleEndian.AppendUint32(out, uint32(len(ops)))
	for _, op := range ops {
		if op.del {
			out = appendString(append(out, opDelete), op.key)
			continue
		}
		out = appendString(appendString(append(out, opSet), op.key), op.value)
	}
	return out
}

func appendString(out []byte, s string) []byte {
	out = binary.LittleEndian.AppendUint32(out, uint32(len(s)))
	return append(out, s...)
}

func (r *reader) u8() byte {
	if r.left() < 1 {
		r.bad = true
		return 0
	}
	c := r.buf[r.pos]
	r.pos++
	return c
}

// appendValidUTF8 appends s, each byte of an invalid sequence replaced by
// U+FFFD (as jsonpath.AppendQuote does), so the host never sees bad text.
func appendValidUTF8(dst []byte, s string) []byte {
	if utf8.ValidString(s) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// appendValidUTF8Bytes is appendValidUTF8 for a byte slice.
func appendValidUTF8Bytes(dst, b []byte) []byte {
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, b[i:i+size]...)
		}
		i += size
	}
	return dst
}
