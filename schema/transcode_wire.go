package schema

import (
	"math"
	"slices"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// wireReader walks binary protobuf with a plan: it checks what
// proto.Unmarshal into the type would check (wire types, UTF-8, nesting),
// evaluates the compiled rules, and, when asked, writes the JSON
// protojson.MarshalOptions{UseProtoNames: true} writes. Like the JSON
// side it returns false for anything it does not take (a singular field
// sent twice, a repeated map key, a wrong wire type); the caller then
// asks dynamicpb, whose answer (and error, with the field path) stands.
type wireReader struct {
	maxDepth int
	depth    int
	write    bool
	in       []byte
	out      []byte
	fields   []wireField // the fields of the messages being read, a stack
	seen     []uint64    // a bit per field of the messages being read, a stack
	kvs      []mapKV     // the entries of the maps being read, a stack
}

// wireField is one occurrence of a field on the wire. It holds no
// pointers (the field by index, the content by offsets in the record), so
// the stacks of them cost the garbage collector nothing.
type wireField struct {
	idx    int32 // in its plan's fields
	wt     protowire.Type
	lo, hi int    // length-delimited content, in wireReader.in
	v      uint64 // a varint or fixed value
}

func (r *wireReader) run(p *plan, b []byte) bool {
	r.depth, r.in = 0, b
	ok := r.message(p, 0, len(b))
	r.in = nil
	return ok
}

func (r *wireReader) bytes(wf *wireField) []byte { return r.in[wf.lo:wf.hi] }

func (r *wireReader) message(p *plan, lo, hi int) bool {
	if r.depth++; r.depth >= r.maxDepth {
		return false
	}
	defer func() { r.depth-- }()
	base, seenBase := len(r.fields), len(r.seen)
	for i := 0; i < (len(p.fields)+63)/64; i++ {
		r.seen = append(r.seen, 0)
	}
	defer func() { r.fields, r.seen = r.fields[:base], r.seen[:seenBase] }()
	if !r.scan(p, lo, hi, seenBase) {
		return false
	}
	fs := r.fields[base:]
	sortByIndex(fs)
	if !r.present(p, seenBase) {
		return false
	}
	if p.timestamp {
		return r.timestamp(p, fs)
	}
	if r.write {
		r.out = append(r.out, '{')
	}
	first := true
	for i := 0; i < len(fs); {
		j := i + 1
		for j < len(fs) && fs[j].idx == fs[i].idx {
			j++
		}
		if !r.field(&p.fields[fs[i].idx], r.fields[base+i:base+j], &first) {
			return false
		}
		fs = r.fields[base:] // a nested message may have grown the stack
		i = j
	}
	if r.write {
		r.out = append(r.out, '}')
	}
	return true
}

// scan appends the fields of one message, checked as proto.Unmarshal
// checks them; unknown fields are skipped (dynamicpb keeps them, protojson
// does not write them, validation does not see them).
// Each field read is marked in r.seen from seenBase.
func (r *wireReader) scan(p *plan, lo, hi, seenBase int) bool {
	for b := r.in[lo:hi]; len(b) > 0; {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		f := p.field(num)
		if f == nil {
			if num >= protowire.FirstReservedNumber || wt == protowire.StartGroupType || wt == protowire.EndGroupType {
				return false
			}
			if n = protowire.ConsumeFieldValue(num, wt, b); n < 0 {
				return false
			}
			b = b[n:]
			continue
		}
		wf := wireField{idx: int32(f.index), wt: wt}
		if n = wf.read(f, b, hi-len(b)); n < 0 {
			return false
		}
		b = b[n:]
		bit, w := uint64(1)<<(f.index%64), seenBase+f.index/64
		if r.seen[w]&bit != 0 && !f.list && !f.isMap() {
			return false // last one wins on the wire: left to dynamicpb
		}
		r.seen[w] |= bit
		r.fields = append(r.fields, wf)
	}
	return true
}

// read consumes the field's value, refusing a wire type the field's kind
// does not have (dynamicpb would keep it as unknown: the misplaced check).
// b starts at offset at in the record.
func (wf *wireField) read(f *fieldPlan, b []byte, at int) int {
	packed := wf.wt == protowire.BytesType && f.list && f.wire != protowire.BytesType
	if wf.wt != f.wire && !packed {
		return -1
	}
	var n int
	switch wf.wt {
	case protowire.VarintType:
		wf.v, n = protowire.ConsumeVarint(b)
	case protowire.Fixed32Type:
		var v uint32
		v, n = protowire.ConsumeFixed32(b)
		wf.v = uint64(v)
	case protowire.Fixed64Type:
		wf.v, n = protowire.ConsumeFixed64(b)
	case protowire.BytesType:
		var v []byte
		v, n = protowire.ConsumeBytes(b)
		if n < 0 || f.kind == protoreflect.StringKind && !utf8.Valid(v) {
			return -1
		}
		wf.lo = at + n - len(v)
		wf.hi = wf.lo + len(v)
	default:
		return -1
	}
	return n
}

// sortByIndex puts the fields in declaration order, a repeated field's
// occurrences kept in wire order; O(n log n), a record may hold millions.
func sortByIndex(fs []wireField) {
	slices.SortStableFunc(fs, func(a, b wireField) int { return int(a.idx) - int(b.idx) })
}

// present checks the fields whose absence breaks a rule.
func (r *wireReader) present(p *plan, seenBase int) bool {
	for _, f := range p.mustSee {
		if r.seen[seenBase+f.index/64]&(1<<(f.index%64)) == 0 {
			return false
		}
	}
	return true
}

// field checks and writes one field's occurrences (all of them, for a
// list or a map).
func (r *wireReader) field(f *fieldPlan, occ []wireField, first *bool) bool {
	switch {
	case f.isMap():
		return r.mapField(f, occ, first)
	case f.list:
		return r.list(f, occ, first)
	}
	wf := occ[0]
	if !r.check(f, &wf) {
		return false
	}
	if f.kind != protoreflect.MessageKind && wf.zero() {
		return true // proto3: a zero value is not set, and not written
	}
	r.name(f, first)
	return r.value(f, &wf)
}

func (r *wireReader) name(f *fieldPlan, first *bool) {
	if !r.write {
		return
	}
	if !*first {
		r.out = append(r.out, ',')
	}
	*first = false
	r.out = append(r.out, f.jsonOut...)
}

func (wf *wireField) zero() bool {
	if wf.wt == protowire.BytesType {
		return wf.hi == wf.lo
	}
	return wf.v == 0
}

// check evaluates the field's rules on one value.
func (r *wireReader) check(f *fieldPlan, wf *wireField) bool {
	if f.rules == nil {
		return true
	}
	switch f.kind {
	case protoreflect.StringKind:
		return f.okString(r.bytes(wf))
	case protoreflect.BytesKind, protoreflect.MessageKind:
		return true // no compiled rules but required, and it is here
	case protoreflect.EnumKind:
		return f.okEnum(int32(wf.v))
	case protoreflect.BoolKind:
		return !(f.rules.required && wf.v == 0)
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return f.okFloat(wireFloat(f.kind, wf.v))
	}
	if _, unsigned := intShape(f.kind); unsigned {
		return f.okUint(wireUint(f.kind, wf.v))
	}
	return f.okInt(wireInt(f.kind, wf.v))
}

// wireInt, wireUint and wireFloat decode a scalar as protobuf-go does.
func wireInt(k protoreflect.Kind, v uint64) int64 {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Sfixed32Kind:
		return int64(int32(v))
	case protoreflect.Sint32Kind:
		return int64(int32(protowire.DecodeZigZag(v & math.MaxUint32)))
	case protoreflect.Sint64Kind:
		return protowire.DecodeZigZag(v)
	}
	return int64(v)
}

