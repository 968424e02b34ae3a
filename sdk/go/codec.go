package weir

import (
	"encoding/binary"
	"errors"
)

// Output entry kinds, flags and metadata ops of ABI v1 (docs/abi.md).
const (
	kindEmit  = 1
	kindDrop  = 2
	kindError = 3

	flagValue = 1 << 0
	flagPort  = 1 << 1
	flagMeta  = 1 << 2

	opSet    = 1
	opDelete = 2
)

var errTruncated = errors.New("weir: input batch is truncated")

// batch is the guest's reusable state: the record being handled, its
// metadata views and the output buffer. Nothing in it is allocated per
// record once the first batches have grown it.
type batch struct {
	in      []byte // the batch
	pos     int    // where the next record starts
	rec     Record // the record being handled: one, reused
	metas   []meta
	out     []byte
	count   int // output entries written so far
	calling int // the record whose handler is running, -1 outside a handler

	values   [][]byte // OnBatch's views of the values
	scratch  []meta   // metadata skipped by scanValues
	batchErr error    // OnBatch's error: every record's
}

// process runs the handler on every record of an input batch and returns
// the encoded output, which aliases b.out until the next call. Each
// record is decoded just before its handler runs, in one pass: a
// malformed batch fails whole, whichever record it breaks at.
func (b *batch) process(in []byte, h Handler) ([]byte, error) {
	if len(in) < 4 {
		return nil, errTruncated
	}
	n := binary.LittleEndian.Uint32(in)
	if uint64(n)*8 > uint64(len(in)) { // a record is at least its two lengths
		return nil, errTruncated
	}
	b.in, b.pos, b.rec.in, b.calling = in, 4, in, -1
	b.out = binary.LittleEndian.AppendUint32(b.out[:0], 0) // the count, patched below
	b.count = 0
	if err := b.beforeBatch(int(n)); err != nil {
		return nil, err
	}
	var err error
	for next := 0; next < int(n) && err == nil; {
		next, err = b.run(h, next, int(n))
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
// record (docs/RATIONALE.md, "Why does an echo cost what it costs?").
func (b *batch) run(h Handler, first, n int) (next int, err error) {
	defer func() {
		i := b.calling
		if i < 0 {
			return
		}
		p := recover()
		b.calling = -1
		b.appendVerdict(uint32(i), &b.rec, panicError{p})
		next = i + 1
	}()
	r := &b.rec
	le := binary.LittleEndian
	in := b.in
	for i := first; i < n; i++ {
		// The record at b.pos: its value and metadata are views into the
		// batch. Read here, not in a function: a call per record is what
		// costs in Go's wasm backend.
		pos := b.pos
		if len(in)-pos < 8 {
			return n, errTruncated
		}
		vn := uint64(le.Uint32(in[pos:]))
		pos += 4
		if vn > uint64(len(in)-pos-4) { // the value, then its metadata count
			return n, errTruncated
		}
		end := pos + int(vn)
		mc := le.Uint32(in[end:])
		b.pos = end + 4
		var md []meta
		if mc > 0 {
			if md, err = b.decodeMeta(mc); err != nil {
				return n, err
			}
		}
		r.reset(uint32(pos), uint32(end), md)
		r.idx = i
		if b.batchErr != nil {
			b.appendVerdict(uint32(i), r, b.batchErr)
			continue
		}
		b.calling = i
		err := h(r)
		b.calling = -1
		if err == nil && r.kept() {
			b.out = appendKeep(b.out, uint32(i))
			b.count++
			continue
		}
		b.appendVerdict(uint32(i), r, err)
	}
	return n, nil
}

// appendKeep writes the entry of a record kept unchanged, the common case,
// with one capacity check.
func appendKeep(out []byte, idx uint32) []byte {
	return append(out, byte(idx), byte(idx>>8), byte(idx>>16), byte(idx>>24), kindEmit, 0)
}

type panicError struct{ v any }

func (p panicError) Error() string { return "handler panicked: " + anyString(p.v) }

func anyString(v any) string {
	switch x := v.(type) {
	case error:
		return x.Error()
	case string:
		return x
	}
	return "non-error value"
}

// decodeMeta reads mc metadata entries at b.pos into b.metas.
func (b *batch) decodeMeta(mc uint32) (md []meta, err error) {
	md, b.pos, err = readMeta(b.in, b.pos, mc, b.metas[:0])
	if err == nil {
		b.metas = md
	}
	return md, err
}

// readMeta appends mc metadata entries read at in[pos:] to md, returning
// them and the position after them.
func readMeta(in []byte, pos int, mc uint32, md []meta) ([]meta, int, error) {
	d := reader{buf: in, pos: pos}
	if uint64(mc)*8 > uint64(d.left()) {
		return nil, pos, errTruncated
	}
	for range mc {
		md = append(md, meta{key: d.bytes(), value: d.bytes()})
	}
	if d.bad {
		return nil, pos, errTruncated
	}
	return md, d.pos, nil
}

// appendVerdict encodes the record's outcome into b.out and counts its entries.
func (b *batch) appendVerdict(idx uint32, r *Record, err error) {
	le := binary.LittleEndian
	out := le.AppendUint32(b.out, idx)
	switch {
	case err != nil:
		b.out = appendBytes(append(out, kindError), err.Error())
		b.count++
	case r.dropped:
		b.out = append(out, kindDrop)
		b.count++
	case len(r.emits) > 0:
		out = b.out
		for _, e := range r.emits {
			out = appendEmits(out, idx, r, e.value, true, e.ports)
			b.count += max(len(e.ports), 1)
		}
		b.out = out
	default:
		b.out = appendEmits(b.out, idx, r, r.newVal, r.changed, r.ports)
		b.count += max(len(r.ports), 1)
	}
}

// appendEmits writes one emit entry per port (or one for the default port).
func appendEmits(out []byte, idx uint32, r *Record, value []byte, hasValue bool, ports []string) []byte {
	if len(ports) == 0 {
		return appendEmit(out, idx, r, value, hasValue, "", false)
	}
	for _, p := range ports {
		out = appendEmit(out, idx, r, value, hasValue, p, true)
	}
	return out
}

func appendEmit(out []byte, idx uint32, r *Record, value []byte, hasValue bool, port string, hasPort bool) []byte {
	le := binary.LittleEndian
	var flags byte
	if hasValue {
		flags |= flagValue
	}
	if hasPort {
		flags |= flagPort
	}
	if len(r.ops) > 0 {
		flags |= flagMeta
	}
	out = append(le.AppendUint32(out, idx), kindEmit, flags)
	if hasValue {
		out = appendBytes(out, value)
	}
	if hasPort {
		out = appendBytes(out, port)
	}
	if len(r.ops) > 0 {
		out = le.AppendUint32(out, uint32(len(r.ops)))
		for _, op := range r.ops {
			if op.del {
				out = appendBytes(append(out, opDelete), op.key)
				continue
			}
			out = appendBytes(appendBytes(append(out, opSet), op.key), op.value)
		}
	}
	return out
}

// appendBytes appends a length-prefixed string or byte slice, without
// converting one into the other.
func appendBytes[T string | []byte](out []byte, b T) []byte {
	out = binary.LittleEndian.AppendUint32(out, uint32(len(b)))
	return append(out, b...)
}

// reader decodes the input batch; a short read sets bad instead of panicking.
type reader struct {
	buf []byte
	pos int
	bad bool
}

func (r *reader) left() int { return len(r.buf) - r.pos }

func (r *reader) u32() uint32 {
	if r.left() < 4 {
		r.bad = true
		return 0
	}
	v := binary.LittleEndian.Uint32(r.buf[r.pos:])
	r.pos += 4
	return v
}

func (r *reader) bytes() []byte {
	n := r.u32()
	if r.bad || uint64(n) > uint64(r.left()) {
		r.bad = true
		return nil
	}
	b := r.buf[r.pos : r.pos+int(n) : r.pos+int(n)]
	r.pos += int(n)
	return b
}
