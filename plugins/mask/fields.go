package main

import (
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
// gets its rule's mask.
func (m *masker) applyFields(r *weir.Fields) error {
	for i := range r.Len() {
		text, ok, err := m.maskField(r.Path(i), r.Type(i), r.Value(i))
		if err != nil {
			return err
		}
		if ok {
			r.SetStringBytes(i, text)
		}
	}
	return nil
}

// maskField is the masked text of one value at rule p's path, the JSON
// string the host writes in its place (ok false: the value stays). It
// follows mask exactly: a string's decoded text, a number's or boolean's
// text are masked; an object or array is replaced whole (action redact
// only, other actions refuse the record); null stays. The text aliases a
// buffer the next call reuses.
func (m *masker) maskField(p int, typ weir.FieldType, value []byte) (text []byte, ok bool, err error) {
	r := &m.rules[p]
	switch typ {
	case weir.TypeNull:
		return nil, false, nil
	case weir.TypeObject, weir.TypeArray:
		if r.Action != "redact" {
			return nil, false, containerError(r)
		}
		m.text = append(m.text[:0], r.With...)
		return m.text, true, nil
	}
	m.text = m.maskText(m.text[:0], r.With, r, value)
	return m.text, true, nil
}
