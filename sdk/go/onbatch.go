package weir

import "encoding/binary"

// batchFunc, when set, sees every record's value before the handler runs.
var batchFunc func(values [][]byte) error

// OnBatch registers a function called once per batch, before the handler
// sees any of its records, with every record's value: views into the
// batch, valid until the batch ends, values[i] being the record whose
// Record.Index is i. It is where a transform collects its records' keys
// and resolves them with one kv.GetMany, for the handler to use by
// index. Returning an error fails every record of the batch with it.
// Call it from an init function; it applies to Handle, not HandleFields.
func OnBatch(f func(values [][]byte) error) { batchFunc = f }

// Index is the record's position in its batch (0 for the first).
func (r *Record) Index() int { return r.idx }

// scanValues finds the value of each of the batch's n records, without
// running anything: OnBatch's view of the batch.
func (b *batch) scanValues(n int) error {
	le := binary.LittleEndian
	in, pos := b.in, 4
	b.values = b.values[:0]
	for range n {
		if len(in)-pos < 8 {
			return errTruncated
		}
		vn := uint64(le.Uint32(in[pos:]))
		pos += 4
		if vn > uint64(len(in)-pos-4) {
			return errTruncated
		}
		end := pos + int(vn)
		b.values = append(b.values, in[pos:end:end])
		mc := le.Uint32(in[end:])
		var err error
		if _, pos, err = readMeta(in, end+4, mc, b.scratch[:0]); err != nil {
			return err
		}
	}
	return nil
}

// beforeBatch runs the OnBatch function; its error becomes every record's.
func (b *batch) beforeBatch(n int) error {
	b.batchErr = nil
	if batchFunc == nil {
		return nil
	}
	if err := b.scanValues(n); err != nil {
		return err
	}
	b.batchErr = callBatchFunc(b.values)
	return nil
}

// callBatchFunc runs the OnBatch function, a panic being its error.
func callBatchFunc(values [][]byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicError{p}
		}
	}()
	return batchFunc(values)
}