func wireUint(k protoreflect.Kind, v uint64) uint64 {
	if k == protoreflect.Uint32Kind || k == protoreflect.Fixed32Kind {
		return uint64(uint32(v))
	}
	return v
}

func wireFloat(k protoreflect.Kind, v uint64) float64 {
	if k == protoreflect.FloatKind {
		return float64(math.Float32frombits(uint32(v)))
	}
	return math.Float64frombits(v)
}

// list checks and writes a repeated field: each occurrence is one
// element, or a packed run of them.
func (r *wireReader) list(f *fieldPlan, occ []wireField, first *bool) bool {
	n, ok := r.countElems(f, occ)
	if !ok || f.rules != nil && (f.rules.required && n == 0 || f.rules.items(n)) {
		return false
	}
	if n == 0 {
		return true
	}
	r.name(f, first)
	if r.write {
		r.out = append(r.out, '[')
	}
	firstElem := true
	for i := range occ {
		if !r.elems(f, &occ[i], &firstElem) {
			return false
		}
	}
	if r.write {
		r.out = append(r.out, ']')
	}
	return true
}

func (r *wireReader) countElems(f *fieldPlan, occ []wireField) (int, bool) {
	n := 0
	for i := range occ {
		if occ[i].wt != protowire.BytesType || f.wire == protowire.BytesType {
			n++
			continue
		}
		for b := r.bytes(&occ[i]); len(b) > 0; n++ {
			m := consumeScalar(f.wire, b, nil)
			if m < 0 {
				return 0, false
			}
			b = b[m:]
		}
	}
	return n, true
}

// consumeScalar reads one packed element into v (when not nil).
func consumeScalar(wt protowire.Type, b []byte, v *uint64) int {
	var x uint64
	var n int
	switch wt {
	case protowire.VarintType:
		x, n = protowire.ConsumeVarint(b)
	case protowire.Fixed32Type:
		var y uint32
		y, n = protowire.ConsumeFixed32(b)
		x = uint64(y)
	default:
		x, n = protowire.ConsumeFixed64(b)
	}
	if v != nil {
		*v = x
	}
	return n
}

func (r *wireReader) elems(f *fieldPlan, wf *wireField, first *bool) bool {
	if wf.wt != protowire.BytesType || f.wire == protowire.BytesType {
		r.comma(first)
		return r.value(f, wf)
	}
	for b := r.bytes(wf); len(b) > 0; {
		e := wireField{idx: wf.idx, wt: f.wire}
		b = b[consumeScalar(f.wire, b, &e.v):] // counted before: well formed
		r.comma(first)
		if !r.value(f, &e) {
			return false
		}
	}
	return true
}

func (r *wireReader) comma(first *bool) {
	if r.write && !*first {
		r.out = append(r.out, ',')
	}
	*first = false
}
