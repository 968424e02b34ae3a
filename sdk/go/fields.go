package weir

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// FieldType is the JSON type of a projected field (docs/abi.md §4b).
type FieldType uint8

// The types a projected field arrives with.
const (
	TypeString FieldType = 1 // Value is the decoded text: escapes resolved, valid UTF-8
	TypeNumber FieldType = 2 // Value is the number as written
	TypeBool   FieldType = 3 // Value is true or false
	TypeNull   FieldType = 4 // Value is null
	TypeObject FieldType = 5 // Value is the object's JSON text
	TypeArray  FieldType = 6 // Value is the array's JSON text
	TypeAbsent FieldType = 7 // an insertion path's key, missing: Value is empty, setting it adds the key (Insertable)
)

var typeNames = [...]string{"invalid", "string", "number", "bool", "null", "object", "array", "absent"}

func (t FieldType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return typeNames[0]
}

// maxPathBytes bounds one declared path, as the host does.
const maxPathBytes = 1 << 10

// FieldsHandler decides what happens to one record of a projecting
// transform, from the fields it declared. Returning an error fails the
// record, as for Handler.
type FieldsHandler func(r *Fields) error

// projection is what this instance declared: the weir_fields answer and
// the handler that receives the fields.
var projection struct {
	declared []byte // count:u32 path:string*count [n:u32 index:u32*n]
	pathsEnd int    // where the paths end in declared (Insertable's tail follows)
	paths    int
	handler  FieldsHandler
}

var errNoFieldsHandler = errors.New("weir: Project was called but no fields handler is registered: call weir.HandleFields in an init function")

// HandleFields registers the handler of projected records. Call it from an
// init function. It is used once Project has declared paths; a transform
// that registers both Handle and HandleFields serves whichever its init
// chose (a config switch, say).
func HandleFields(h FieldsHandler) { projection.handler = h }

// Project declares the JSON paths this instance reads and rewrites, in
// sdk/go/jsonpath syntax ("customer.email", "items.*.sku"). Call it from
// OnInit (the paths may depend on the config). From then on the host scans
// every record natively, in one pass, and the HandleFields handler sees
// only the values at those paths: the record's value is never copied into
// the guest. A record that is not valid JSON fails at the host with class
// bad_input and never reaches the handler.
//
// At most 64 paths (jsonpath.MaxPaths) of at most 1 KiB each. Path i is
// what Fields.Path reports as i; a value at several paths is reported at
// the lowest. A later call replaces the paths of an earlier one. Without
// a call the transform does not project and Handle's handler runs.
func Project(paths ...string) error {
	if len(paths) == 0 {
		return errors.New("weir: Project: no paths given (to not project, do not call Project)")
	}
	if len(paths) > jsonpath.MaxPaths {
		return fmt.Errorf("weir: Project: %d paths, at most %d", len(paths), jsonpath.MaxPaths)
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(paths)))
	for i, p := range paths {
		if len(p) > maxPathBytes {
			return fmt.Errorf("weir: Project: path %d is %d bytes long, at most %d", i, len(p), maxPathBytes)
		}
		if _, err := jsonpath.Compile(p); err != nil {
			return fmt.Errorf("weir: Project: path %d: %w", i, err)
		}
		out = appendBytes(out, []byte(p))
	}
	projection.declared, projection.paths, projection.pathsEnd = out, len(paths), len(out)
	return nil
}

// checkProjection is run after the user's init: paths without a handler
// would fail every record, so the transform does not load.
func checkProjection() error {
	if projection.paths > 0 && projection.handler == nil {
		return errNoFieldsHandler
	}
	return nil
}

// Fields is one projected record: the values at the declared paths, in
// document order, and the decision taken on it. By default the record is
// kept unchanged on the default port. Values are views into the batch,
// and the SDK reuses one Fields for every record: keep neither past the
// handler.
type Fields struct {
	b       *fieldsBatch
	fields  []field // offsets into the batch
	meta    []meta
	repls   []repl // pending replacements, by increasing field index
	ops     []metaOp
	ports   []string
	emits   []fieldsEmit
	emitted []repl // the replacements of every emit, back to back
	dropped bool
	decided bool // dropped, routed, emitted or given metadata

	// While direct, the replacements are written straight into the
	// record's output entry, which starts at mark: nset of them, the
	// last for field last (fields_direct.go). Otherwise they are in repls
	// and the arena.
	direct bool
	mark   int
	nset   uint32
	last   int
}

