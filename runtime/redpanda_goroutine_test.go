package runtime_test

import (
	"context"
	"fmt"
	goruntime "runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// waitGoroutines waits until no more goroutines run than at baseline.
func waitGoroutines(t *testing.T, what string, baseline int) {
	t.Helper()
	fixtures.WaitUntilShowing(t, what, func() bool { return goruntime.NumGoroutine() <= baseline },
		func() string { return fmt.Sprintf("%d goroutines, %d before", goruntime.NumGoroutine(), baseline) })
}

// Every guest's goroutine ends: with the pool, with each replaced guest,
// and with the engine when a pool is left open.
func TestRedpandaGuestGoroutinesNeverLeak(t *testing.T) {
	wasm := fixtures.RawWAT(t, "runtime/testdata/guests/redpanda/hostile.wat")
	baseline := goruntime.NumGoroutine()
	e, err := runtime.NewEngine(context.Background(), runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)})
	require.NoError(t, err)
	m, err := e.Load(context.Background(), wasm)
	require.NoError(t, err)
	p, err := m.NewPool(context.Background(), runtime.PoolConfig{Size: 3, Fuel: 10_000_000})
	require.NoError(t, err)
	assert.Greater(t, goruntime.NumGoroutine(), baseline+2, "each instance's _start runs on a goroutine")
	out, err := p.Process(context.Background(), hostileRecords())
	require.NoError(t, err)
	require.Equal(t, hostileVerdicts, verdicts(out), "six guests were replaced")
	p.Close(context.Background())
	waitGoroutines(t, "the pool's guests to end with Close", baseline)

	left, err := m.NewPool(context.Background(), runtime.PoolConfig{Size: 2})
	require.NoError(t, err)
	_ = left // never closed: the engine's Close ends its guests
	require.NoError(t, m.Close(context.Background()))
	require.NoError(t, e.Close(context.Background()))
	waitGoroutines(t, "the guests of a pool left open to end with the engine", baseline)
}
