package runtime_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// The README calls echo.wat a complete transform: it must take batches far
// larger than the two pages it starts with, whether the input (large
// values) or the output (many records) is what does not fit.
func TestEchoWATGrowsMemoryForLargeBatches(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, wat(t, "echo"), runtime.PoolConfig{})
	for name, batch := range map[string][]runtime.Record{
		"large values": {{Value: bytes.Repeat([]byte("v"), 300<<10)}, {Value: []byte("x")}, {Value: bytes.Repeat([]byte("w"), 200<<10)}},
		"many records": make([]runtime.Record, 40_000), // 320 KB in, 240 KB out
	} {
		t.Run(name, func(t *testing.T) {
			out, err := p.Process(context.Background(), batch)
			require.NoError(t, err)
			require.Len(t, out, len(batch))
			for i, o := range out {
				require.NoError(t, o.Err, "record %d", i)
				require.Len(t, o.Emits, 1, "record %d", i)
				assert.True(t, o.Emits[0].Unchanged, "record %d", i)
			}
		})
	}
	out, err := p.Process(context.Background(), records("small", "after"))
	require.NoError(t, err, "a small batch after the large ones")
	assert.Len(t, out, 2)
}