// field is one value at a declared path: b.in[start:end].
type field struct {
	path       uint32
	typ        FieldType
	start, end uint32
}

// repl replaces field i with arena[start:end], of type typ (replText or
// replJSON).
type repl struct {
	field      uint32
	typ        uint8
	start, end uint32
}

// fieldsEmit is one output: emitted[first:last] and its ports
// (Fields.ports[portsFrom:portsTo]).
type fieldsEmit struct {
	first, last        int
	portsFrom, portsTo int
}

// Len is the number of values found at the declared paths.
func (r *Fields) Len() int { return len(r.fields) }

// Path is the index (in Project's list) of the path field i was found at.
func (r *Fields) Path(i int) int { return int(r.fields[i].path) }

// Type is the JSON type of field i.
func (r *Fields) Type(i int) FieldType { return r.fields[i].typ }

// Value is field i as it came: the decoded text of a string, the JSON text
// of anything else. It is not a copy and not changed by the Set methods.
func (r *Fields) Value(i int) []byte {
	f := r.fields[i]
	return r.b.in[f.start:f.end:f.end]
}

// Field is Path, Type and Value of field i at once.
func (r *Fields) Field(i int) (path int, typ FieldType, value []byte) {
	f := r.fields[i]
	return int(f.path), f.typ, r.b.in[f.start:f.end:f.end]
}

// SetString replaces field i with the JSON string holding s. Invalid UTF-8
// becomes U+FFFD, as jsonpath.AppendQuote does. The text is copied.
func (r *Fields) SetString(i int, s string) {
	if !asciiString(s) && !utf8.ValidString(s) {
		r.SetStringBytes(i, r.b.fixString(s))
		return
	}
	if r.direct && uint(i) < uint(len(r.fields)) && i > r.last {
		r.b.out = appendRepl(r.b.out, i, replText, s)
		r.nset, r.last = r.nset+1, i
		return
	}
	setInArena(r, i, replText, s)
}

// SetStringBytes is SetString for text held in a byte slice. The text may
// be built on Scratch.
func (r *Fields) SetStringBytes(i int, text []byte) {
	// Is text ASCII? Overlapping words, loaded a few at a time: a loop of
	// bytes costs a branch per byte in Go's wasm backend.
	var acc uint64
	switch n := len(text); {
	case n >= 8:
		acc = binary.LittleEndian.Uint64(text[n-8:])
		for k := 0; k < n-8; k += 8 {
			acc |= binary.LittleEndian.Uint64(text[k:])
		}
	case n >= 4:
		acc = uint64(binary.LittleEndian.Uint32(text) | binary.LittleEndian.Uint32(text[n-4:]))
	case n > 0:
		acc = uint64(text[0] | text[n/2] | text[n-1])
	}
	if acc&asciiMask != 0 && !utf8.Valid(text) {
		text = r.b.fixBytes(text)
	}
	if r.direct && uint(i) < uint(len(r.fields)) && i > r.last {
		r.b.out = appendRepl(r.b.out, i, replText, text)
		r.nset, r.last = r.nset+1, i
		return
	}
	setInArena(r, i, replText, text)
}

// Scratch is an empty slice over free space the SDK keeps for the next
// replacement: a handler can build a field's new text by appending to it
// and pass the result to SetStringBytes, which then copies it onto
// itself, with no buffer of the handler's own. What Scratch returned is
// overwritten by the next Set call.
func (r *Fields) Scratch() []byte {
	if r.direct {
		o := r.b.out
		at := min(len(o)+replHeader, cap(o))
		return o[at:at:cap(o)]
	}
	a := r.b.arena
	return a[len(a):len(a):cap(a)]
}

// SetJSON replaces field i with raw, which must be exactly one JSON value
// (an object, "null", a quoted string, ...). Anything else is an error and
// nothing is replaced; returning it from the handler fails the record.
// raw is copied.
func (r *Fields) SetJSON(i int, raw []byte) error {
	if err := jsonpath.Validate(raw); err != nil {
		return fmt.Errorf("weir: SetJSON field %d: %w", i, err)
	}
	if r.direct && uint(i) < uint(len(r.fields)) && i > r.last {
		r.b.out = appendRepl(r.b.out, i, replJSON, raw)
		r.nset, r.last = r.nset+1, i
		return nil
	}
	setInArena(r, i, replJSON, raw)
	return nil
}

