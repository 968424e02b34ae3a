package runtime

import (
	"bytes"
	"log/slog"
	"math"
	goruntime "runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unlimited decodes without output caps.
var unlimited = outputLimits{math.MaxInt, math.MaxInt, math.MaxInt, math.MaxInt}

// emits is an output giving record 0 n unchanged emits.
func emits(n int) out {
	o := out{}.u32(uint32(n))
	for i := 0; i < n; i++ {
		o = o.u32(0).u8(kindEmit).u8(0)
	}
	return o
}

func TestOutputCapsHoldAtTheLimitAndFailOneOver(t *testing.T) {
	in := []Record{{Value: []byte("0123456789"), Meta: []Meta{{"k", "vv"}}}} // 13 bytes, 1 entry per emit
	withOps := func(n int) out {
		o := out{}.u32(1).u32(0).u8(kindEmit).u8(flagMeta).u32(uint32(n))
		for i := 0; i < n; i++ {
			o = o.u8(opSet).str("a").str("b")
		}
		return o
	}
	cases := []struct {
		name       string
		lim        outputLimits
		atLimit    out
		overLimit  out
		field, msg string
	}{
		{"emits per record", outputLimits{3, 100, 1 << 20, 1 << 20}, emits(3), emits(4),
			"max_emits_per_record", "record 0: more than 3 emits"},
		{"emits per batch", outputLimits{100, 3, 1 << 20, 1 << 20}, emits(3), emits(4),
			"max_emits_per_batch", "record 0: the batch's output passes the cap of 3 emits"},
		{"expanded bytes", outputLimits{100, 100, 3 * 13, 1 << 20}, emits(3), emits(4),
			"max_expanded_bytes", "cap of 39 expanded bytes"},
		{"metadata entries", outputLimits{100, 100, 1 << 20, 1 + 4}, withOps(4), withOps(5),
			"max_metadata_per_batch", "cap of 5 metadata entries"},
		{"expanded bytes of ops", outputLimits{100, 100, 13 + 2*4, 1 << 20}, withOps(4), withOps(5),
			"max_expanded_bytes", "cap of 21 expanded bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeOutput(c.atLimit, in, &Manifest{}, c.lim)
			require.NoError(t, err, "exactly at the cap")
			_, err = decodeOutput(c.overLimit, in, &Manifest{}, c.lim)
			require.ErrorIs(t, err, ErrBadOutput)
			assert.Contains(t, err.Error(), c.msg)
			assert.Contains(t, err.Error(), "raise "+c.field)
		})
	}
}

func TestBatchCapsNeverRefuseKeepingEveryRecord(t *testing.T) {
	in := []Record{{Value: []byte("aaaa"), Meta: []Meta{{"k", "v"}, {"k2", "v"}}}, {Value: []byte("bb")}}
	cfg := PoolConfig{MaxEmitsPerRecord: 1, MaxEmitsPerBatch: 1, MaxExpandedBytes: 1, MaxMetadataPerBatch: 1}
	keep := out{}.u32(2).u32(0).u8(kindEmit).u8(0).u32(1).u8(kindEmit).u8(0)
	o, err := decodeOutput(keep, in, &Manifest{}, cfg.outputLimits(in))
	require.NoError(t, err)
	assert.Len(t, o, 2)
	fanOut := out{}.u32(2).u32(0).u8(kindEmit).u8(0).u32(0).u8(kindEmit).u8(0)
	_, err = decodeOutput(fanOut, in[:1], &Manifest{}, cfg.outputLimits(in[:1]))
	require.ErrorIs(t, err, ErrBadOutput, "a second emit is fan-out")
}

func TestCountsAreBoundedByTheCapBeforeAllocating(t *testing.T) {
	in := []Record{{Value: []byte("x")}}
	lim := outputLimits{1 << 20, 1 << 20, 1 << 30, 10}
	// 2^20 ops claimed, all present: refused before the op slice is made
	o := out{}.u32(1).u32(0).u8(kindEmit).u8(flagMeta).u32(1 << 20).
		u8(opDelete).u32(0)
	o = append(o, make([]byte, 5<<20)...)
	// what matters is that nothing proportional to the claimed count is
	// allocated (2^20 ops would be ~40 MiB), not the exact number of small
	// allocations, which -race changes
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	for range 5 {
		_, err := decodeOutput(o, in, &Manifest{}, lim)
		require.Error(t, err)
	}
	goruntime.ReadMemStats(&after)
	assert.Less(t, (after.TotalAlloc-before.TotalAlloc)/5, uint64(64<<10), "bytes allocated per decode")
}

