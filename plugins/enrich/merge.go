package main

import (
	"bytes"
	"fmt"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// merge appends to dst the record doc with value written at the target:
// every value already there is replaced; without one, the key is added
// at the end of every occurrence of the parent object. The record has
// been validated (findKey), and the value too (found).
func (e *enricher) merge(b *batchState, dst, doc, value []byte) ([]byte, error) {
	spans, _ := e.path.Spans(doc, b.spans[:0])
	if len(spans) == 0 {
		return e.insert(b, dst, doc, value)
	}
	b.spans = spans
	prev := 0
	for _, s := range spans {
		dst = append(append(dst, doc[prev:s.Start]...), value...)
		prev = s.End
	}
	return append(dst, doc[prev:]...), nil
}

// insert adds "key":value before the closing brace of every parent.
func (e *enricher) insert(b *batchState, dst, doc, value []byte) ([]byte, error) {
	parents := b.spans[:0]
	if len(e.target) == 1 {
		start := len(doc) - len(bytes.TrimLeft(doc, " \t\r\n"))
		parents = append(parents, jsonpath.Span{Start: start, End: len(bytes.TrimRight(doc, " \t\r\n"))})
	} else {
		parents, _ = e.parent.Spans(doc, parents)
	}
	b.spans = parents
	if len(parents) == 0 {
		return dst, fmt.Errorf("enrich: target %s: the record has no %s to add it to", e.path, e.parent)
	}
	prev := 0
	for _, s := range parents {
		if doc[s.Start] != '{' {
			return dst, fmt.Errorf("enrich: target %s: its parent is not an object", e.path)
		}
		closing := s.End - 1
		dst = append(dst, doc[prev:closing]...)
		if len(bytes.TrimSpace(doc[s.Start+1:closing])) > 0 {
			dst = append(dst, ',')
		}
		dst = jsonpath.AppendQuote(dst, e.target[len(e.target)-1])
		dst = append(append(dst, ':'), value...)
		prev = closing
	}
	return append(dst, doc[prev:]...), nil
}
