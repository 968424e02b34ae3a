package schema

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// jsonToWire transcodes protobuf JSON straight to the binary form
// proto.MarshalOptions{Deterministic: true} writes for the same message
// (fields by number, proto3 zero values left out, numbers packed, map
// entries by key), evaluating the compiled rules on the way. It returns
// false for anything it does not accept; the caller then asks protojson.
type jsonToWire struct {
	scanner
	out      []byte
	depth    int
	maxDepth int
	seen     []uint64 // a bit per field, a stack of messages
	spans    []span   // where each field's bytes went, a stack of messages
	entries  []entry  // map entries, a stack of maps
	reorder  []byte

	// node is where the projection's paths (project.go) lead in the value
	// being read, nil off them; found collects the values they end at.
	node  *pathNode
	found []Found
	// skip: check only, writing nothing but what the check reads back (a
	// map's entries, for their order and repeated keys; bytes, decoded).
	skip bool
}

// span is one field's encoding in out.
type span struct {
	num        protowire.Number
	start, end int
}

// entry is one map entry's encoding in out, and its key when it is a
// number or a bool (a string key is read back from the entry).
type entry struct {
	start, end int
	num        int64
	unum       uint64
}

func (t *jsonToWire) run(p *plan, in []byte) bool {
	t.in, t.pos, t.depth = in, 0, 0
	return t.message(p) && t.end()
}

func (t *jsonToWire) message(p *plan) bool {
	if t.depth++; t.depth >= t.maxDepth {
		return false // at the limit protojson decides (it counts differently)
	}
	defer func() { t.depth-- }()
	if !t.eat('{') {
		return false
	}
	seenBase, spanBase, start := len(t.seen), len(t.spans), len(t.out)
	for i := 0; i < (len(p.fields)+63)/64; i++ {
		t.seen = append(t.seen, 0)
	}
	defer func() { t.seen, t.spans = t.seen[:seenBase], t.spans[:spanBase] }()
	if !t.members(p, seenBase) {
		return false
	}
	for _, f := range p.mustSee {
		if t.seen[seenBase+f.index/64]&(1<<(f.index%64)) == 0 {
			return false
		}
	}
	return t.inNumberOrder(start, t.spans[spanBase:])
}

// members reads the fields, marking each in t.seen from seenBase (by
// index: a nested message may move the stack).
func (t *jsonToWire) members(p *plan, seenBase int) bool {
	if t.eat('}') {
		return true
	}
	for prev := -1; ; {
		f, ok := t.field(p, prev)
		if !ok {
			return false
		}
		prev = f.index
		bit, w := uint64(1)<<(uint(f.index)%64), seenBase+int(uint(f.index)/64)
		if t.seen[w]&bit != 0 {
			return false // duplicate
		}
		t.seen[w] |= bit
		parent := t.node
		t.node = parent.child(f.index)
		ok = t.member(f)
		t.node = parent
		if !ok {
			return false
		}
		if t.eat(',') {
			continue
		}
		return t.eat('}')
	}
}

// field reads a member's key and its colon and finds its field. The key
// of the field declared after prev, in either spelling that names it, is
// matched in place, quotes included: keys mostly come in declaration
// order, and a quoted key without escapes is exactly its bytes.
func (t *jsonToWire) field(p *plan, prev int) (*fieldPlan, bool) {
	if next := prev + 1; next < len(p.fields) && t.peek() == '"' && t.pos <= len(t.in)-8 {
		f := &p.fields[next]
		w := binary.LittleEndian.Uint64(t.in[t.pos:])
		for i := range f.quotedKeys {
			if q := &f.quotedKeys[i]; w&q.mask == q.word && q.restAt(t.in, t.pos) {
				if t.pos += q.n; t.pos < len(t.in) && t.in[t.pos] == ':' {
					t.pos++ // the colon right after the key: no whitespace to skip
					return f, true
				}
				return f, t.eat(':')
			}
		}
	}
	k, ok := t.key()
	if !ok {
		return nil, false
	}
	f := p.fieldByKey(k, prev)
	return f, f != nil
}