func TestGuestErrorsAndPortsAreQuotedWithinBounds(t *testing.T) {
	in := []Record{{Value: []byte("x")}}
	long := strings.Repeat("é", 1<<20) // 2 MiB of 2-byte characters
	o, err := decodeOutput(out{}.u32(1).u32(0).u8(kindError).str(long), in, &Manifest{}, unlimited)
	require.NoError(t, err)
	msg := o[0].Err.(*Error).Msg
	assert.LessOrEqual(t, len(msg), maxGuestErrorBytes+32)
	assert.True(t, strings.HasPrefix(msg, "éé"))
	assert.Contains(t, msg, "…(2093056 more bytes)", "cut at a character boundary: 4096 bytes kept")

	_, err = decodeOutput(out{}.u32(1).u32(0).u8(kindEmit).u8(flagPort).str(long), in, &Manifest{Ports: []string{"a"}}, unlimited)
	require.ErrorIs(t, err, ErrBadOutput)
	assert.Less(t, len(err.Error()), 1024)
	assert.Contains(t, err.Error(), "(2097152 bytes) is not declared")

	many := &Manifest{Ports: make([]string, 100_000)}
	for i := range many.Ports {
		many.Ports[i] = "pppppppppp"
	}
	_, err = decodeOutput(out{}.u32(1).u32(0).u8(kindEmit).u8(flagPort).str("q"), in, many, unlimited)
	require.ErrorIs(t, err, ErrBadOutput)
	assert.Less(t, len(err.Error()), 1024, "a module's own names are quoted in part too")
	assert.Contains(t, err.Error(), "…99992 more]")
}

func TestPortsAreTheManifestsOwnStrings(t *testing.T) {
	man := &Manifest{Ports: []string{"high"}}
	o, err := decodeOutput(out{}.u32(1).u32(0).u8(kindEmit).u8(flagPort).str("high"), []Record{{}}, man, unlimited)
	require.NoError(t, err)
	assert.Equal(t, "high", o[0].Emits[0].Port)
	assert.Same(t, unsafeData(man.Ports[0]), unsafeData(o[0].Emits[0].Port), "no copy per routed emit")
}

func FuzzDecodeOutput(f *testing.F) {
	f.Add([]byte(out{}.u32(1).u32(0).u8(kindEmit).u8(flagValue).str("x")), 1, uint8(0))
	f.Add([]byte(out{}.u32(1).u32(0).u8(kindError).str("e")), 2, uint8(1))
	f.Add([]byte(emits(5)), 1, uint8(2))
	f.Add([]byte(out{}.u32(1).u32(0).u8(kindEmit).u8(flagMeta|flagPort).str("p").u32(2).u8(opSet).str("k").str("v").u8(opDelete).str("d")), 1, uint8(3))
	f.Fuzz(func(t *testing.T, buf []byte, n int, seed uint8) {
		in := make([]Record, n&7)
		for i := range in {
			in[i].Value = bytes.Repeat([]byte("v"), int(seed>>4)+i)
			for j := 0; j < int(seed&3); j++ {
				in[i].Meta = append(in[i].Meta, Meta{"k", "meta"})
			}
		}
		cfg := PoolConfig{MaxEmitsPerRecord: 3, MaxEmitsPerBatch: 5, MaxExpandedBytes: 64, MaxMetadataPerBatch: 6}
		lim := cfg.outputLimits(in)
		o, err := decodeOutput(buf, in, &Manifest{Ports: []string{"p"}}, lim)
		if err != nil {
			require.ErrorIs(t, err, ErrBadOutput)
			return
		}
		require.Len(t, o, len(in))
		checkWithin(t, o, in, lim)
	})
}

