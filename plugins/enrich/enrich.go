package main

import (
	"bytes"
	"fmt"

	weir "github.com/weirstream/weir/sdk/go"
	"github.com/weirstream/weir/sdk/go/jsonpath"
	"github.com/weirstream/weir/sdk/go/kv"
)

// batchState is one batch's lookups: per record its key's result (or
// why it has none), resolved by one kv.GetMany before any record is
// handled. Its slices are reused batch after batch.
type batchState struct {
	recs    []lookup
	keys    [][]byte
	arena   []byte // decoded keys
	results []kv.Result
	out     []byte             // the enriched values
	spans   []jsonpath.Span    // every record's target and parent spans, back to back
	found   [3][]jsonpath.Span // the record being scanned: spans by path (key, target, parent)
	each    func(path, start, end int)
}

// lookup is one record's: an error that fails it, or the index of its
// key's result (-1: the record has no key), and where its target's and
// its target parent's values are (spans[targets:parents],
// spans[parents:end]).
type lookup struct {
	err                   error
	result                int
	targets, parents, end int
}

// onBatch finds every record's key and looks them all up in one call.
func (e *enricher) onBatch(b *batchState, values [][]byte) error {
	b.recs, b.keys, b.arena, b.out, b.spans = b.recs[:0], b.keys[:0], b.arena[:0], b.out[:0], b.spans[:0]
	if b.each == nil {
		b.each = func(p, start, end int) { b.found[p] = append(b.found[p], jsonpath.Span{Start: start, End: end}) }
	}
	for _, v := range values {
		key, err := e.findKey(b, v)
		l := lookup{err: err, result: -1, targets: len(b.spans)}
		if err == nil && key != nil {
			l.result = len(b.keys)
			b.keys = append(b.keys, key)
		}
		b.spans = append(b.spans, b.found[1]...)
		l.parents = len(b.spans)
		b.spans = append(b.spans, b.found[2]...)
		l.end = len(b.spans)
		b.recs = append(b.recs, l)
	}
	b.results = b.results[:0]
	if len(b.keys) > 0 {
		b.results = kv.GetMany(Namespace, b.keys)
	}
	return nil
}

// findKey returns the record's key (nil: none), or why the record fails:
// it is not JSON, or its key path has several values (JSON parsers
// disagree on which duplicate they keep: enriching with one of them could
// join the record with another's data).
func (e *enricher) findKey(b *batchState, doc []byte) ([]byte, error) {
	for i := range b.found {
		b.found[i] = b.found[i][:0]
	}
	err := e.set.Each(doc, b.each)
	spans := b.found[0]
	switch {
	case err != nil:
		b.found[1], b.found[2] = b.found[1][:0], b.found[2][:0]
		return nil, fmt.Errorf("enrich: record is not JSON: %w", err)
	case len(spans) > 1:
		return nil, fmt.Errorf("enrich: key %s has %d values in the record, want one", e.key, len(spans))
	case len(spans) == 0:
		return nil, nil
	}
	raw := doc[spans[0].Start:spans[0].End]
	switch raw[0] {
	case '"':
		start := len(b.arena)
		b.arena, _ = jsonpath.AppendUnquoted(b.arena, raw)
		return b.arena[start:len(b.arena):len(b.arena)], nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return raw, nil
	}
	return nil, nil // an object, array, boolean or null is no key
}

// handle enriches one record from its key's result.
func (e *enricher) handle(b *batchState, r *weir.Record) error {
	l := b.recs[r.Index()]
	if l.err != nil {
		return l.err
	}
	if l.result < 0 {
		return e.miss(r, fmt.Sprintf("no key at %s", e.key))
	}
	key := b.keys[l.result]
	value, why, err := e.outcome(key, b.results[l.result])
	if why != "" || err != nil {
		return orMiss(e, r, why, err)
	}
	return e.found(b, l, r, key, value)
}

// outcome is what a key's result means: the value found, or why it is a
// miss, or the error that fails the record.
func (e *enricher) outcome(key []byte, res kv.Result) (value []byte, miss string, err error) {
	switch res.Status {
	case kv.Found:
		return res.Value, "", nil
	case kv.Miss:
		return nil, fmt.Sprintf("no value for key %q", key), nil
	case kv.InvalidKey:
		return nil, "", fmt.Errorf("enrich: key %.64q: empty or longer than the grant's max_key_bytes", key)
	case kv.TooLarge:
		return nil, "", fmt.Errorf("enrich: key %q: value of %d bytes, over the grant's max_value_bytes", key, res.Size)
	}
	return nil, "", fmt.Errorf("enrich: key %q: lookup failed: %s", key, res.Status)
}

// orMiss is err, or the miss applied.
func orMiss(e *enricher, r router, why string, err error) error {
	if err != nil {
		return err
	}
	return e.miss(r, why)
}

func (e *enricher) found(b *batchState, l lookup, r *weir.Record, key, value []byte) error {
	value = bytes.TrimSpace(value) // as setTarget writes it
	if err := jsonpath.Validate(value); err != nil {
		return fmt.Errorf("enrich: key %q: the stored value is not JSON: %w", key, err)
	}
	start := len(b.out)
	out, err := e.merge(b.out, r.Value(), value, b.spans[l.targets:l.parents], b.spans[l.parents:l.end])
	if err != nil {
		return err
	}
	b.out = out
	r.SetValue(out[start:len(out):len(out)])
	return nil
}

// router is a record that can be routed: full-value or projected.
type router interface{ Route(ports ...string) }

// miss applies on_miss.
func (e *enricher) miss(r router, why string) error {
	switch e.onMiss {
	case "flag":
		return fmt.Errorf("enrich: %s (namespace %s)", why, Namespace)
	case "route":
		r.Route(e.missPort)
	}
	return nil
}