// member reads one field's value, noting it when a path ends there.
func (t *jsonToWire) member(f *fieldPlan) bool {
	n := t.node
	if n == nil || n.end < 0 {
		return t.memberValue(f)
	}
	t.node = nil // nothing inside a found value is found again
	t.ws()
	start := t.pos
	ok := t.memberValue(f)
	t.node = n
	return ok && t.note(n, start)
}

// note records the value read from start as found at n.
func (t *jsonToWire) note(n *pathNode, start int) bool {
	t.found = append(t.found, Found{Path: n.end, Ref: n.ref, Start: start, End: t.pos})
	return true
}

// memberValue reads one field's value; null leaves the field unset.
func (t *jsonToWire) memberValue(f *fieldPlan) bool {
	if t.peek() == 'n' {
		return t.literal("null") && !f.absentBad
	}
	start := len(t.out)
	var ok bool
	switch {
	case f.isMap():
		ok = t.mapValue(f)
	case f.list:
		ok = t.list(f)
	default:
		ok = t.singular(f, false)
	}
	if ok && len(t.out) > start {
		t.spans = append(t.spans, span{num: f.num, start: start, end: len(t.out)})
	}
	return ok
}

// inNumberOrder moves the fields of the message written from start into
// number order, unless they came that way. There are at most as many
// spans as the type has fields (a key twice fails), so an insertion sort.
func (t *jsonToWire) inNumberOrder(start int, spans []span) bool {
	sorted := true
	for i := 1; i < len(spans); i++ {
		if spans[i].num < spans[i-1].num {
			sorted = false
		}
	}
	if sorted {
		return true
	}
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j].num < spans[j-1].num; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	t.reorder = t.reorder[:0]
	for _, s := range spans {
		t.reorder = append(t.reorder, t.out[s.start:s.end]...)
	}
	copy(t.out[start:], t.reorder)
	return true
}

func (t *jsonToWire) list(f *fieldPlan) bool {
	if !t.eat('[') {
		return false
	}
	start, n := len(t.out), 0
	var lenAt int
	if f.packed && !t.skip {
		t.out = append(t.out, f.packedTag...)
		lenAt = len(t.out)
		t.out = append(t.out, 0)
	}
	if !t.eat(']') {
		for {
			if !t.element(f, n) {
				return false
			}
			n++
			if t.eat(',') {
				continue
			}
			if !t.eat(']') {
				return false
			}
			break
		}
	}
	switch {
	case n == 0:
		t.out = t.out[:start]
	case f.packed && !t.skip:
		t.out = finishLength(t.out, lenAt)
	}
	r := f.rules
	return r == nil || !(r.required && n == 0) && !r.items(n)
}

// element reads the k-th element of list f, noting it when a path ends
// there.
func (t *jsonToWire) element(f *fieldPlan, k int) bool {
	if t.peek() == 'n' {
		return false
	}
	list := t.node
	if list == nil {
		return t.singular(f, true)
	}
	e := list.elem(k)
	start := t.pos
	var ok bool
	if e != nil && e.end >= 0 {
		t.node = nil
		ok = t.singular(f, true) && t.note(e, start)
	} else {
		t.node = e
		ok = t.singular(f, true)
	}
	t.node = list
	return ok
}

// singular writes one value with its tag (a packed element without);
// inList writes zero values too, as lists and map entries keep them.
func (t *jsonToWire) singular(f *fieldPlan, inList bool) bool {
	keep := inList
	switch f.kind {
	case protoreflect.MessageKind:
		return t.nested(f)
	case protoreflect.StringKind:
		v, ok := t.str()
		if !ok || !f.okString(v) {
			return false
		}
		if (keep || len(v) > 0) && !t.skip {
			t.out = protowire.AppendBytes(append(t.out, f.tag...), v)
		}
		return true
	case protoreflect.BytesKind:
		return t.bytesValue(f, keep)
	case protoreflect.BoolKind:
		return t.boolValue(f, keep, inList)
	case protoreflect.EnumKind:
		return t.enumValue(f, keep, inList)
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return t.floatValue(f, keep, inList)
	}
	return t.intValue(f, keep, inList)
}

