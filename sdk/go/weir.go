package weir

import "errors"

// Handler decides what happens to one record. Returning an error fails the
// record (the host flags it for the dead-letter path); the rest of the
// batch is unaffected.
type Handler func(r *Record) error

var (
	handler  Handler = func(*Record) error { return errNoHandler }
	initFunc         = func([]byte) error { return nil }
)

var errNoHandler = errors.New("weir: no handler registered: call weir.Handle in an init function")

// Handle registers the per-record handler. Call it from an init function.
func Handle(h Handler) { handler = h }

// OnInit registers a function that receives the transform's config blob
// once per instance, before any record. Returning an error stops the
// transform from loading, with that message.
func OnInit(f func(config []byte) error) { initFunc = f }

// Record is one input record and the decision taken on it. By default the
// record is kept unchanged on the default port. The SDK reuses one Record
// for every record: do not keep it past the handler.
type Record struct {
	in         []byte // the batch, set once per batch
	start, end uint32 // the value: in[start:end]
	meta       []meta // input metadata, views into the batch
	newVal     []byte
	changed    bool
	ops        []metaOp
	ports      []string
	emits      []emitted
	dropped    bool
	touched    bool // a method above changed the decision: the fast paths are off
	idx        int  // the record's position in its batch
}

type meta struct{ key, value []byte }

type metaOp struct {
	del        bool
	key, value string
}

type emitted struct {
	value []byte
	ports []string
}

// Value is the record's current value. Do not keep it past the handler: the
// SDK reuses the batch buffer.
func (r *Record) Value() []byte {
	if r.changed {
		return r.newVal
	}
	return r.in[r.start:r.end:r.end]
}

// SetValue replaces the record's value.
func (r *Record) SetValue(v []byte) { r.newVal, r.changed, r.touched = v, true, true }

// Meta returns a metadata value, taking SetMeta and DeleteMeta into account.
func (r *Record) Meta(key string) (string, bool) {
	for i := len(r.ops) - 1; i >= 0; i-- {
		if r.ops[i].key == key {
			return r.ops[i].value, !r.ops[i].del
		}
	}
	for _, m := range r.meta {
		if string(m.key) == key {
			return string(m.value), true
		}
	}
	return "", false
}

// MetaKeys lists the input record's metadata keys.
func (r *Record) MetaKeys() []string {
	keys := make([]string, len(r.meta))
	for i, m := range r.meta {
		keys[i] = string(m.key)
	}
	return keys
}

// SetMeta sets a metadata key on every output of this record.
func (r *Record) SetMeta(key, value string) {
	r.ops, r.touched = append(r.ops, metaOp{key: key, value: value}), true
}

// DeleteMeta removes a metadata key from every output of this record.
func (r *Record) DeleteMeta(key string) {
	r.ops, r.touched = append(r.ops, metaOp{del: true, key: key}), true
}

// Drop filters the record out: it produces no output.
func (r *Record) Drop() { r.dropped, r.touched = true, true }

// Route sends the record to the named ports (declared in the manifest)
// instead of the default port; several ports send a copy to each.
func (r *Record) Route(ports ...string) { r.ports, r.touched = append(r.ports, ports...), true }

// Emit adds an output record (fan-out). Once a handler emits, the outputs
// are exactly the emitted records: the input itself is no longer kept.
// Each emitted record carries the input's metadata and the SetMeta and
// DeleteMeta changes; ports route it like Route.
func (r *Record) Emit(value []byte, ports ...string) {
	r.emits, r.touched = append(r.emits, emitted{value: value, ports: ports}), true
}

// kept reports whether the handler left r as it came: kept unchanged on
// the default port.
func (r *Record) kept() bool { return !r.touched }

// reset makes r the fresh record of the value in[start:end] and md,
// reusing its slices. An untouched record has nothing else to clear:
// that is the echo's path, where assigning a whole Record was the SDK's
// largest per-record cost. The value is offsets into the batch, not a
// slice: storing one costs a write barrier per record.
func (r *Record) reset(start, end uint32, md []meta) {
	r.start, r.end = start, end
	if len(md) > 0 || len(r.meta) > 0 {
		r.meta = md
	}
	if r.touched {
		r.clear()
	}
}

func (r *Record) clear() {
	clear(r.ops) // drop the strings they hold
	clear(r.emits)
	*r = Record{in: r.in, start: r.start, end: r.end, idx: r.idx, meta: r.meta, ops: r.ops[:0], ports: r.ports[:0], emits: r.emits[:0]}
}