// checkWithin recounts decoded outcomes against the limits, independently
// of the decoder's own accounting.
func checkWithin(t *testing.T, o []Outcome, in []Record, lim outputLimits) {
	var use outputUse
	for i, oc := range o {
		require.LessOrEqual(t, len(oc.Emits), lim.emitsPerRecord, "record %d", i)
		if oc.Err != nil {
			require.Empty(t, oc.Emits)
			require.LessOrEqual(t, len(oc.Err.Error()), maxGuestErrorBytes+64)
		}
		for _, e := range oc.Emits {
			use.emits++
			use.bytes += len(e.Value) + len(e.Port) + metaBytes(in[i].Meta)
			use.metadata += len(in[i].Meta) + len(e.MetaOps)
			for _, op := range e.MetaOps {
				use.bytes += len(op.Key) + len(op.Value)
			}
			if e.Unchanged {
				require.Equal(t, in[i].Value, e.Value)
			}
		}
	}
	require.LessOrEqual(t, use.emits, lim.emitsPerBatch)
	require.LessOrEqual(t, use.bytes, lim.expandedBytes)
	require.LessOrEqual(t, use.metadata, lim.metadata)
}

// testClock is a clock that moves only when told.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time          { return c.t }
func (c *testClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestLogBucketLetsThroughItsBurstThenItsRate(t *testing.T) {
	var out bytes.Buffer
	var reported logCount
	l := newGuestLog(slog.New(slog.NewTextHandler(&out, nil)), "t@1", PoolConfig{
		LogLinesPerSecond: 100, LogBytesPerSecond: 1 << 20,
		OnLogsDropped: func(lines, bytes int64) { reported.add(lines, bytes) },
	})
	clock := &testClock{t: time.Unix(1e9, 0)}
	l.setClock(clock.now, 100, 1<<20)
	admitted := 0
	for i := 0; i < 100_000; i++ {
		if l.admit(10) {
			admitted++
		}
	}
	assert.Equal(t, 100*logBurstSeconds, admitted, "the burst: ten seconds' worth")
	clock.advance(500 * time.Millisecond)
	for i := 0; i < 1000; i++ {
		if l.admit(10) {
			admitted++
		}
	}
	assert.Equal(t, 100*logBurstSeconds+50, admitted, "half a second refills 50 lines")
	dropped := int64(101_000 - admitted) // 99,950
	assert.Equal(t, logCount{dropped, dropped * 10}, l.dropped())

	l.report(false)
	assert.Equal(t, logCount{dropped, dropped * 10}, reported)
	assert.Equal(t, 1, strings.Count(out.String(), "dropped"), "one summary line")
	assert.Contains(t, out.String(), `weir: transform \"t@1\": dropped 99950 guest log lines (999500 bytes in all`)
	l.admit(1_000_000) // dropped: no tokens left
	l.report(false)
	assert.Equal(t, 1, strings.Count(out.String(), "dropped"), "the next summary waits")
	l.report(true)
	assert.Equal(t, 2, strings.Count(out.String(), "dropped"), "a final summary")
	assert.Contains(t, out.String(), "dropped 1 guest log lines (1000000 bytes")
}

func TestLogBucketInBytes(t *testing.T) {
	l := newGuestLog(slog.New(slog.DiscardHandler), "t@1", PoolConfig{LogLinesPerSecond: 1000, LogBytesPerSecond: 1})
	clock := &testClock{t: time.Unix(1e9, 0)}
	l.setClock(clock.now, 1000, 1)
	assert.True(t, l.admit(1<<30), "the byte burst holds at least one full line")
	assert.False(t, l.admit(1))
	assert.Equal(t, logCount{1, 1<<30 - maxLogBytes + 1}, l.dropped(), "the truncated tail and the dropped line")
}

func TestClip(t *testing.T) {
	assert.Equal(t, "abc", clip([]byte("abc"), 3, 3))
	assert.Equal(t, "ab…(2 more bytes)", clip([]byte("abcd"), 2, 4))
	assert.Equal(t, "a…(3 more bytes)", clip([]byte("aéb"), 2, 4), "not inside a character")
	assert.Equal(t, "ab…(8 more bytes)", clip([]byte("ab"), 16, 10), "a head shorter than the message")
}

func unsafeData(s string) *byte { return unsafe.StringData(s) }