func (t *jsonToWire) nested(f *fieldPlan) bool {
	if t.skip {
		if f.msg.timestamp {
			return t.timestamp()
		}
		return t.message(f.msg)
	}
	t.out = append(t.out, f.tag...)
	lenAt := len(t.out)
	t.out = append(t.out, 0)
	var ok bool
	if f.msg.timestamp {
		ok = t.timestamp()
	} else {
		ok = t.message(f.msg)
	}
	t.out = finishLength(t.out, lenAt)
	return ok
}

// timestamp writes google.protobuf.Timestamp from its RFC 3339 form, with
// protojson's own parse and checks.
func (t *jsonToWire) timestamp() bool {
	if t.depth+1 >= t.maxDepth {
		return false
	}
	v, ok := t.str()
	if !ok {
		return false
	}
	secs, nanos, ok := parseTimestamp(string(v))
	if !ok {
		return false
	}
	if t.skip {
		return true
	}
	if secs != 0 {
		t.out = protowire.AppendVarint(append(t.out, 0x08), uint64(secs))
	}
	if nanos != 0 {
		t.out = protowire.AppendVarint(append(t.out, 0x10), uint64(nanos))
	}
	return true
}

const (
	minTimestampSeconds = -62135596800
	maxTimestampSeconds = 253402300799
)

// finishLength writes the length of what follows lenAt into the byte
// reserved there, moving the content if the length needs more bytes.
func finishLength(b []byte, lenAt int) []byte {
	n := len(b) - lenAt - 1
	size := protowire.SizeVarint(uint64(n))
	if size == 1 {
		b[lenAt] = byte(n)
		return b
	}
	b = append(b, make([]byte, size-1)...)
	copy(b[lenAt+size:], b[lenAt+1:lenAt+1+n])
	protowire.AppendVarint(b[:lenAt], uint64(n))
	return b
}

func (t *jsonToWire) bytesValue(f *fieldPlan, keep bool) bool {
	v, ok := t.str()
	if !ok {
		return false
	}
	// protojson's choice of alphabet and padding, and the same decoder.
	enc := base64.StdEncoding
	if bytes.ContainsAny(v, "-_") {
		enc = base64.URLEncoding
	}
	if len(v)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	if !keep && len(v) == 0 {
		return true
	}
	n := enc.DecodedLen(len(v))
	t.out = append(t.out, f.tag...)
	lenAt := len(t.out)
	t.out = append(t.out, make([]byte, 1+n)...)
	m, err := enc.Decode(t.out[lenAt+1:], v)
	if err != nil {
		return false
	}
	t.out = t.out[:lenAt+1+m]
	if m == 0 && !keep {
		t.out = t.out[:lenAt-len(f.tag)]
		return true
	}
	t.out = finishLength(t.out, lenAt)
	return true
}

func (t *jsonToWire) boolValue(f *fieldPlan, keep, inList bool) bool {
	var v bool
	switch t.peek() {
	case 't':
		v = t.literal("true")
		if !v {
			return false
		}
	case 'f':
		if !t.literal("false") {
			return false
		}
	default:
		return false
	}
	if f.rules != nil && f.rules.required && !v {
		return false
	}
	if (keep || v) && !t.skip {
		t.appendTag(f, inList)
		t.out = append(t.out, b2u(v))
	}
	return true
}

