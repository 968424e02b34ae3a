package main

import (
	"bytes"
	"errors"
	"fmt"

	weir "github.com/weirstream/weir/sdk/go"
	"github.com/weirstream/weir/sdk/go/jsonpath"
	"github.com/weirstream/weir/sdk/go/kv"
)

// The projected paths: the key, and the target as an insertion path
// (docs/abi.md §4b): the host finds both, the guest never scans a record.
const (
	pathKey    = 0
	pathTarget = 1
)

// project declares the key and the target, the target insertable: where
// its key is missing from its parent object the host offers a place to
// add it.
func (e *enricher) project() error {
	if err := weir.Project(e.key.String(), e.path.String()); err != nil {
		return err
	}
	return weir.Insertable(pathTarget)
}

// fieldsState is one projected batch's lookups: per record its key's
// result, resolved by one kv.GetMany before any record is handled. The
// keys are views into the batch; the slices are reused batch after batch.
type fieldsState struct {
	recs    []fieldsLookup
	keys    [][]byte
	results []kv.Result
}

// fieldsLookup is one record's: an error that fails it, or the index of
// its key's result (-1: the record has no key).
type fieldsLookup struct {
	err    error
	result int
}

// onFieldsBatch takes every record's key from its fields and looks them
// all up in one call.
func (e *enricher) onFieldsBatch(s *fieldsState, v *weir.FieldsBatch) error {
	s.recs, s.keys = s.recs[:0], s.keys[:0]
	for rec := range v.Len() {
		key, err := e.fieldsKey(v, rec)
		l := fieldsLookup{err: err, result: -1}
		if err == nil && key != nil {
			l.result = len(s.keys)
			s.keys = append(s.keys, key)
		}
		s.recs = append(s.recs, l)
	}
	s.results = s.results[:0]
	if len(s.keys) > 0 {
		s.results = kv.GetMany(Namespace, s.keys)
	}
	return nil
}

// fieldsKey is findKey on a record's fields: a string (decoded by the
// host) or a number is the key; several values fail the record.
func (e *enricher) fieldsKey(v *weir.FieldsBatch, rec int) ([]byte, error) {
	var key []byte
	n := 0
	for i := range v.Fields(rec) {
		p, typ, val := v.Field(rec, i)
		if p != pathKey {
			continue
		}
		n++
		key = nil
		if typ == weir.TypeString || typ == weir.TypeNumber {
			key = val
		}
	}
	if n > 1 {
		return nil, fmt.Errorf("enrich: key %s has %d values in the record, want one", e.key, n)
	}
	return key, nil
}

// handleFields enriches one projected record from its key's result.
func (e *enricher) handleFields(s *fieldsState, r *weir.Fields) error {
	l := s.recs[r.Index()]
	if l.err != nil {
		return l.err
	}
	if l.result < 0 {
		return e.miss(r, fmt.Sprintf("no key at %s", e.key))
	}
	key := s.keys[l.result]
	value, why, err := e.outcome(key, s.results[l.result])
	if why != "" || err != nil {
		return orMiss(e, r, why, err)
	}
	return e.setTarget(r, key, bytes.TrimSpace(value))
}

// setTarget writes value at every target field: replacing what is there,
// or inserting it where the host offers the place (TypeAbsent).
func (e *enricher) setTarget(r *weir.Fields, key, value []byte) error {
	targets := 0
	for i := range r.Len() {
		if r.Path(i) != pathTarget {
			continue
		}
		targets++
		if err := r.SetJSON(i, value); err != nil {
			return fmt.Errorf("enrich: key %q: the stored value is not JSON: %w", key, errors.Unwrap(err))
		}
	}
	if targets == 0 { // what the stored value is comes first, as in found
		if err := jsonpath.Validate(value); err != nil {
			return fmt.Errorf("enrich: key %q: the stored value is not JSON: %w", key, err)
		}
		return e.noParent()
	}
	return nil
}

// noParent is the error of a record the target cannot be added to.
func (e *enricher) noParent() error {
	if len(e.target) == 1 {
		return fmt.Errorf("enrich: target %s: the record is not an object", e.path)
	}
	return fmt.Errorf("enrich: target %s: the record has no object %s to add it to", e.path, e.parent)
}
