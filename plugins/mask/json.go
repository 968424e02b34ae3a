package main

import (
	"bytes"
	"fmt"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// compileSet groups the rules' paths for one-pass scanning.
func (m *masker) compileSet() error {
	paths := make([]jsonpath.Path, len(m.rules))
	for i, r := range m.rules {
		paths[i] = r.path
	}
	set, err := jsonpath.NewSet(paths...)
	if err != nil {
		return fmt.Errorf("mask: config: fields: %d rules, at most %d in json format", len(paths), jsonpath.MaxPaths)
	}
	m.set = set
	return nil
}

// apply masks every rule's fields. The result aliases an internal buffer
// that the next call reuses.
//
// JSON: one pass validates the whole record (strict RFC 8259, see
// jsonpath.Set.Each) and finds every value at every rule's path —
// duplicated keys and duplicated parents included, so whichever duplicate
// a reader keeps, it reads a masked value. A record that is not valid JSON
// is an error (the host flags it), never passed on. Where two rules reach
// one value the first rule in the config applies; where a rule's value
// holds another's, the outer one is masked whole.
func (m *masker) apply(doc []byte) ([]byte, error) {
	if m.proto {
		return m.applyProto(doc)
	}
	var err error
	m.spans, err = m.set.Spans(doc, m.spans[:0])
	if err != nil {
		return nil, fmt.Errorf("mask: payload is not JSON: %w", err)
	}
	if len(m.spans) == 0 {
		return doc, nil
	}
	var bad error
	out := jsonpath.ReplaceMatches(m.bufs[0][:0], doc, m.spans, func(dst []byte, p int, raw []byte) []byte {
		masked, err := m.mask(dst, &m.rules[p], raw)
		if err != nil && bad == nil {
			bad = err
		}
		return masked
	})
	if bad != nil {
		return nil, bad
	}
	m.bufs[0] = out
	return out, nil
}

// mask appends the masked form of one raw JSON value. A value of another
// type than a string is masked as its text (numbers, booleans) or whole
// (objects and arrays, action redact only; other actions refuse the
// record); null hides nothing and stays.
//
// A string without escapes is its own decoded text, already valid inside
// a JSON string (the scan checked it): the masked text is appended as it
// is, with the rule's With pre-escaped, so nothing is decoded, converted
// or quoted per record. A string with escapes is decoded first.
func (m *masker) mask(dst []byte, r *rule, raw []byte) ([]byte, error) {
	switch raw[0] {
	case 'n':
		return append(dst, raw...), nil
	case '{', '[':
		if r.Action != "redact" {
			return dst, containerError(r)
		}
		return append(append(append(dst, '"'), r.jsonWith...), '"'), nil
	case '"':
		body := raw[1 : len(raw)-1]
		if bytes.IndexByte(body, '\\') >= 0 {
			return m.maskEscaped(dst, r, raw), nil
		}
		raw = body
	}
	dst = append(dst, '"')
	dst = m.maskText(dst, r.jsonWith, r, raw)
	return append(dst, '"'), nil
}

// maskEscaped masks a string that holds escapes: decoded, masked, quoted.
func (m *masker) maskEscaped(dst []byte, r *rule, raw []byte) []byte {
	s, _ := jsonpath.Unquote(raw) // validated by the scan
	m.text = m.maskText(m.text[:0], r.With, r, []byte(s))
	return jsonpath.AppendQuote(dst, string(m.text))
}

func containerError(r *rule) error {
	return fmt.Errorf("mask: field %s is an object or array; only action redact applies", r.Path)
}