func b2u(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func (t *jsonToWire) enumValue(f *fieldPlan, keep, inList bool) bool {
	var n int32
	if t.peek() == '"' {
		v, ok := t.str()
		if !ok {
			return false
		}
		num, known := f.enumByName[string(v)]
		if !known {
			return false
		}
		n = num
	} else {
		i, _, ok := t.integer(32, false)
		if !ok {
			return false
		}
		n = int32(i)
	}
	if !f.okEnum(n) {
		return false
	}
	if (keep || n != 0) && !t.skip {
		t.appendTag(f, inList)
		t.out = protowire.AppendVarint(t.out, uint64(int64(n)))
	}
	return true
}

func (t *jsonToWire) appendTag(f *fieldPlan, inList bool) {
	if !(inList && f.packed) {
		t.out = append(t.out, f.tag...)
	}
}

func (t *jsonToWire) floatValue(f *fieldPlan, keep, inList bool) bool {
	bits := 64
	if f.kind == protoreflect.FloatKind {
		bits = 32
	}
	if t.skip && f.rules == nil && t.shortDecimal() {
		return true // valid, and nothing to check or write
	}
	v, ok := t.scanner.float(bits)
	if !ok || !f.okFloat(v) {
		return false
	}
	if bits == 32 {
		u := math.Float32bits(float32(v))
		if (keep || u != 0) && !t.skip {
			t.appendTag(f, inList)
			t.out = protowire.AppendFixed32(t.out, u)
		}
		return true
	}
	if u := math.Float64bits(v); (keep || u != 0) && !t.skip {
		t.appendTag(f, inList)
		t.out = protowire.AppendFixed64(t.out, u)
	}
	return true
}

func (t *jsonToWire) intValue(f *fieldPlan, keep, inList bool) bool {
	bits, unsigned := intShape(f.kind)
	i, u, ok := t.integer(bits, unsigned)
	if !ok {
		return false
	}
	if unsigned {
		if !f.okUint(u) {
			return false
		}
		if (keep || u != 0) && !t.skip {
			t.appendTag(f, inList)
			t.out = appendUint(t.out, f.kind, u)
		}
		return true
	}
	if !f.okInt(i) {
		return false
	}
	if (keep || i != 0) && !t.skip {
		t.appendTag(f, inList)
		t.out = appendInt(t.out, f.kind, i)
	}
	return true
}

// shortDecimal reads a number of at most 15 bytes without an exponent
// (-?digits[.digits], as number checks it): always a finite float32 and
// float64, so a check without rules need not parse it. Anything else is
// left unread for float.
func (t *jsonToWire) shortDecimal() bool {
	t.ws()
	in, i := t.in, t.pos
	if i < len(in) && in[i] == '-' {
		i++
	}
	digits := i
	for i < len(in) && isDigit(in[i]) {
		i++
	}
	if i == digits || in[digits] == '0' && i-digits > 1 {
		return false
	}
	if i < len(in) && in[i] == '.' {
		frac := i + 1
		for i = frac; i < len(in) && isDigit(in[i]); i++ {
		}
		if i == frac {
			return false
		}
	}
	if i-t.pos > 15 || i < len(in) && isWordByte(in[i]) { // 'e', 'E' are word bytes
		return false
	}
	t.pos = i
	return true
}

// intShape is an integer kind's width and signedness.
func intShape(k protoreflect.Kind) (bits int, unsigned bool) {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return 32, false
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return 32, true
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return 64, true
	}
	return 64, false
}

func appendInt(b []byte, k protoreflect.Kind, v int64) []byte {
	switch k {
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return protowire.AppendVarint(b, protowire.EncodeZigZag(v))
	case protoreflect.Sfixed32Kind:
		return protowire.AppendFixed32(b, uint32(v))
	case protoreflect.Sfixed64Kind:
		return protowire.AppendFixed64(b, uint64(v))
	}
	return protowire.AppendVarint(b, uint64(v))
}

func appendUint(b []byte, k protoreflect.Kind, v uint64) []byte {
	switch k {
	case protoreflect.Fixed32Kind:
		return protowire.AppendFixed32(b, uint32(v))
	case protoreflect.Fixed64Kind:
		return protowire.AppendFixed64(b, v)
	}
	return protowire.AppendVarint(b, v)
}
