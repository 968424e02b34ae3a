package runtime_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// TestModulesAreFreedWithTheirLastReference: Load and NewPool each hold a
// reference; the engine frees the compiled module with the last one, and
// loading it again compiles it again.
func TestModulesAreFreedWithTheirLastReference(t *testing.T) {
	ctx := context.Background()
	e, _ := newEngine(t, runtime.EngineConfig{})
	echo := wat(t, "echo")
	m, err := e.Load(ctx, echo)
	require.NoError(t, err)
	again, err := e.Load(ctx, echo)
	require.NoError(t, err)
	assert.Same(t, m, again, "one digest, one module")
	p, err := m.NewPool(ctx, runtime.PoolConfig{})
	require.NoError(t, err)
	require.NoError(t, m.Close(ctx))
	require.NoError(t, again.Close(ctx))
	assert.Equal(t, 1, e.Loaded(), "the pool keeps its module")
	out, err := p.Process(ctx, records("a"))
	require.NoError(t, err)
	assert.Equal(t, "a", string(out[0].Emits[0].Value))

	p.Close(ctx)
	p.Close(ctx) // closing twice releases once
	assert.Equal(t, 0, e.Loaded(), "freed with the last reference")

	m, err = e.Load(ctx, echo)
	require.NoError(t, err)
	assert.NotSame(t, again, m, "compiled again")
	p = newPool(t, e, echo, runtime.PoolConfig{})
	out, err = p.Process(ctx, records("b"))
	require.NoError(t, err)
	assert.Equal(t, "b", string(out[0].Emits[0].Value))
	require.NoError(t, m.Close(ctx))
	assert.Equal(t, 1, e.Loaded())

	p.Close(ctx)
	require.NoError(t, m.Close(ctx)) // newPool's Load
	assert.Equal(t, 0, e.Loaded())
	_, err = m.NewPool(ctx, runtime.PoolConfig{})
	assert.ErrorContains(t, err, "the module was closed")
}