// setInArena copies a replacement into the arena and records it.
func setInArena[T string | []byte](r *Fields, i int, typ uint8, text T) {
	r.undirect()
	b := r.b
	start := uint32(len(b.arena))
	b.arena = append(b.arena, text...)
	r.set(i, typ, start)
}

// set records a replacement of field i by the arena from start on; a
// second one for the same field wins. Fields set in order, the common
// case, take the inlined path.
func (r *Fields) set(i int, typ uint8, start uint32) {
	n := len(r.repls)
	if uint(i) < uint(len(r.fields)) && (n == 0 || int(r.repls[n-1].field) < i) {
		r.repls = append(r.repls, repl{field: uint32(i), typ: typ, start: start, end: uint32(len(r.b.arena))})
		return
	}
	r.setOutOfOrder(i, typ, start)
}

// setOutOfOrder is set for a field out of range (the handler's bug: the
// record fails) or not after the last one set.
func (r *Fields) setOutOfOrder(i int, typ uint8, start uint32) {
	if uint(i) >= uint(len(r.fields)) {
		panic(indexError{i, len(r.fields)})
	}
	r.insert(repl{field: uint32(i), typ: typ, start: start, end: r.b.arenaLen()})
}

// insert puts a replacement set out of field order in its place.
func (r *Fields) insert(x repl) {
	n := len(r.repls)
	at := 0
	for at < n && r.repls[at].field < x.field {
		at++
	}
	if r.repls[at].field == x.field {
		r.repls[at] = x
		return
	}
	r.repls = append(r.repls, repl{})
	copy(r.repls[at+1:], r.repls[at:])
	r.repls[at] = x
}

// indexError is the panic of a Set method given a field the record does
// not have: the handler's bug, which fails the record.
type indexError struct{ i, n int }

func (e indexError) Error() string {
	return fmt.Sprintf("weir: field index %d out of range: the record has %d fields", e.i, e.n)
}

// Meta returns a metadata value, taking SetMeta and DeleteMeta into account.
func (r *Fields) Meta(key string) (string, bool) { return lookupMeta(r.ops, r.meta, key) }

// SetMeta sets a metadata key on every output of this record.
func (r *Fields) SetMeta(key, value string) {
	r.undirect()
	r.ops, r.decided = append(r.ops, metaOp{key: key, value: value}), true
}

// DeleteMeta removes a metadata key from every output of this record.
func (r *Fields) DeleteMeta(key string) {
	r.undirect()
	r.ops, r.decided = append(r.ops, metaOp{del: true, key: key}), true
}

// Drop filters the record out: it produces no output.
func (r *Fields) Drop() {
	r.undirect()
	r.dropped, r.decided = true, true
}

// Route sends the record to the named ports (declared in the manifest)
// instead of the default port; several ports send a copy to each.
func (r *Fields) Route(ports ...string) {
	r.undirect()
	r.ports, r.decided = append(r.ports, ports...), true
}

// Emit adds an output record (fan-out): the input value with the
// replacements set so far, sent to ports (the default port if none). Once
// a handler emits, the outputs are exactly the emitted records; Set calls
// after the last Emit change nothing. Replacements stay set across Emit,
// so a handler can emit, change one field and emit again.
func (r *Fields) Emit(ports ...string) {
	r.undirect()
	first := len(r.emitted)
	r.emitted = append(r.emitted, r.repls...)
	from := len(r.ports)
	r.ports = append(r.ports, ports...)
	r.emits = append(r.emits, fieldsEmit{first, len(r.emitted), from, len(r.ports)})
	r.decided = true
}

// reset makes r the fresh record of fields and md, reusing its slices. A
// record the handler only kept or rewrote has nothing else to clear.
func (r *Fields) reset(fields []field, md []meta) {
	r.fields, r.meta, r.repls = fields, md, r.repls[:0]
	if r.decided {
		r.clear()
	}
}

func (r *Fields) clear() {
	clear(r.ops) // drop the strings they hold
	clear(r.ports)
	r.ops, r.ports, r.emits, r.emitted = r.ops[:0], r.ports[:0], r.emits[:0], r.emitted[:0]
	r.dropped, r.decided = false, false
}

// lookupMeta finds key in the ops (latest first), then in the input's
// metadata.
func lookupMeta(ops []metaOp, md []meta, key string) (string, bool) {
	for i := len(ops) - 1; i >= 0; i-- {
		if ops[i].key == key {
			return ops[i].value, !ops[i].del
		}
	}
	for _, m := range md {
		if string(m.key) == key {
			return string(m.value), true
		}
	}
	return "", false
}
