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

// batch is the guest's reusable state: decoded records and the output
// buffer. Nothing in it is allocated per record once the first batches
// have grown it: records, their metadata views and the output are reused.
type batch struct {
	records []Record
	metas   []meta
	out     []byte
	count   int // output entries written so far
	calling int // the record whose handler is running, -1 outside a handler
}

// process decodes an input batch, runs the handler on every record and
// returns the encoded output. The output aliases b.out until the next call.
func (b *batch) process(in []byte, h Handler) ([]byte, error) {
	if err := b.decode(in); err != nil {
		return nil, err
	}
	b.out = binary.LittleEndian.AppendUint32(b.out[:0], 0) // the count, patched below
	b.count = 0
	for next := 0; next < len(b.records); {
		next = b.run(h, next)
	}
	binary.LittleEndian.PutUint32(b.out, uint32(b.count))
	return b.out, nil
}

// run calls the handler on the records from first on and encodes their
// verdicts. A handler that panics fails its record (the panic is its
// error); run then returns the next record to go on from. One deferred
// recover per batch, not one per record (docs/RATIONALE.md, "Why does an
// echo cost what it costs?").
func (b *batch) run(h Handler, first int) (next int) {
	defer func() {
		if b.calling < 0 {
			return
		}
		p := recover()
		if p == nil {
			return
		}
		i := b.calling
		b.calling = -1
		b.appendVerdict(uint32(i), &b.records[i], panicError{p})
		next = i + 1
	}()
	for i := first; i < len(b.records); i++ {
		r := &b.records[i]
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
	return len(b.records)
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

// decode reads the input batch into b.records. Each record's value and
// metadata are views into in. The per-record loop reads in directly
// rather than through reader: a call per field is what costs in Go's wasm
// backend.
func (b *batch) decode(in []byte) error {
	le := binary.LittleEndian
	if len(in) < 4 {
		return errTruncated
	}
	n := le.Uint32(in)
	if uint64(n)*8 > uint64(len(in)) {
		return errTruncated
	}
	b.records = grow(b.records, int(n))
	b.metas = b.metas[:0]
	pos := 4
	for i := range b.records {
		if len(in)-pos < 8 {
			return errTruncated
		}
		vn := uint64(le.Uint32(in[pos:]))
		pos += 4
		if vn > uint64(len(in)-pos-4) { // the value, then its metadata count
			return errTruncated
		}
		end := pos + int(vn)
		value := in[pos:end:end]
		mc := le.Uint32(in[end:])
		pos = end + 4
		var md []meta
		if mc > 0 {
			var err error
			if md, pos, err = b.decodeMeta(in, pos, mc); err != nil {
				return err
			}
		}
		b.records[i].reset(value, md)
	}
	return nil
}

// decodeMeta reads mc metadata entries at in[pos:] into b.metas and
// returns them and the position after them.
func (b *batch) decodeMeta(in []byte, pos int, mc uint32) ([]meta, int, error) {
	d := reader{buf: in, pos: pos}
	if uint64(mc)*8 > uint64(d.left()) {
		return nil, 0, errTruncated
	}
	first := len(b.metas)
	for j := uint32(0); j < mc; j++ {
		b.metas = append(b.metas, meta{key: d.bytes(), value: d.bytes()})
	}
	if d.bad {
		return nil, 0, errTruncated
	}
	return b.metas[first:len(b.metas):len(b.metas)], d.pos, nil
}

func grow(rs []Record, n int) []Record {
	if cap(rs) < n {
		return append(rs[:cap(rs)], make([]Record, n-cap(rs))...)
	}
	return rs[:n]
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
