package runtime_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// loaded loads wasm and closes the caller's reference at cleanup.
func loaded(t *testing.T, e *runtime.Engine, wasm []byte) *runtime.Module {
	t.Helper()
	m, err := e.Load(context.Background(), wasm)
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	return m
}

// instanceBytes of echo under a default engine.
func echoInstanceBytes(t *testing.T) uint64 {
	e, _ := newEngine(t, runtime.EngineConfig{})
	return loaded(t, e, wat(t, "echo")).InstanceBytes()
}

func TestPoolIsRefusedOverTheMemoryBudget(t *testing.T) {
	per := echoInstanceBytes(t)
	e, _ := newEngine(t, runtime.EngineConfig{MaxTotalMemoryBytes: 3 * per})
	m := loaded(t, e, wat(t, "echo"))
	ctx := context.Background()
	first, err := m.NewPool(ctx, runtime.PoolConfig{Size: 2})
	require.NoError(t, err)
	assert.Equal(t, 2*per, e.MemoryBudget().Reserved())

	_, err = m.NewPool(ctx, runtime.PoolConfig{Size: 2})
	require.ErrorIs(t, err, runtime.ErrMemoryBudget)
	for _, want := range []string{`transform "echo-wat@0.1.0"`, "a pool of 2 instances needs", "budget of", "reserved by other pools",
		"MaxTotalMemoryBytes", "max_total_memory_mib", "pool_size", "max_memory_mib"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Equal(t, 2*per, e.MemoryBudget().Reserved(), "a refused pool reserves nothing")

	first.Close(ctx)
	assert.Zero(t, e.MemoryBudget().Reserved(), "closing releases")
	second, err := m.NewPool(ctx, runtime.PoolConfig{Size: 3})
	require.NoError(t, err, "the released reservation is available again")
	second.Close(ctx)
	second.Close(ctx) // a second close releases nothing more
	assert.Zero(t, e.MemoryBudget().Reserved())
}

// A pool whose init fails releases what it reserved.
func TestFailedPoolReleasesItsReservation(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	m := loaded(t, e, wat(t, "initfail"))
	_, err := m.NewPool(context.Background(), runtime.PoolConfig{Size: 2})
	require.ErrorIs(t, err, runtime.ErrGuest)
	assert.Zero(t, e.MemoryBudget().Reserved())
}

// A swap warms the new pool while the old one serves, so the budget must
// hold both for a moment; swapping back and forth leaks nothing.
func TestSwapsBackAndForthDoNotLeakReservations(t *testing.T) {
	per := echoInstanceBytes(t)
	e, _ := newEngine(t, runtime.EngineConfig{MaxTotalMemoryBytes: 4 * per})
	versions := []*runtime.Module{loaded(t, e, wat(t, "echo")), loaded(t, e, wat(t, "initlog"))}
	ctx := context.Background()
	serving, err := versions[0].NewPool(ctx, runtime.PoolConfig{Size: 2})
	require.NoError(t, err)
	for i := 1; i <= 100; i++ {
		next, err := versions[i%2].NewPool(ctx, runtime.PoolConfig{Size: 2})
		require.NoError(t, err, "swap %d", i)
		_, err = versions[0].NewPool(ctx, runtime.PoolConfig{Size: 1})
		require.ErrorIs(t, err, runtime.ErrMemoryBudget, "swap %d: two pools fill the budget", i)
		serving.Close(ctx)
		serving = next
	}
	assert.Equal(t, 2*per, e.MemoryBudget().Reserved(), "only the serving pool holds a reservation")
	serving.Close(ctx)
	assert.Zero(t, e.MemoryBudget().Reserved())
}

// Engines given one budget share its bound: the process's, in weir's host.
func TestEnginesShareABudget(t *testing.T) {
	per := echoInstanceBytes(t)
	budget := runtime.NewMemoryBudget(2 * per)
	a, _ := newEngine(t, runtime.EngineConfig{MemoryBudget: budget})
	b, _ := newEngine(t, runtime.EngineConfig{MemoryBudget: budget, Interrupt: runtime.InterruptCloseOnContextDone})
	newPool(t, a, wat(t, "echo"), runtime.PoolConfig{Size: 2})
	_, err := loaded(t, b, wat(t, "echo")).NewPool(context.Background(), runtime.PoolConfig{Size: 1})
	require.ErrorIs(t, err, runtime.ErrMemoryBudget)

	_, err = runtime.NewEngine(context.Background(), runtime.EngineConfig{MemoryBudget: budget, MaxTotalMemoryBytes: 1})
	require.ErrorContains(t, err, "MaxTotalMemoryBytes or MemoryBudget")
}

// What a pool reserves per instance follows the memory limit, the module's
// own declared maximum, and its tables.
func TestInstanceBytesFollowTheLimits(t *testing.T) {
	small, _ := newEngine(t, runtime.EngineConfig{MaxMemoryPages: 64})
	large, _ := newEngine(t, runtime.EngineConfig{MaxMemoryPages: 2048})
	echo := wat(t, "echo")
	assert.Equal(t, uint64(2048-64)<<16, loaded(t, large, echo).InstanceBytes()-loaded(t, small, echo).InstanceBytes())

	capped := loaded(t, large, moduleWithMemory(t, 1, 3)).InstanceBytes() // declares at most 3 pages
	uncapped := loaded(t, large, moduleWithMemory(t, 1, 0)).InstanceBytes()
	assert.Equal(t, uint64(2048-3)<<16, uncapped-capped, "a declared maximum under the limit is what is reserved")

	tables, _ := newEngine(t, runtime.EngineConfig{MaxTableElements: 1000})
	withTable := loaded(t, tables, wat(t, "tablegrow")).InstanceBytes() // one max-less table: clamped to 1000
	withoutTable := loaded(t, tables, echo).InstanceBytes()
	assert.Equal(t, uint64(1000*8), withTable-withoutTable)
}

func TestDefaultMemoryBudgetIsSet(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	assert.Equal(t, runtime.DefaultMaxTotalMemory(), e.MemoryBudget().Limit())
	assert.GreaterOrEqual(t, runtime.DefaultMaxTotalMemory(), uint64(1<<30), "half of any machine the suite runs on")
}

// moduleWithMemory is a do-nothing guest whose memory declares min pages
// and, unless max is 0, a maximum.
func moduleWithMemory(t *testing.T, min, max int) []byte {
	t.Helper()
	limits := fmt.Sprint(min)
	if max > 0 {
		limits += fmt.Sprint(" ", max)
	}
	return doNothing(t, limits, `(memory (export "memory") `+limits+`)`)
}

// moduleWithData is a do-nothing guest whose data segment lies past the
// end of its memory: it compiles, and every instantiation fails.
func moduleWithData(t *testing.T) []byte {
	return doNothing(t, "data", `(memory (export "memory") 1) (data (i32.const 70000) "x")`)
}

// doNothing assembles a guest of ABI v1 that keeps nothing, with decls.
func doNothing(t *testing.T, version, decls string) []byte {
	t.Helper()
	src := `(module ` + decls + `
  (func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
  (func (export "weir_init") (param i32) (result i64) (i64.const 0))
  (func (export "weir_process") (param i32) (result i64) (i64.const 0)))`
	dir := t.TempDir()
	in, out := filepath.Join(dir, "m.wat"), filepath.Join(dir, "m.wasm")
	require.NoError(t, os.WriteFile(in, []byte(src), 0o600))
	b, err := exec.Command("wat2wasm", "-o", out, in).CombinedOutput()
	require.NoError(t, err, string(b))
	wasm, err := os.ReadFile(out)
	require.NoError(t, err)
	wasm, err = runtime.Pack(wasm, runtime.Manifest{ABI: runtime.ABIVersion, Name: "memory", Version: version})
	require.NoError(t, err)
	return wasm
}
