package schema

import (
	"bytes"
	"encoding/base64"
	"math"
	"math/bits"
	"slices"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// value writes one value (checked by the caller) as protojson writes it;
// a message is read, checked and written here.
func (r *wireReader) value(f *fieldPlan, wf *wireField) bool {
	if f.kind == protoreflect.MessageKind {
		return r.message(f.msg, wf.lo, wf.hi)
	}
	if !r.write {
		return true
	}
	switch f.kind {
	case protoreflect.StringKind:
		r.out = appendJSONString(r.out, r.bytes(wf))
	case protoreflect.BytesKind:
		r.out = append(r.out, '"')
		r.out = base64.StdEncoding.AppendEncode(r.out, r.bytes(wf))
		r.out = append(r.out, '"')
	case protoreflect.BoolKind:
		r.out = strconv.AppendBool(r.out, wf.v != 0)
	case protoreflect.EnumKind:
		if name, ok := f.enumByNum[int32(wf.v)]; ok {
			r.out = append(append(append(r.out, '"'), name...), '"')
		} else {
			r.out = strconv.AppendInt(r.out, int64(int32(wf.v)), 10)
		}
	case protoreflect.FloatKind:
		r.out = appendJSONFloat(r.out, wireFloat(f.kind, wf.v), 32)
	case protoreflect.DoubleKind:
		r.out = appendJSONFloat(r.out, wireFloat(f.kind, wf.v), 64)
	default:
		r.out = appendJSONInt(r.out, f.kind, wf.v)
	}
	return true
}

// appendJSONInt writes 32-bit integers as numbers and 64-bit ones as
// strings, the proto3 JSON mapping.
func appendJSONInt(b []byte, k protoreflect.Kind, v uint64) []byte {
	bits, unsigned := intShape(k)
	if bits == 64 {
		b = append(b, '"')
	}
	if unsigned {
		b = strconv.AppendUint(b, wireUint(k, v), 10)
	} else {
		b = strconv.AppendInt(b, wireInt(k, v), 10)
	}
	if bits == 64 {
		b = append(b, '"')
	}
	return b
}

// appendJSONFloat is protojson's float form (encoding/json's, with NaN
// and the infinities as strings).
func appendJSONFloat(out []byte, n float64, bitSize int) []byte {
	switch {
	case math.IsNaN(n):
		return append(out, `"NaN"`...)
	case math.IsInf(n, +1):
		return append(out, `"Infinity"`...)
	case math.IsInf(n, -1):
		return append(out, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(n); abs != 0 {
		if bitSize == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bitSize == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	out = strconv.AppendFloat(out, n, format, -1, bitSize)
	if format == 'e' {
		n := len(out)
		if n >= 4 && out[n-4] == 'e' && out[n-3] == '-' && out[n-2] == '0' {
			out[n-2] = out[n-1]
			out = out[:n-1]
		}
	}
	return out
}

// appendJSONString quotes valid UTF-8 as protojson does: only '"', '\\'
// and control characters are escaped.
func appendJSONString(out, s []byte) []byte {
	out = append(out, '"')
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] >= ' ' && s[i] != '"' && s[i] != '\\' {
			i++
		}
		out, s = append(out, s[:i]...), s[i:]
		if len(s) == 0 {
			break
		}
		c := s[0]
		s = s[1:]
		out = append(out, '\\')
		switch c {
		case '"', '\\':
			out = append(out, c)
		case '\b':
			out = append(out, 'b')
		case '\f':
			out = append(out, 'f')
		case '\n':
			out = append(out, 'n')
		case '\r':
			out = append(out, 'r')
		case '\t':
			out = append(out, 't')
		default:
			out = append(out, 'u')
			out = append(out, "0000"[1+(bits.Len32(uint32(c))-1)/4:]...)
			out = strconv.AppendUint(out, uint64(c), 16)
		}
	}
	return append(out, '"')
}

// timestamp writes google.protobuf.Timestamp as RFC 3339 with 0, 3, 6 or
// 9 fractional digits; out of range is protojson's error.
func (r *wireReader) timestamp(p *plan, fs []wireField) bool {
	var secs, nanos int64
	for i := range fs {
		switch p.fields[fs[i].idx].num {
		case 1:
			secs = int64(fs[i].v)
		case 2:
			nanos = int64(int32(fs[i].v))
		}
	}
	if !r.write {
		return true // no rules of its own: only its JSON form has a range
	}
	if secs < minTimestampSeconds || secs > maxTimestampSeconds || nanos < 0 || nanos >= 1e9 {
		return false
	}
	r.out = appendTimestamp(append(r.out, '"'), secs, nanos)
	r.out = append(r.out, '"')
	return true
}

// mapKV is one map entry read from the wire.
type mapKV struct {
	key, val wireField
}

// mapField checks and writes a map: entries by key (protojson sorts
// them), a repeated key left to dynamicpb.
func (r *wireReader) mapField(f *fieldPlan, occ []wireField, first *bool) bool {
	base := len(r.kvs)
	defer func() { r.kvs = r.kvs[:base] }()
	for i := range occ {
		kv := mapKV{key: wireField{wt: f.key.wire}, val: wireField{wt: f.val.wire}}
		if !readEntry(f, r.bytes(&occ[i]), occ[i].lo, &kv) {
			return false
		}
		r.kvs = append(r.kvs, kv)
	}
	kvs := r.kvs[base:]
	if !r.sortKVs(f.key.kind, kvs) {
		return false
	}
	r.name(f, first)
	if r.write {
		r.out = append(r.out, '{')
	}
	for i := range kvs {
		if r.write {
			if i > 0 {
				r.out = append(r.out, ',')
			}
			r.out = r.appendMapKey(r.out, f.key.kind, &kvs[i].key)
			r.out = append(r.out, ':')
		}
		if !r.value(f.val, &kvs[i].val) {
			return false
		}
	}
	if r.write {
		r.out = append(r.out, '}')
	}
	return true
}

// readEntry reads an entry's key (1) and value (2); either may be absent
// (then zero). Anything else in an entry is left to dynamicpb.
func readEntry(f *fieldPlan, b []byte, at int, kv *mapKV) bool {
	var seen [3]bool
	for end := at + len(b); len(b) > 0; {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 || num < 1 || num > 2 || seen[num] {
			return false
		}
		seen[num] = true
		wf, wfp := &kv.key, f.key
		if num == 2 {
			wf, wfp = &kv.val, f.val
		}
		wf.wt = wt
		b = b[n:]
		if n = wf.read(wfp, b, end-len(b)); n < 0 {
			return false
		}
		b = b[n:]
	}
	return true
}

func (r *wireReader) sortKVs(k protoreflect.Kind, kvs []mapKV) bool {
	cmp := func(a, b *mapKV) int {
		switch {
		case k == protoreflect.StringKind:
			return bytes.Compare(r.bytes(&a.key), r.bytes(&b.key))
		case k == protoreflect.BoolKind:
			return cmpOrdered(uint64(b2u(a.key.v != 0)), uint64(b2u(b.key.v != 0)))
		case numberClass(k) == classUnsigned:
			return cmpOrdered(wireUint(k, a.key.v), wireUint(k, b.key.v))
		}
		return cmpOrdered(wireInt(k, a.key.v), wireInt(k, b.key.v))
	}
	slices.SortFunc(kvs, func(a, b mapKV) int { return cmp(&a, &b) })
	for i := 1; i < len(kvs); i++ {
		if cmp(&kvs[i-1], &kvs[i]) == 0 {
			return false
		}
	}
	return true
}

func (r *wireReader) appendMapKey(b []byte, k protoreflect.Kind, key *wireField) []byte {
	switch k {
	case protoreflect.StringKind:
		return appendJSONString(b, r.bytes(key))
	case protoreflect.BoolKind:
		return append(strconv.AppendBool(append(b, '"'), key.v != 0), '"')
	}
	b = append(b, '"')
	if _, unsigned := intShape(k); unsigned {
		b = strconv.AppendUint(b, wireUint(k, key.v), 10)
	} else {
		b = strconv.AppendInt(b, wireInt(k, key.v), 10)
	}
	return append(b, '"')
}
