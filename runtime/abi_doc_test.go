package runtime_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// docs/abi.md §4: weir_process always returns at least the entry count;
// a result of 0 is no output, and fails the batch, while weir_init's 0 is
// success.
func TestZeroProcessResultFailsTheBatch(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, wat(t, "zeroresult"), runtime.PoolConfig{})
	for _, batch := range [][]runtime.Record{records("a", "b"), nil} { // an empty batch is sent to the guest too
		_, err := p.Process(context.Background(), batch)
		require.Error(t, err, "%d records", len(batch))
		assert.Equal(t, runtime.ClassBadOutput, runtime.ClassOf(err), "%v", err)
	}
}

// docs/abi.md §1: exports beyond the ABI's (a Rust or C toolchain's
// __data_end and __heap_base, an AssemblyScript start function) are
// ignored; only the ABI's own names are checked.
func TestExtraExportsAreAdmitted(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, wat(t, "extraexports"), runtime.PoolConfig{})
	out, err := p.Process(context.Background(), records("a"))
	require.NoError(t, err)
	assert.True(t, out[0].Emits[0].Unchanged)
}
