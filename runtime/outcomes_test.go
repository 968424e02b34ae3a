package runtime

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzReusedOutcomesDecodeAsFresh: decoding into Outcomes and scratch
// that earlier batches used (a fan-out, rewrites, metadata ops, errors)
// gives the outcomes, or the error, that decoding into fresh memory gives,
// and the kept-record fast paths (kept, keptRun) agree with the general
// emit decoding and the checked reads of every entry (decoder.plain).
func FuzzReusedOutcomesDecodeAsFresh(f *testing.F) {
	f.Add([]byte(out{}.u32(1).u32(0).u8(kindEmit).u8(0)), 1, uint8(0))
	f.Add([]byte(out{}.u32(2).u32(0).u8(kindEmit).u8(0).u32(0).u8(kindEmit).u8(0)), 2, uint8(1))
	f.Add([]byte(out{}.u32(1).u32(0).u8(kindEmit).u8(flagValue).str("x")), 1, uint8(0))
	f.Add([]byte(out{}.u32(1).u32(0).u8(kindError).str("e")), 2, uint8(1))
	f.Add([]byte(emits(5)), 1, uint8(2))
	f.Add([]byte(out{}.u32(1).u32(0).u8(kindEmit).u8(0)), 1, uint8(0xf3))
	f.Add([]byte(out{}.u32(4).u32(0).u8(kindEmit).u8(0).u32(0).u8(kindEmit).u8(0).u32(2).u8(kindEmit).u8(0).u32(1).u8(kindEmit).u8(0)), 3, uint8(0x51))
	f.Add([]byte(out{}.u32(3).u32(0).u8(kindEmit).u8(0).u32(1).u8(kindEmit).u8(0).u32(2).u8(kindEmit)), 3, uint8(0x23))
	f.Add([]byte(out{}.u32(3).u32(0).u8(kindEmit).u8(0).u32(1).u8(kindDrop).u32(2).u8(kindEmit).u8(0)), 3, uint8(0xa2))
	f.Add([]byte(emitsKept(7)), 7, uint8(0xf2))
	earlier := [][]byte{
		emits(5),
		out{}.u32(3).u32(0).u8(kindEmit).u8(flagValue | flagMeta).str("new").u32(1).u8(opSet).str("k").str("v").
			u32(1).u8(kindError).str("bad").u32(2).u8(kindEmit).u8(flagPort).str("p"),
	}
	f.Fuzz(func(t *testing.T, buf []byte, n int, seed uint8) {
		in := make([]Record, n&7)
		for i := range in {
			in[i].Value = bytes.Repeat([]byte("v"), int(seed>>4)+i)
			for j := 0; j < int(seed&3); j++ {
				in[i].Meta = append(in[i].Meta, Meta{"k", "meta"})
			}
		}
		man := &Manifest{Ports: []string{"p"}}
		cfg := PoolConfig{MaxEmitsPerRecord: 3, MaxEmitsPerBatch: 5, MaxExpandedBytes: 64, MaxMetadataPerBatch: 6}
		lim := cfg.outputLimits(in)
		want, wantErr := decodeOutput(buf, in, man, lim)
		for i := range in {
			keptAsEmit(t, i, in[i], man, lim, outputUse{bytes: int(seed) % 64, metadata: int(seed) % 7})
		}

		var into Outcomes
		var seen []uint8
		for _, e := range earlier {
			prev := make([]Record, 3)
			_, _ = decodeInto(e, prev, man, unlimited, &into, &seen)
		}
		got, err := decodeInto(buf, in, man, lim, &into, &seen)
		plain, plainErr := (&decoder{buf: buf, lim: lim, inherited: -1, plain: true}).decode(in, man, &Outcomes{}, nil)
		if wantErr != nil {
			require.EqualError(t, err, wantErr.Error())
			require.EqualError(t, plainErr, wantErr.Error(), "the fast paths and the checked reads disagree")
			return
		}
		require.NoError(t, err)
		require.NoError(t, plainErr)
		require.Equal(t, want, got)
		require.Equal(t, plain, want, "the fast paths and the checked reads disagree")
	})
}

// emitsKept is a reply keeping n records, one entry each.
func emitsKept(n int) out {
	o := out{}.u32(uint32(n))
	for i := 0; i < n; i++ {
		o = o.u32(uint32(i)).u8(kindEmit).u8(0)
	}
	return o
}

// keptAsEmit checks that the kept fast path decodes a flags-0 emit as emit
// does, from the same state: same emit, same error, same charges.
func keptAsEmit(t *testing.T, idx int, in Record, man *Manifest, lim outputLimits, use outputUse) {
	fast := decoder{buf: []byte{0}, lim: lim, use: use, inherited: -1}
	plain := fast
	e1, err1 := fast.kept(idx, in)
	e2, err2 := plain.emit(idx, in, man)
	if err2 != nil {
		require.EqualError(t, err1, err2.Error())
	} else {
		require.NoError(t, err1)
	}
	require.Equal(t, e2, e1)
	require.Equal(t, plain.use, fast.use)
	require.Equal(t, plain.pos, fast.pos)
}

// BenchmarkDecodeKept decodes an echo's output for a batch of 64 records
// into reused Outcomes: the host's share of a kept record.
//
//	go test -run XXX -bench DecodeKept -count 6 ./runtime
func BenchmarkDecodeKept(b *testing.B) {
	in := make([]Record, 64)
	for i := range in {
		in[i].Value = bytes.Repeat([]byte("v"), 500)
	}
	buf := out{}.u32(64)
	for i := range in {
		buf = buf.u32(uint32(i)).u8(kindEmit).u8(0)
	}
	lim := PoolConfig{}.withDefaults().outputLimits(in)
	var into Outcomes
	var seen []uint8
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := decodeInto(buf, in, &Manifest{}, lim, &into, &seen); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*64), "ns/msg")
}
