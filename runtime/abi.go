package runtime

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// Record is one message handed to a transform.
type Record struct {
	Value []byte
	Meta  []Meta
	// Fields are the values at a projecting instance's paths, found by the
	// caller, when the pool has FieldHooks (fields_given.go).
	Fields []FieldSpan
}

// Meta is one metadata entry (a header).
type Meta struct{ Key, Value string }

// Outcome is what the guest decided for one input record: zero Emits and
// no Err means dropped; Err set means the record failed and Emits is empty.
type Outcome struct {
	Emits []Emit
	Err   error
}

// Emit is one output record derived from an input record.
type Emit struct {
	// Value is the output value. When Unchanged it is the input's own slice.
	Value     []byte
	Unchanged bool
	// Port is the named output port, "" for the default.
	Port string
	// MetaOps are metadata changes to apply, in order, to the input's metadata.
	MetaOps []MetaOp
	// Checked: Value is the input's with field replacements that each
	// passed the pool's FieldHooks.Check. Refused: one did not, the one
	// of FieldSpan.Ref RefusedRef.
	Checked, Refused bool
	RefusedRef       int
}

// MetaOp sets or deletes one metadata key.
type MetaOp struct {
	Key, Value string
	Delete     bool
}

// Output entry kinds and flags (docs/abi.md).
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

// encodedSize is the exact size of records in the input batch encoding.
func encodedSize(records []Record) int {
	n := 4
	for _, r := range records {
		n += 8 + len(r.Value)
		for _, m := range r.Meta {
			n += 8 + len(m.Key) + len(m.Value)
		}
	}
	return n
}

// encodeBatch writes records into dst, which must be encodedSize long.
func encodeBatch(dst []byte, records []Record) {
	le := binary.LittleEndian
	le.PutUint32(dst, uint32(len(records)))
	p := 4
	for _, r := range records {
		le.PutUint32(dst[p:], uint32(len(r.Value)))
		p += 4 + copy(dst[p+4:], r.Value)
		le.PutUint32(dst[p:], uint32(len(r.Meta)))
		p += 4
		for _, m := range r.Meta {
			le.PutUint32(dst[p:], uint32(len(m.Key)))
			p += 4 + copy(dst[p+4:], m.Key)
			le.PutUint32(dst[p:], uint32(len(m.Value)))
			p += 4 + copy(dst[p+4:], m.Value)
		}
	}
}

// decoder reads the guest's output. Every length is checked against what
// is left, so no guest-supplied number can make it read out of bounds, and
// every emit is charged against the batch's outputLimits before anything
// is allocated for it, so a small output cannot expand into a huge one.
type decoder struct {
	buf   []byte
	pos   int
	at    int // offset of the field last read, for errors
	emits []Emit
	lim   outputLimits
	use   outputUse

	inherited     int // the record whose inherited metadata is measured below
	inheritedSize int // its metadata's key and value bytes

	proj *projection // the batch's fields, when it came through weir_process_fields

	plain bool // every entry through emit and its checked reads: the reference of keptRun, kept and keptFields (tests)
}

// keptRun decodes, from d.pos on and up to max entries, the entries that
// are each the first for their record and keep it as it came (EMIT, flags
// 0) within every limit: the whole of an echo's reply, eight bytes at a
// time, each charged as entry charges it. It returns how many it decoded
// and the last record index. It stops at anything else, an entry that
// would fail included, and leaves it to entry (nothing of it read or
// charged), whose checked reads then say what is wrong and where.
func (d *decoder) keptRun(inputs []Record, outcomes []Outcome, seen []uint8, last int, max uint32) (uint32, int) {
	if d.plain {
		return 0, last
	}
	buf, pos, use, lim := d.buf, d.pos, d.use, d.lim
	emits := d.emits
	var n uint32
	for ; n < max && len(buf)-pos >= 6 && buf[pos+4] == kindEmit && buf[pos+5] == 0; n++ {
		idx := int(binary.LittleEndian.Uint32(buf[pos:]))
		if uint64(idx) >= uint64(len(inputs)) || idx <= last || len(emits) == cap(emits) { // idx > last: no entry of it came before
			break
		}
		in := &inputs[idx]
		size := metaBytes(in.Meta)
		if lim.emitsPerRecord < 1 || use.emits >= lim.emitsPerBatch ||
			len(in.Meta) > lim.metadata-use.metadata || size+len(in.Value) > lim.expandedBytes-use.bytes {
			break
		}
		use.emits++
		use.metadata += len(in.Meta)
		use.bytes += size + len(in.Value)
		d.inherited, d.inheritedSize = idx, size
		pos += 6
		seen[idx] = kindEmit
		emits = emits[:len(emits)+1] // zero: emitsFor cleared it
		e := &emits[len(emits)-1]
		e.Value, e.Unchanged = in.Value, true
		outcomes[idx].Emits = emits[len(emits)-1 : len(emits) : len(emits)]
		last = idx
	}
	if n > 0 {
		d.at, d.pos, d.use, d.emits = pos-1, pos, use, emits
	}
	return n, last
}

