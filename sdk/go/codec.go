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

// batch is the guest's reusable state: decoded records and the output buffer.
type batch struct {
	records []Record
	metas   []meta
	out     []byte
}

// process decodes an input batch, runs the handler on every record and
// returns the encoded output. The output aliases b.out until the next call.
func (b *batch) process(in []byte, h Handler) ([]byte, error) {
	if err := b.decode(in); err != nil {
		return nil, err
	}
	out := binary.LittleEndian.AppendUint32(b.out[:0], uint32(len(b.records)))
	count := 0
	for i := range b.records {
		r := &b.records[i]
		var n int
		out, n = appendVerdict(out, uint32(i), r, safeCall(h, r))
		count += n
	}
	binary.LittleEndian.PutUint32(out, uint32(count))
	b.out = out
	return out, nil
}

// safeCall runs the handler, turning a panic into a record error.
func safeCall(h Handler, r *Record) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicError{p}
		}
	}()
	return h(r)
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

func (b *batch) decode(in []byte) error {
	d := reader{buf: in}
	n := d.u32()
	if d.bad || uint64(n)*8 > uint64(len(in)) {
		return errTruncated
	}
	b.records = grow(b.records, int(n))
	b.metas = b.metas[:0]
	for i := range b.records {
		value := d.bytes()
		mc := d.u32()
		if d.bad || uint64(mc)*8 > uint64(d.left()) {
			return errTruncated
		}
		first := len(b.metas)
		for j := uint32(0); j < mc; j++ {
			b.metas = append(b.metas, meta{key: d.bytes(), value: d.bytes()})
		}
		if d.bad {
			return errTruncated
		}
		b.records[i].reset(value, b.metas[first:len(b.metas):len(b.metas)])
	}
	return nil
}

func grow(rs []Record, n int) []Record {
	if cap(rs) < n {
		return append(rs[:cap(rs)], make([]Record, n-cap(rs))...)
	}
	return rs[:n]
}

// appendVerdict encodes the record's outcome and returns how many entries it wrote.
func appendVerdict(out []byte, idx uint32, r *Record, err error) ([]byte, int) {
	le := binary.LittleEndian
	switch {
	case err != nil:
		out = le.AppendUint32(out, idx)
		out = append(out, kindError)
		return appendBytes(out, []byte(err.Error())), 1
	case r.dropped:
		return append(le.AppendUint32(out, idx), kindDrop), 1
	case len(r.emits) > 0:
		n := 0
		for _, e := range r.emits {
			var k int
			out, k = appendEmits(out, idx, r, e.value, true, e.ports)
			n += k
		}
		return out, n
	}
	return appendEmits(out, idx, r, r.newVal, r.changed, r.ports)
}

// appendEmits writes one emit entry per port (or one for the default port).
func appendEmits(out []byte, idx uint32, r *Record, value []byte, hasValue bool, ports []string) ([]byte, int) {
	if len(ports) == 0 {
		return appendEmit(out, idx, r, value, hasValue, "", false), 1
	}
	for _, p := range ports {
		out = appendEmit(out, idx, r, value, hasValue, p, true)
	}
	return out, len(ports)
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
		out = appendBytes(out, []byte(port))
	}
	if len(r.ops) > 0 {
		out = le.AppendUint32(out, uint32(len(r.ops)))
		for _, op := range r.ops {
			if op.del {
				out = appendBytes(append(out, opDelete), []byte(op.key))
				continue
			}
			out = appendBytes(appendBytes(append(out, opSet), []byte(op.key)), []byte(op.value))
		}
	}
	return out
}

func appendBytes(out, b []byte) []byte {
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
