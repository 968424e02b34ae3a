package runtime

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// This file keeps the reading of field replacements as it was before
// replacementHead (one checked read per number), unchanged but for the
// names: FuzzReplacementsAgreeWithReference holds the fast reading to it.

// replacements reads and checks n replacements into d.proj.repls and
// returns the size of the spliced value (docLen bytes before).
func (d *decoder) refReplacements(idx int, fs []field, n, docLen int) (int, error) {
	d.proj.repls = d.proj.repls[:0]
	size, last := docLen, -1
	for k := 0; k < n; k++ {
		f, err := d.u32()
		if err != nil {
			return 0, err
		}
		if uint64(f) >= uint64(len(fs)) || int(f) <= last {
			return 0, d.fail("record %d: field index %d out of order or out of range (%d fields, previous %d)", idx, f, len(fs), last)
		}
		last = int(f)
		r, grown, err := d.refReplacement(idx, last)
		if err != nil {
			return 0, err
		}
		size += grown - (fs[last].end - fs[last].start)
		d.proj.repls = append(d.proj.repls, r)
	}
	return size, nil
}

// replacement reads one replacement's type and value, checks it, and
// returns it with the size it will take in the document.
func (d *decoder) refReplacement(idx, field int) (repl, int, error) {
	typ, err := d.u8()
	if err != nil {
		return repl{}, 0, err
	}
	v, err := d.bytes()
	if err != nil {
		return repl{}, 0, err
	}
	r := repl{field: field, typ: typ, value: v}
	switch typ {
	case replText:
		n, ok := quotedText(v)
		if !ok {
			return r, 0, d.fail("record %d: field %d: type 1 (text) replacement %s is not valid UTF-8", idx, field, excerpt(v))
		}
		r.plain = n == len(v)+2
		return r, n, nil
	case replJSON:
		if err := jsonpath.Validate(v); err != nil {
			return r, 0, d.fail("record %d: field %d: type 0 (raw JSON) replacement %s is not one JSON value: %v", idx, field, excerpt(v), err)
		}
		return r, len(v), nil
	}
	return r, 0, d.fail("record %d: field %d: unknown replacement type %d (0 raw JSON, 1 text)", idx, field, typ)
}

// FuzzReplacementsAgreeWithReference: for any reply, reading n
// replacements of a record with a given number of fields gives what the
// reference reading gives: the same size, the same replacements, the same
// position and the same error, offset and message included.
func FuzzReplacementsAgreeWithReference(f *testing.F) {
	f.Add([]byte(out{}.u32(0).u8(1).str("z").u32(2).u8(0).str("[]")), uint8(2), uint8(3))
	f.Add([]byte(out{}.u32(1).u8(1).str("a\"b\xff")), uint8(1), uint8(2))
	f.Add([]byte(out{}.u32(0).u8(0).str("{").u32(0)), uint8(2), uint8(1))
	f.Add([]byte(out{}.u32(1).u8(1).str("x").u32(1).u8(1).str("y")), uint8(2), uint8(3))
	f.Add([]byte(out{}.u32(0).u8(7).str("x")), uint8(1), uint8(1))
	f.Add([]byte(out{}.u32(0).u8(1).u32(9)), uint8(1), uint8(1))
	f.Add([]byte(out{}.u32(0).u8(1)), uint8(1), uint8(1))
	f.Add([]byte(out{}.u32(5)), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, reply []byte, n, fields uint8) {
		fs := make([]field, fields%8)
		for i := range fs {
			fs[i] = field{start: 2 * i, end: 2*i + 1}
		}
		got := &decoder{buf: reply, proj: &projection{}}
		want := &decoder{buf: reply, proj: &projection{}}
		gsize, gerr := got.replacements(0, fs, int(n%8), make([]byte, 100))
		wsize, werr := want.refReplacements(0, fs, int(n%8), 100)
		require.Equal(t, werr, gerr)
		if werr == nil {
			require.Equal(t, wsize, gsize)
			require.Equal(t, want.proj.repls, got.proj.repls)
			require.Equal(t, want.pos, got.pos)
		}
	})
}

// FuzzKeptFieldsAsEmit: the fast path of an emit whose flags are field
// replacements alone decodes it as emit does, from the same state: the
// same emit (the same spliced value), the same error, the same charges.
func FuzzKeptFieldsAsEmit(f *testing.F) {
	f.Add(`{"a":"x","b":[1,"y"]}`, []byte(out{}.u32(2).u32(0).u8(1).str("z").u32(2).u8(0).str("[]")), uint8(0))
	f.Add(`{"a":1}`, []byte(out{}.u32(1).u32(0).u8(0).str(`{"k":1}`)), uint8(3))
	f.Add(`{"a":"\u0041"}`, []byte(out{}.u32(0)), uint8(9))
	f.Add(`{"a":"x"}`, []byte(out{}.u32(1).u32(0).u8(1).str("\xff")), uint8(1))
	f.Fuzz(func(t *testing.T, doc string, reply []byte, seed uint8) {
		in := Record{Value: []byte(doc)}
		for j := 0; j < int(seed&3); j++ {
			in.Meta = append(in.Meta, Meta{"k", "meta"})
		}
		lim := PoolConfig{MaxExpandedBytes: 256, MaxMetadataPerBatch: 2}.withDefaults().outputLimits([]Record{in})
		use := outputUse{bytes: int(seed>>2) % 64, metadata: int(seed>>2) % 3}
		decode := func(fast bool) (Emit, error, decoder) {
			p := newProjection(t, "a", "b.*", "*")
			p.scan([]Record{in}, "t")
			d := decoder{buf: append([]byte{flagFields}, reply...), lim: lim, use: use, inherited: -1, proj: p}
			if fast {
				e, err := d.keptFields(0, in)
				return e, err, d
			}
			e, err := d.emit(0, in, &Manifest{})
			return e, err, d
		}
		e1, err1, fast := decode(true)
		e2, err2, plain := decode(false)
		require.Equal(t, err2, err1)
		require.Equal(t, e2, e1)
		require.Equal(t, plain.use, fast.use)
		require.Equal(t, plain.pos, fast.pos)
	})
}
