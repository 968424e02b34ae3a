package weir

import (
	"encoding/binary"
	"slices"
)

// The direct path: a handler that only sets fields, each after the last
// one it set (what a mask does), has its replacements written straight
// into its record's output entry, as the host will read them, instead of
// into the arena to be encoded after the handler returns. The entry's
// header is written before the handler runs and its count patched after.
// Anything else — a field set again or out of order, a drop, route, emit
// or metadata change — moves what was written into the arena (undirect)
// and the record takes the general path. Both give the same bytes
// (TestFieldsDirectMatchesGeneral).

const (
	entryHeader = 10 // index:u32 kind:u8 flags:u8 n:u32
	replHeader  = 9  // field:u32 type:u8 len:u32

	// minRoom is the free space kept after the output and the arena before
	// each record, so that Scratch has room to give without a handler's
	// append having to allocate.
	minRoom = 512
)

// begin opens the output entry of record idx: an EMIT whose replacements
// follow.
func (b *fieldsBatch) begin(idx uint32) {
	if cap(b.out)-len(b.out) < minRoom {
		b.out = grown(b.out)
	}
	if cap(b.arena)-len(b.arena) < minRoom {
		b.arena = grown(b.arena)
	}
	r := &b.rec
	r.mark = len(b.out)
	b.out = append(b.out, byte(idx), byte(idx>>8), byte(idx>>16), byte(idx>>24), kindEmit, flagFields, 0, 0, 0, 0)
	r.direct, r.nset, r.last = true, 0, -1
}

// grown is b with room for at least its capacity and minRoom more.
func grown(b []byte) []byte { return slices.Grow(b, cap(b)+minRoom) }

// finish closes a direct entry: its count of replacements, or a keep.
func (b *fieldsBatch) finish() {
	r := &b.rec
	if r.nset == 0 {
		b.out[r.mark+5] = 0 // flags: nothing follows
		b.out = b.out[:r.mark+6]
		return
	}
	binary.LittleEndian.PutUint32(b.out[r.mark+6:], r.nset)
}

// appendRepl writes one replacement as the host reads it.
func appendRepl[T string | []byte](out []byte, field int, typ uint8, text T) []byte {
	n := len(text)
	out = append(out, byte(field), byte(field>>8), byte(field>>16), byte(field>>24), typ,
		byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	return append(out, text...)
}

// undirect moves the replacements written into the output entry into the
// arena and removes the entry: the record takes the general path.
func (r *Fields) undirect() {
	if !r.direct {
		return
	}
	b, le := r.b, binary.LittleEndian
	p := r.mark + entryHeader
	for range r.nset {
		f, typ, n := le.Uint32(b.out[p:]), b.out[p+4], int(le.Uint32(b.out[p+5:]))
		p += replHeader
		start := uint32(len(b.arena))
		b.arena = append(b.arena, b.out[p:p+n]...)
		r.repls = append(r.repls, repl{field: f, typ: typ, start: start, end: uint32(len(b.arena))})
		p += n
	}
	b.out = b.out[:r.mark]
	r.direct = false
}

// fixBytes and fixString are the text with each byte of an invalid
// sequence replaced by U+FFFD, in a buffer of their own: the text may be
// on Scratch.
func (b *fieldsBatch) fixBytes(text []byte) []byte {
	b.fix = appendValidUTF8Bytes(b.fix[:0], text)
	return b.fix
}

func (b *fieldsBatch) fixString(s string) []byte {
	b.fix = appendValidUTF8(b.fix[:0], s)
	return b.fix
}
