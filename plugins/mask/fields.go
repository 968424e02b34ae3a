package main

import (
	"encoding/binary"

	weir "github.com/weirstream/weir/sdk/go"
)

// projectedPaths is what JSON mode declares to the host: rule i's path is
// path i, so the host names a value matched by several rules by the first
// (the first rule for a value applies) and hands over an outer value
// whole, as apply does.
func (m *masker) projectedPaths() []string {
	if !m.project {
		return nil
	}
	paths := make([]string, len(m.rules))
	for i, r := range m.rules {
		paths[i] = r.Path
	}
	return paths
}

// applyFields masks a projected record: the host found every value at
// every rule's path (and refused the record if it is not JSON); each one
// gets its rule's mask, as mask gives it: a string's decoded text, a
// number's or boolean's text are masked; an object or array is replaced
// whole (action redact only, other actions refuse the record); null stays.
func (m *masker) applyFields(r *weir.Fields) error {
	for i := range r.Len() {
		p, typ, value := r.Field(i)
		ru := &m.rules[p]
		if typ >= weir.TypeNull {
			if typ == weir.TypeNull {
				continue
			}
			if ru.act != actRedact {
				return containerError(ru)
			}
		}
		// maskText's switch, inlined: a call per value is what costs in
		// Go's wasm backend. TestProjectionMatchesFullValueInTheRuntime
		// holds the two to the same output.
		dst := append(r.Scratch(), ru.With...)
		switch ru.act {
		case actLast:
			if k := len(value) - ru.Keep; k > 0 && ru.Keep <= 8 && len(value) >= 8 &&
				binary.LittleEndian.Uint64(value[len(value)-8:])>>(64-8*ru.Keep)&0x8080808080808080 == 0 { // asciiTail
				dst = append(dst, value[k:]...) // lastRunes' common case
			} else {
				dst = append(dst, lastRunes(value, ru.Keep)...)
			}
		case actEmail:
			if at := lastIndexByte(value, '@'); at >= 0 {
				dst = append(dst, value[at:]...)
			}
		case actHMAC:
			dst = m.appendHMAC(dst, value)
		}
		r.SetStringBytes(i, dst)
	}
	return nil
}
