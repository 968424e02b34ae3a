package runtime_test

import (
	"context"
	"encoding/binary"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// bigBatch lets a hostile guest write tens of MiB of output: generous
// fuel and a deadline a loaded machine meets (the guests stop on their own).
var bigBatch = runtime.PoolConfig{Fuel: 1 << 40, Timeout: 2 * time.Minute}

// command is the one 16-byte record the fanout and logflood guests obey.
func command(args ...uint32) []runtime.Record {
	var v []byte
	for i := range 4 {
		a := uint32(0)
		if i < len(args) {
			a = args[i]
		}
		v = binary.LittleEndian.AppendUint32(v, a)
	}
	return []runtime.Record{{Value: v}}
}

// allocated runs f and returns how many bytes of Go heap it allocated, all
// goroutines included: an upper bound on what f kept.
func allocated(f func()) uint64 {
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	f()
	goruntime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// heapBound is far below what any of the bombs below would take if decoded
// (10M emits are ~720 MiB of decoded structs, 13M ops ~500 MiB) and far
// above what refusing them takes (the emit slice is preallocated up to
// max_emits_per_batch, ~7 MiB).
const heapBound = 64 << 20

const (
	modeEmits = 0
	modeOps   = 1
	modeError = 2
)

// TestFanOutBombIsRefusedWithBoundedHeap: one 16-byte input answered with
// 10,485,760 unchanged emits (63 MB of output, under max_output_bytes) once
// became as many Benthos messages and 7.5 GB of RSS.
func TestFanOutBombIsRefusedWithBoundedHeap(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, wat(t, "fanout"), bigBatch)
	var err error
	start := time.Now()
	heap := allocated(func() { _, err = p.Process(context.Background(), command(10_485_760, modeEmits)) })
	t.Logf("refused in %s, %d KiB of Go heap allocated", time.Since(start), heap>>10)
	require.ErrorIs(t, err, runtime.ErrBadOutput)
	assert.Contains(t, err.Error(), `transform "fanout@0.0.0"`)
	assert.Contains(t, err.Error(), "record 0: more than 10000 emits, the cap per record: raise max_emits_per_record")
	assert.Less(t, heap, uint64(heapBound))
	requireFanOut(t, p, 3)
	requireStillServes(t, e)
}

// requireFanOut checks the pool still answers a good batch: n emits.
func requireFanOut(t *testing.T, p *runtime.Pool, n int) {
	t.Helper()
	out, err := p.Process(context.Background(), command(uint32(n), modeEmits))
	require.NoError(t, err)
	require.Len(t, out[0].Emits, n)
	assert.True(t, out[0].Emits[0].Unchanged)
}

func TestFanOutCapsHoldExactlyAtTheLimit(t *testing.T) {
	cases := []struct {
		name  string
		cfg   runtime.PoolConfig
		limit int
		want  string
	}{
		{"per record (default)", runtime.PoolConfig{}, 10_000, "raise max_emits_per_record"},
		{"per batch", runtime.PoolConfig{MaxEmitsPerRecord: 1 << 30, MaxEmitsPerBatch: 500}, 500, "cap of 500 emits: raise max_emits_per_batch"},
		{"expanded bytes", runtime.PoolConfig{MaxExpandedBytes: 16 * 100}, 100, "cap of 1600 expanded bytes: raise max_expanded_bytes"},
	}
	e, _ := newEngine(t, runtime.EngineConfig{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Fuel, cfg.Timeout = bigBatch.Fuel, bigBatch.Timeout
			p := newPool(t, e, wat(t, "fanout"), cfg)
			requireFanOut(t, p, c.limit)
			_, err := p.Process(context.Background(), command(uint32(c.limit+1), modeEmits))
			require.ErrorIs(t, err, runtime.ErrBadOutput)
			assert.Contains(t, err.Error(), "record 0: ")
			assert.Contains(t, err.Error(), c.want)
			requireFanOut(t, p, 1)
		})
	}
}

// TestMetadataOpBombIsRefusedBeforeAllocating: 13M metadata deletes fit in
// 65 MB of output; decoded, they were half a GiB of Go heap.
func TestMetadataOpBombIsRefusedBeforeAllocating(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	cfg := bigBatch
	cfg.MaxOutputBytes = 128 << 20
	p := newPool(t, e, wat(t, "fanout"), cfg)
	var err error
	heap := allocated(func() { _, err = p.Process(context.Background(), command(13_000_000, modeOps)) })
	t.Logf("%d KiB of Go heap allocated", heap>>10)
	require.ErrorIs(t, err, runtime.ErrBadOutput)
	assert.Contains(t, err.Error(), "record 0: the batch's output passes the cap of 1000000 metadata entries: raise max_metadata_per_batch")
	assert.Less(t, heap, uint64(heapBound))
	out, err := p.Process(context.Background(), command(1000, modeOps))
	require.NoError(t, err, "a thousand ops are fine")
	assert.Len(t, out[0].Emits[0].MetaOps, 1000)
}

// TestHugeGuestErrorIsTruncated: an ERROR entry's message becomes metadata
// of the failed message; 32 MiB of it is cut to a few KiB.
func TestHugeGuestErrorIsTruncated(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, wat(t, "fanout"), bigBatch)
	var out []runtime.Outcome
	var err error
	heap := allocated(func() { out, err = p.Process(context.Background(), command(32<<20, modeError)) })
	require.NoError(t, err)
	require.ErrorIs(t, out[0].Err, runtime.ErrGuest)
	msg := out[0].Err.Error()
	assert.Less(t, len(msg), 8<<10)
	assert.True(t, strings.HasSuffix(msg, "EEE…(33550336 more bytes)"), msg[len(msg)-40:])
	assert.Less(t, heap, uint64(1<<20))
}

// TestBadBufferPointerIsReported: the pointer weir_buffer returned is in
// the error, not the 0 it was reset to.
func TestBadBufferPointerIsReported(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	m, err := e.Load(context.Background(), wat(t, "badbuffer"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	p, err := m.NewPool(context.Background(), runtime.PoolConfig{})
	require.NoError(t, err, "weir_init(0) needs no buffer")
	t.Cleanup(func() { p.Close(context.Background()) })
	_, err = p.Process(context.Background(), records("x"))
	require.ErrorIs(t, err, runtime.ErrBadOutput)
	assert.Contains(t, err.Error(), "weir_buffer(13) returned pointer 4294967040: [4294967040, 4294967053) is outside linear memory of 131072 bytes")
	_, err = p.Process(context.Background(), records(""))
	assert.Contains(t, err.Error(), "weir_buffer(12) returned the null pointer", "the replacement instance asks again")
}
