package weir

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// fieldsBatchFunc, when set, sees every projected record's fields before
// the fields handler runs.
var fieldsBatchFunc func(b *FieldsBatch) error

// OnFieldsBatch is OnBatch for a projecting transform: f is called once
// per projected batch, before the HandleFields handler sees any of its
// records, with every record's fields. It is where a transform collects
// its records' keys and resolves them with one kv.GetMany, for the
// handler to use by Fields.Index. Returning an error fails every record
// of the batch with it. Call it from an init function.
func OnFieldsBatch(f func(b *FieldsBatch) error) { fieldsBatchFunc = f }

// FieldsBatch is a read-only view of one projected batch: its records'
// fields, views into the batch valid until the batch ends.
type FieldsBatch struct {
	in     []byte
	fields []field // every record's, back to back
	first  []int   // record i's are fields[first[i]:first[i+1]]
}

// Len is the number of records in the batch.
func (v *FieldsBatch) Len() int { return len(v.first) - 1 }

// Fields is the number of fields record rec has.
func (v *FieldsBatch) Fields(rec int) int { return v.first[rec+1] - v.first[rec] }

// Field is the path, type and value of field i of record rec, as
// Fields.Field reports them to the handler.
func (v *FieldsBatch) Field(rec, i int) (path int, typ FieldType, value []byte) {
	if uint(i) >= uint(v.Fields(rec)) {
		panic(indexError{i, v.Fields(rec)})
	}
	f := v.fields[v.first[rec]+i]
	return int(f.path), f.typ, v.in[f.start:f.end:f.end]
}

// Index is the record's position in its batch (0 for the first), the
// rec of FieldsBatch.Field.
func (r *Fields) Index() int { return r.b.idx }

// beforeFields runs the OnFieldsBatch function on the n records of b.in,
// each decoded once here (the handler's loop decodes them again: a few
// bytes per field). Its error becomes every record's.
func (b *fieldsBatch) beforeFields(n int, paths uint32) error {
	b.batchErr = nil
	if fieldsBatchFunc == nil {
		return nil
	}
	v := &b.view
	v.in, v.fields, v.first = b.in, v.fields[:0], append(v.first[:0], 0)
	for range n {
		if err := b.decode(paths); err != nil {
			return err
		}
		v.fields = append(v.fields, b.rec.fields...)
		v.first = append(v.first, len(v.fields))
	}
	b.pos = 4
	b.batchErr = callFieldsBatchFunc(v)
	return nil
}

// callFieldsBatchFunc runs the OnFieldsBatch function, a panic being its
// error.
func callFieldsBatchFunc(v *FieldsBatch) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicError{p}
		}
	}()
	return fieldsBatchFunc(v)
}

var errInsertBeforeProject = errors.New("weir: Insertable: call Project first, then Insertable with indices into its paths")

// Insertable marks paths of the last Project call, by their index in its
// list, as insertion paths: where such a path's last key is missing from
// an object its parent path finds (the record itself for a one-key path),
// the handler gets a field of type TypeAbsent (no value) at that place,
// and setting it (SetJSON, SetString) adds "key":value at the end of that
// object. Where the key is there, it is an ordinary field, and setting it
// replaces it: a key is never added twice. A path ending in * cannot be
// inserted. Call it from OnInit, after Project.
func Insertable(indices ...int) error {
	if projection.paths == 0 {
		return errInsertBeforeProject
	}
	out := projection.declared[:projection.pathsEnd:projection.pathsEnd]
	out = binary.LittleEndian.AppendUint32(out, uint32(len(indices)))
	prev := -1
	for _, i := range indices {
		if i <= prev || i >= projection.paths {
			return fmt.Errorf("weir: Insertable: index %d: want increasing indices below %d (the paths declared)", i, projection.paths)
		}
		prev = i
		out = binary.LittleEndian.AppendUint32(out, uint32(i))
	}
	projection.declared = out
	return nil
}
