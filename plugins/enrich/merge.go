package main

import (
	"bytes"
	"fmt"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// merge appends to dst the record doc with value written at the target:
// every value already there (spans) is replaced; without one, the key is
// added at the end of every occurrence of the parent object (parents, or
// the record itself for a one-key target). The record has been validated
// and scanned (findKey), and the value validated (found).
func (e *enricher) merge(dst, doc, value []byte, spans, parents []jsonpath.Span) ([]byte, error) {
	if len(spans) == 0 {
		return e.insert(dst, doc, value, parents)
	}
	prev := 0
	for _, s := range spans {
		dst = append(append(dst, doc[prev:s.Start]...), value...)
		prev = s.End
	}
	return append(dst, doc[prev:]...), nil
}

// insert adds "key":value before the closing brace of every parent.
func (e *enricher) insert(dst, doc, value []byte, parents []jsonpath.Span) ([]byte, error) {
	var root [1]jsonpath.Span
	if len(e.target) == 1 {
		start := len(doc) - len(bytes.TrimLeft(doc, " \t\r\n"))
		root[0] = jsonpath.Span{Start: start, End: len(bytes.TrimRight(doc, " \t\r\n"))}
		parents = root[:]
	}
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
