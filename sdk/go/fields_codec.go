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

// fieldsBatch is the reusable state of weir_process_fields: the record
// being handled, its fields and metadata, the arena the replacements are
// copied into and the output. All of it lives until the next call.
type fieldsBatch struct {
	in       []byte // the batch, which the fields are offsets into
	pos      int    // where the next record starts
	rec      Fields // the record being handled: one, reused
	fields   []field
	metas    []meta
	arena    []byte
	fix      []byte // text with invalid UTF-8 replaced
	out      []byte
	lastType FieldType   // the last type a field may have: TypeAbsent once Insertable was called
	view     FieldsBatch // what OnFieldsBatch sees
	batchErr error       // OnFieldsBatch's error: every record's
	count    int         // output entries written so far
	idx      int         // the record being handled
	calling  bool        // its handler is running
}

func (b *fieldsBatch) arenaLen() uint32 { return uint32(len(b.arena)) }

// process runs the handler on every record of a projected batch and
// returns the encoded output, which aliases b.out until the next call.
// paths is how many paths were declared: a field at another is refused.
// Each record is decoded just before its handler runs, in one pass: a
// malformed batch fails whole, whichever record it breaks at.
func (b *fieldsBatch) process(in []byte, paths int, h FieldsHandler) ([]byte, error) {
	if paths == 0 || h == nil {
		return nil, errNotProjected
	}
	if len(in) < 4 {
		return nil, errTruncated
	}
	n := binary.LittleEndian.Uint32(in)
	if uint64(n)*8 > uint64(len(in)) { // a record is at least its two counts
		return nil, errTruncated
	}
	b.in, b.pos, b.rec.b = in, 4, b
	b.lastType = TypeArray
	if projection.pathsEnd < len(projection.declared) { // Insertable was called
		b.lastType = TypeAbsent
	}
	b.arena = b.arena[:0]
	b.out = binary.LittleEndian.AppendUint32(b.out[:0], 0) // the count, patched below
	b.count = 0
	if err := b.beforeFields(int(n), uint32(paths)); err != nil {
		return nil, err
	}
	var err error
	for next := 0; next < int(n) && err == nil; {
		next, err = b.run(h, next, int(n), uint32(paths))
	}
	if err != nil {
		return nil, err
	}
	binary.LittleEndian.PutUint32(b.out, uint32(b.count))
	return b.out, nil
}

// run decodes and handles the records from first on. A handler that
// panics fails its record (the panic is its error); run then returns the
// next record to go on from. One deferred recover per batch, not one per
// record, as in batch.run.
func (b *fieldsBatch) run(h FieldsHandler, first, n int, paths uint32) (next int, err error) {
	defer func() {
		if !b.calling {
			return
		}
		p := recover()
		b.calling = false
		b.appendVerdict(uint32(b.idx), &b.rec, panicError{p})
		next = b.idx + 1
	}()
	r := &b.rec
	for i := first; i < n; i++ {
		if err := b.decode(paths); err != nil {
			return n, err
		}
		if b.batchErr != nil {
			b.idx, r.direct = i, false
			b.appendVerdict(uint32(i), r, b.batchErr)
			continue
		}
		b.begin(uint32(i))
		b.idx, b.calling = i, true
		err := h(r)
		b.calling = false
		if err == nil && r.direct {
			b.finish()
			b.count++
			continue
		}
		b.appendVerdict(uint32(i), r, err)
	}
	return n, nil
}

// decode reads the record at b.pos into b.rec: field_count:u32 (path:u32
// type:u8 value:bytes)* meta_count:u32 (key:string value:bytes)*. Counts
// are checked against the bytes left before anything grows. The loop
// reads in directly rather than through reader: a call per field is what
// costs in Go's wasm backend.
func (b *fieldsBatch) decode(paths uint32) error {
	le := binary.LittleEndian
	in, pos := b.in, b.pos
	if len(in)-pos < 8 {
		return errTruncated
	}
	fc := le.Uint32(in[pos:])
	pos += 4
	if uint64(fc)*9 > uint64(len(in)-pos) {
		return errTruncated
	}
	if cap(b.fields) < int(fc) { // fc is bounded by the bytes left
		b.fields = make([]field, fc, 2*fc)
	}
	fs := b.fields[:fc]
	rest := in[pos:]
	for k := range fs {
		if len(rest) < 9 {
			return errTruncated
		}
		path, typ, vn := le.Uint32(rest), FieldType(rest[4]), le.Uint32(rest[5:9])
		if uint64(vn) > uint64(len(rest)-9) {
			return errTruncated
		}
		if path >= paths || typ-TypeString > b.lastType-TypeString {
			return errBadFields
		}
		start := uint32(len(in)-len(rest)) + 9
		fs[k] = field{path: path, typ: typ, start: start, end: start + vn}
		rest = rest[9+vn:]
		pos = int(start + vn)
	}
	if len(in)-pos < 4 {
		return errTruncated
	}
	mc := le.Uint32(in[pos:])
	b.pos = pos + 4
	var md []meta
	if mc > 0 {
		var err error
		if md, err = b.decodeMeta(mc); err != nil {
			return err
		}
	}
	b.rec.reset(fs, md)
	return nil
}

// decodeMeta reads mc metadata entries at b.pos into b.metas.
func (b *fieldsBatch) decodeMeta(mc uint32) (md []meta, err error) {
	md, b.pos, err = readMeta(b.in, b.pos, mc, b.metas[:0])
	if err == nil {
		b.metas = md
	}
	return md, err
}

// appendRepls writes field:u32 type:u8 value:bytes per replacement.
func appendRepls(out []byte, repls []repl, arena []byte) []byte {
	for _, x := range repls {
		text := arena[x.start:x.end]
		f, n := x.field, len(text)
		out = append(out, byte(f), byte(f>>8), byte(f>>16), byte(f>>24), x.typ,
			byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
		out = append(out, text...)
	}
	return out
}

// appendVerdict encodes any other outcome of the record in place of its
// entry and counts its entries.
func (b *fieldsBatch) appendVerdict(idx uint32, r *Fields, err error) {
	if r.direct { // an error or a panic: what was written goes
		b.out, r.direct = b.out[:r.mark], false
	}
	var n int
	b.out, n = appendFieldsVerdict(b.out, idx, r, err)
	b.count += n
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
	return appendRepls(out, repls, r.b.arena)
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

// asciiMask has the high bit of each byte of a word set: a word of ASCII
// text has none of them.
const asciiMask = 0x8080808080808080

// asciiString reports whether every byte of s is below 0x80: the text a
// transform sets is mostly short ASCII, where utf8.ValidString costs a
// call and a loop of branches in Go's wasm backend. SetStringBytes does
// the same a word at a time.
func asciiString(s string) bool {
	var acc byte
	for i := 0; i < len(s); i++ {
		acc |= s[i]
	}
	return acc < utf8.RuneSelf
}

// appendValidUTF8 appends s, each byte of an invalid sequence replaced by
// U+FFFD (as jsonpath.AppendQuote does), so the host never sees bad text.
func appendValidUTF8(dst []byte, s string) []byte {
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
