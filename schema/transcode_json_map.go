package schema

import (
	"bytes"
	"slices"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// mapValue writes a map's entries sorted by key, as the deterministic
// marshaller does; a repeated key is protojson's error.
func (t *jsonToWire) mapValue(f *fieldPlan) bool {
	if !t.eat('{') {
		return false
	}
	base, start, skip := len(t.entries), len(t.out), t.skip
	t.skip = false // the entries are read back: written even when checking
	defer func() { t.entries, t.skip = t.entries[:base], skip }()
	if !t.eat('}') {
		for {
			if !t.mapEntry(f) {
				return false
			}
			if t.eat(',') {
				continue
			}
			if !t.eat('}') {
				return false
			}
			break
		}
	}
	es := t.entries[base:]
	if f.rules != nil && (f.rules.required && len(es) == 0) {
		return false
	}
	return t.sortEntries(f.key.kind, start, es)
}

func (t *jsonToWire) mapEntry(f *fieldPlan) bool {
	k, ok := t.key()
	if !ok {
		return false
	}
	e := entry{start: len(t.out)}
	t.out = append(t.out, f.packedTag...)
	lenAt := len(t.out)
	t.out = append(t.out, 0)
	if !t.entryKey(f.key, k, &e) {
		return false
	}
	if t.peek() == 'n' || !t.singular(f.val, true) {
		return false
	}
	t.out = finishLength(t.out, lenAt)
	e.end = len(t.out)
	t.entries = append(t.entries, e)
	return true
}

// entryKey writes the key field (always, zero or not) from the JSON key,
// parsed as protojson does.
func (t *jsonToWire) entryKey(f *fieldPlan, k []byte, e *entry) bool {
	t.out = append(t.out, f.tag...)
	switch f.kind {
	case protoreflect.StringKind:
		t.out = protowire.AppendBytes(t.out, k)
		return true
	case protoreflect.BoolKind:
		switch string(k) {
		case "true":
			e.num = 1
		case "false":
		default:
			return false
		}
		t.out = append(t.out, byte(e.num))
		return true
	}
	bits, unsigned := intShape(f.kind)
	if unsigned {
		u, err := strconv.ParseUint(string(k), 10, bits)
		e.unum = u
		t.out = appendUint(t.out, f.kind, u)
		return err == nil
	}
	i, err := strconv.ParseInt(string(k), 10, bits)
	e.num = i
	t.out = appendInt(t.out, f.kind, i)
	return err == nil
}

// sortEntries puts the map's entries, written from start, in key order
// (O(n log n): a map may hold millions); two equal keys fail (protojson:
// duplicate map key).
func (t *jsonToWire) sortEntries(k protoreflect.Kind, start int, es []entry) bool {
	less := func(a, b *entry) int {
		switch numberClass(k) {
		case classUnsigned:
			return cmpOrdered(a.unum, b.unum)
		case classSigned:
			if k != protoreflect.StringKind {
				return cmpOrdered(a.num, b.num)
			}
		}
		return bytes.Compare(t.stringKey(a), t.stringKey(b))
	}
	sorted := true
	for i := 1; i < len(es); i++ {
		if less(&es[i-1], &es[i]) >= 0 {
			sorted = false
		}
	}
	if sorted {
		return true
	}
	slices.SortFunc(es, func(a, b entry) int { return less(&a, &b) })
	for i := 1; i < len(es); i++ {
		if less(&es[i-1], &es[i]) == 0 {
			return false
		}
	}
	t.reorder = t.reorder[:0]
	for _, e := range es {
		t.reorder = append(t.reorder, t.out[e.start:e.end]...)
	}
	copy(t.out[start:], t.reorder)
	return true
}

// stringKey reads a string key back from its entry: tag, length, then
// the key field (tag 1, length, bytes).
func (t *jsonToWire) stringKey(e *entry) []byte {
	b := t.out[e.start:e.end]
	_, _, n := protowire.ConsumeTag(b)
	_, m := protowire.ConsumeVarint(b[n:])
	b = b[n+m+1:]
	k, _ := protowire.ConsumeBytes(b)
	return k
}

func cmpOrdered[T int64 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
