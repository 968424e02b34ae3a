package host

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// The memory bound is the process's: the first processor to set it sets
// it, one asking for another is refused, and leaving it at 0 asks nothing.
func TestProcessMemoryBudgetIsSetOnce(t *testing.T) {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	saved, savedSet := budget, budgetSet
	defer func() { budget, budgetSet = saved, savedSet }()
	budget, budgetSet = nil, false

	b, err := processMemoryBudget(0)
	require.NoError(t, err)
	assert.Equal(t, runtime.DefaultMaxTotalMemory(), b.Limit())

	b2, err := processMemoryBudget(2048)
	require.NoError(t, err)
	assert.Same(t, b, b2, "engines made before keep sharing it")
	assert.Equal(t, uint64(2048)<<20, b.Limit())

	_, err = processMemoryBudget(0)
	require.NoError(t, err)
	_, err = processMemoryBudget(2048)
	require.NoError(t, err)
	_, err = processMemoryBudget(4096)
	require.ErrorContains(t, err, "field max_total_memory_mib: 4096 MiB, but this process's wasm processors already share a bound of 2048 MiB")
}
