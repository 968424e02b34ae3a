package main

import (
	"bytes"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// merge appends to dst the record doc with value written at the target,
// as the projected path has the host do it (fields.go): in every
// occurrence of the parent object (parents, or the record itself for a
// one-key target) the values already at the target (spans) are replaced,
// and a parent object without one gets the key added at its end. The
// record has been validated and scanned (findKey), and the value
// validated (found).
func (e *enricher) merge(dst, doc, value []byte, spans, parents []jsonpath.Span) ([]byte, error) {
	var root [1]jsonpath.Span
	if len(e.target) == 1 {
		start := len(doc) - len(bytes.TrimLeft(doc, " \t\r\n"))
		root[0] = jsonpath.Span{Start: start, End: len(bytes.TrimRight(doc, " \t\r\n"))}
		parents = root[:]
	}
	edits, prev, k := 0, 0, 0
	for _, p := range parents { // in document order, as the spans, each inside one
		inside := false
		for ; k < len(spans) && spans[k].Start < p.End; k++ {
			dst = append(append(dst, doc[prev:spans[k].Start]...), value...)
			prev, inside, edits = spans[k].End, true, edits+1
		}
		if inside || doc[p.Start] != '{' {
			continue
		}
		closing := p.End - 1
		dst = append(dst, doc[prev:closing]...)
		if len(bytes.TrimSpace(doc[p.Start+1:closing])) > 0 {
			dst = append(dst, ',')
		}
		dst = jsonpath.AppendQuote(dst, e.target[len(e.target)-1])
		dst = append(append(dst, ':'), value...)
		prev, edits = closing, edits+1
	}
	if edits == 0 {
		return dst, e.noParent()
	}
	return append(dst, doc[prev:]...), nil
}
