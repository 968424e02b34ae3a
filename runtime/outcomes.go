package runtime

// Outcomes is memory for a batch's outcomes that Pool.ProcessInto reuses
// from one batch to the next, so that a steady stream allocates nothing
// for its verdicts. The zero value is ready to use.
//
// What ProcessInto returns aliases it: the outcomes, and their Emits
// slices, stay valid until the next ProcessInto with the same Outcomes.
// Values the guest rewrote and metadata ops are not part of it: they are
// allocated per batch and belong to the caller. An Outcomes is used by one
// batch at a time. It keeps the largest emit array a batch needed, at
// most PoolConfig.MaxEmitsPerBatch emits (or the batch's record count).
type Outcomes struct {
	list  []Outcome
	emits []Emit // the previous batch's emits, cleared before reuse
}

// reset returns n cleared outcomes, reusing the list.
func (o *Outcomes) reset(n int) []Outcome {
	if o.list == nil || cap(o.list) < n { // never nil, even for n = 0, as before reuse
		o.list = make([]Outcome, n)
		return o.list
	}
	o.list = o.list[:n]
	clear(o.list)
	return o.list
}

// emitsFor returns an empty emit array of capacity at least n, reusing the
// previous one's memory once it is cleared (its values and ports must not
// outlive the batch that made them).
func (o *Outcomes) emitsFor(n uint64) []Emit {
	clear(o.emits)
	if uint64(cap(o.emits)) < n {
		o.emits = make([]Emit, 0, n)
	}
	return o.emits[:0]
}

// reuse returns n zero bytes, reusing *buf when there is one.
func reuse(buf *[]uint8, n int) []uint8 {
	if buf == nil {
		return make([]uint8, n)
	}
	if cap(*buf) < n {
		*buf = make([]uint8, n)
	}
	*buf = (*buf)[:n]
	clear(*buf)
	return *buf
}