func (d *decoder) fail(format string, args ...any) error {
	return errorf(ClassBadOutput, "output offset %d: %s", d.at, fmt.Sprintf(format, args...))
}

func (d *decoder) u8() (byte, error) {
	d.at = d.pos
	if d.pos >= len(d.buf) {
		return 0, d.fail("truncated: want 1 byte")
	}
	d.pos++
	return d.buf[d.pos-1], nil
}

func (d *decoder) u32() (uint32, error) {
	d.at = d.pos
	if len(d.buf)-d.pos < 4 {
		return 0, d.fail("truncated: want 4 bytes, %d left", len(d.buf)-d.pos)
	}
	v := binary.LittleEndian.Uint32(d.buf[d.pos:])
	d.pos += 4
	return v, nil
}

// bytes returns a length-prefixed view into the output (not a copy).
func (d *decoder) bytes() ([]byte, error) {
	n, err := d.u32()
	if err != nil {
		return nil, err
	}
	if uint64(n) > uint64(len(d.buf)-d.pos) {
		return nil, d.fail("length %d exceeds the %d bytes left", n, len(d.buf)-d.pos)
	}
	b := d.buf[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return b, nil
}

// decodeOutput decodes the guest's reply to a batch of inputs into one
// Outcome per input, within lim. It copies everything it keeps out of out,
// which is guest memory. An error means the whole output is unusable.
func decodeOutput(out []byte, inputs []Record, man *Manifest, lim outputLimits) ([]Outcome, error) {
	return decodeInto(out, inputs, man, lim, &Outcomes{}, nil)
}

// decodeInto is decodeOutput into the reused memory of into; seen is
// scratch of the caller's, reused too.
func decodeInto(out []byte, inputs []Record, man *Manifest, lim outputLimits, into *Outcomes, seen *[]uint8) ([]Outcome, error) {
	return (&decoder{buf: out, lim: lim, inherited: -1}).decode(inputs, man, into, seen)
}

func (d *decoder) decode(inputs []Record, man *Manifest, into *Outcomes, seen *[]uint8) ([]Outcome, error) {
	out := d.buf
	count, err := d.u32()
	if err != nil {
		return nil, err
	}
	// every entry takes at least 5 bytes: bound the count before trusting it
	if uint64(count)*5 > uint64(len(out)) {
		return nil, d.fail("entry count %d cannot fit in %d bytes", count, len(out))
	}
	outcomes := into.reset(len(inputs))
	kinds := reuse(seen, len(inputs)) // 0 none, kind of the first entry otherwise
	// one backing array for every emit: entries are grouped by index, so
	// each outcome's Emits is a contiguous run of it. The batch cap bounds
	// it, whatever count the guest claims.
	d.emits = into.emitsFor(min(uint64(count), uint64(max(d.lim.emitsPerBatch, 0))))
	last := -1
	for i := uint32(0); i < count; i++ {
		var kept uint32
		if kept, last = d.keptRun(inputs, outcomes, kinds, last, count-i); kept > 0 {
			i += kept - 1
			continue
		}
		if last, err = d.entry(inputs, outcomes, kinds, last, man); err != nil {
			into.emits = d.emits // cleared by the next batch
			return nil, err
		}
	}
	into.emits = d.emits
	if d.pos != len(out) {
		d.at = d.pos
		return nil, d.fail("%d trailing bytes after %d entries", len(out)-d.pos, count)
	}
	for i, k := range kinds {
		if k == 0 {
			outcomes[i].Err = errorf(ClassBadOutput, "record %d: guest gave no verdict", i)
		}
	}
	return outcomes, nil
}

func (d *decoder) entry(inputs []Record, outcomes []Outcome, seen []uint8, last int, man *Manifest) (int, error) {
	idx32, err := d.u32()
	if err != nil {
		return last, err
	}
	idx := int(idx32)
	if uint64(idx32) >= uint64(len(inputs)) || idx < last {
		return last, d.fail("record index %d out of order or out of range (batch of %d, previous %d)", idx32, len(inputs), last)
	}
	kind, err := d.u8()
	if err != nil {
		return last, err
	}
	if seen[idx] != 0 && (seen[idx] != kindEmit || kind != kindEmit) {
		return last, d.fail("record %d: drop or error must be its only entry", idx)
	}
	seen[idx] = kind
	switch kind {
	case kindDrop:
	case kindError:
		msg, err := d.bytes()
		if err != nil {
			return last, err
		}
		outcomes[idx].Err = &Error{Class: ClassGuest, Msg: guestText(msg, maxGuestErrorBytes)}
	case kindEmit:
		if err := d.countEmit(idx, len(outcomes[idx].Emits)); err != nil {
			return last, err
		}
		var e Emit
		if d.pos < len(d.buf) && d.buf[d.pos] == 0 && !d.plain {
			e, err = d.kept(idx, inputs[idx])
		} else if d.pos < len(d.buf) && d.buf[d.pos] == flagFields && d.proj != nil && !d.plain {
			e, err = d.keptFields(idx, inputs[idx])
		} else {
			e, err = d.emit(idx, inputs[idx], man)
		}
		if err != nil {
			return last, err
		}
		d.emits = append(d.emits, e)
		n := len(outcomes[idx].Emits) + 1
		outcomes[idx].Emits = d.emits[len(d.emits)-n : len(d.emits) : len(d.emits)]
	default:
		return last, d.fail("record %d: unknown entry kind %d", idx, kind)
	}
	return idx, nil
}

func (d *decoder) emit(idx int, in Record, man *Manifest) (Emit, error) {
	flags, err := d.u8()
	if err != nil {
		return Emit{}, err
	}
	if err := d.checkFlags(idx, flags); err != nil {
		return Emit{}, err
	}
	if err := d.inherit(idx, in); err != nil {
		return Emit{}, err
	}
	e := Emit{Value: in.Value, Unchanged: true}
	if flags&flagValue != 0 {
		if e.Value, err = d.value(idx); err != nil {
			return e, err
		}
		e.Unchanged = false
	} else if flags&flagFields == 0 {
		if err := d.chargeBytes(idx, len(in.Value)); err != nil {
			return e, err
		}
	}
	if flags&flagPort != 0 {
		if e.Port, err = d.port(idx, man); err != nil {
			return e, err
		}
	}
	if flags&flagMeta != 0 {
		if e.MetaOps, err = d.metaOps(idx); err != nil {
			return e, err
		}
	}
	if flags&flagFields != 0 {
		e.Value, e.Unchanged, err = d.fields(idx, in)
		if err == nil && !e.Unchanged {
			e.Checked, e.Refused, e.RefusedRef = d.checked(idx)
		}
	}
	return e, err
}

// kept decodes an emit whose flags are 0, the input kept as it came: what
// emit does for those flags, without its branches. It is the whole output
// of an echo.
func (d *decoder) kept(idx int, in Record) (Emit, error) {
	d.at = d.pos
	d.pos++
	if err := d.inherit(idx, in); err != nil {
		return Emit{}, err
	}
	return Emit{Value: in.Value, Unchanged: true}, d.chargeBytes(idx, len(in.Value))
}

// keptFields decodes an emit whose flags are field replacements alone,
// the input kept with some of its fields replaced: what emit does for
// those flags, without its branches. It is a projected mask's whole reply.
func (d *decoder) keptFields(idx int, in Record) (Emit, error) {
	d.at = d.pos
	d.pos++
	if err := d.inherit(idx, in); err != nil {
		return Emit{}, err
	}
	var e Emit
	var err error
	e.Value, e.Unchanged, err = d.fields(idx, in)
	if err == nil && !e.Unchanged {
		e.Checked, e.Refused, e.RefusedRef = d.checked(idx)
	}
	return e, err
}

// inherit charges the input's metadata, which every emit starts from.
func (d *decoder) inherit(idx int, in Record) error {
	if d.inherited != idx {
		d.inherited, d.inheritedSize = idx, metaBytes(in.Meta)
	}
	if err := d.chargeMetadata(idx, len(in.Meta)); err != nil {
		return err
	}
	return d.chargeBytes(idx, d.inheritedSize)
}

// value copies a rewritten value out of guest memory once it is charged.
func (d *decoder) value(idx int) ([]byte, error) {
	v, err := d.bytes()
	if err == nil {
		err = d.chargeBytes(idx, len(v))
	}
	if err != nil {
		return nil, err
	}
	return append(make([]byte, 0, len(v)), v...), nil
}

// port returns the manifest's own name for a declared port: nothing is
// allocated, and an undeclared name is quoted only in part.
func (d *decoder) port(idx int, man *Manifest) (string, error) {
	b, err := d.bytes()
	if err != nil || len(b) == 0 {
		return "", err
	}
	var ports []string
	if man != nil {
		ports = man.Ports
	}
	for _, p := range ports {
		if string(b) == p {
			return p, d.chargeBytes(idx, len(p))
		}
	}
	if man != nil && man.AnyPort() {
		return d.anyPort(idx, b)
	}
	return "", d.fail("port %s is not declared in the manifest (ports: %s)", excerpt(b), excerpts(ports))
}

// anyPort accepts a port of a manifest declaring AnyPortName: any UTF-8
// name of 1 to MaxPortBytes bytes, copied out of guest memory.
func (d *decoder) anyPort(idx int, b []byte) (string, error) {
	if len(b) > MaxPortBytes || !utf8.Valid(b) {
		return "", d.fail("port %s: a port name is 1 to %d bytes of UTF-8", excerpt(b), MaxPortBytes)
	}
	return string(b), d.chargeBytes(idx, len(b))
}

func (d *decoder) metaOps(idx int) ([]MetaOp, error) {
	n, err := d.u32()
	if err != nil {
		return nil, err
	}
	if uint64(n)*5 > uint64(len(d.buf)-d.pos) {
		return nil, d.fail("metadata op count %d cannot fit in %d bytes", n, len(d.buf)-d.pos)
	}
	if err := d.chargeMetadata(idx, int(n)); err != nil {
		return nil, err
	}
	ops := make([]MetaOp, 0, n)
	for i := uint32(0); i < n; i++ {
		op, err := d.metaOp(idx)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func (d *decoder) metaOp(idx int) (MetaOp, error) {
	code, err := d.u8()
	if err != nil {
		return MetaOp{}, err
	}
	var op MetaOp
	if op.Key, err = d.text(idx, "metadata key"); err != nil {
		return op, err
	}
	switch code {
	case opSet:
		var v []byte
		if v, err = d.bytes(); err == nil {
			err = d.chargeBytes(idx, len(v))
		}
		if err == nil {
			op.Value = string(v)
		}
	case opDelete:
		op.Delete = true
	default:
		err = d.fail("unknown metadata op %d", code)
	}
	return op, err
}

// text copies a charged, UTF-8 name out of guest memory.
func (d *decoder) text(idx int, what string) (string, error) {
	b, err := d.bytes()
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", d.fail("%s is not valid UTF-8", what)
	}
	if err := d.chargeBytes(idx, len(b)); err != nil {
		return "", err
	}
	return string(b), nil
}
