package runtime_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// Pool.Replaced counts every instance discarded, whether it trapped or
// wore out, and none that went back healthy.
func TestPoolCountsReplacedInstances(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	batch := []runtime.Record{{Value: []byte("x")}}

	trap := newPool(t, e, wat(t, "trap"), runtime.PoolConfig{Size: 1})
	for range 3 {
		_, err := trap.Process(context.Background(), batch)
		require.Equal(t, runtime.ClassTrap, runtime.ClassOf(err), "%v", err)
	}
	assert.Equal(t, int64(3), trap.Replaced(), "each trap discards its instance")

	echo := newPool(t, e, wat(t, "echo"), runtime.PoolConfig{Size: 1, MaxCallsPerInstance: 2})
	for range 5 {
		_, err := echo.Process(context.Background(), batch)
		require.NoError(t, err)
	}
	assert.Equal(t, int64(2), echo.Replaced(), "worn out after 2 calls, twice in 5")
}
