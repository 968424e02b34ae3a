package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// hostileTimeout is the deadline the hostile guests run under, the
// default a pipeline gets.
const hostileTimeout = 5 * time.Second

// returnCeiling is how long a test waits for a stopped call to return: the
// timeout plus a margin for a machine whose cores are all busy (the
// property is that the call returns at all; the overrun a loaded machine
// sees is reported by t.Logf, not asserted).
const returnCeiling = hostileTimeout + 55*time.Second

// spin is a loop forever.
const spin = `(loop $l (br $l))`

// hostileBatches are guests whose weir_process never ends, each built to
// escape a way fuel used to be counted.
var hostileBatches = map[string]string{
	// the 224 s case: a loop charged only up to its first control
	// instruction, an empty block, ran 10,000 instructions per unit
	"block then 10,000 instructions": `(loop $l (block) ` + repeat(`(local.set $x (i32.add (local.get $x) (i32.const 1)))`, 2500) + ` (br $l))`,
	// code after a branch inside the loop was not charged either
	"br_if then 10,000 instructions": `(block $out (loop $l (br_if $out (i32.eq (local.get $x) (i32.const -1))) ` + repeat(`(local.set $x (i32.add (local.get $x) (i32.const 2)))`, 2500) + ` (br $l)))`,
	// bulk operations cost one unit whatever their length
	"memory.fill of 4 MiB": `(loop $l (memory.fill (i32.const 0) (i32.const 7) (i32.const 4194304)) (br $l))`,
	"memory.copy of 4 MiB": `(loop $l (memory.copy (i32.const 0) (i32.const 4194304) (i32.const 4194304)) (br $l))`,
	"table.fill of 1M":     `(drop (table.grow $t (ref.null func) (i32.const 999984))) (loop $l (table.fill $t (i32.const 0) (ref.null func) (i32.const 1000000)) (br $l))`,
	"table.copy of 500k":   `(drop (table.grow $t (ref.null func) (i32.const 999984))) (loop $l (table.copy $t $t (i32.const 0) (i32.const 500000) (i32.const 500000)) (br $l))`,
	"memory.grow loop":     `(loop $l (drop (memory.grow (i32.const 1))) (br $l))`,
}

// TestHostileBatchesAreStopped: each hostile weir_process, under a 5 s
// timeout in both interrupt modes, fails its batch as timeout or
// fuel_exhausted, the call returns, and the engine serves a good batch.
func TestHostileBatchesAreStopped(t *testing.T) {
	for _, mode := range []runtime.Interrupt{runtime.InterruptFuel, runtime.InterruptCloseOnContextDone} {
		for name, body := range hostileBatches {
			t.Run(mode.String()+"/"+name, func(t *testing.T) {
				t.Parallel()
				wasm := hostileGuest(t, "hostile", initOK+`(func (export "weir_process") (param i32) (result i64) (local $x i32) `+body+emptyOutput+`)`)
				e, _ := newEngine(t, runtime.EngineConfig{Interrupt: mode})
				p := newPool(t, e, wasm, runtime.PoolConfig{Timeout: hostileTimeout})
				err := returns(t, func() error { _, err := p.Process(context.Background(), records("x")); return err })
				requireStopped(t, err)
				assert.Contains(t, err.Error(), "weir_process")
				requireStillServes(t, e)
			})
		}
	}
}

// hostileStarts are guests whose start-up never ends, in each phase.
var hostileStarts = map[string]struct{ fields, phase string }{
	"start function": {`(start $s) (func $s ` + spin + `)` + initOK, "start function"},
	"_initialize":    {`(func (export "_initialize") ` + spin + `)` + initOK, "_initialize"},
	"weir_init": {`(func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
(func (export "weir_init") (param i32) (result i64) ` + spin + ` (i64.const 0))`, "weir_init"},
	"weir_buffer": {`(func (export "weir_buffer") (param i32) (result i32) ` + spin + ` (i32.const 1024))
(func (export "weir_init") (param i32) (result i64) (i64.const 0))`, "weir_buffer"},
}

// TestHostileStartUpIsStopped: a guest looping in its start function,
// _initialize, weir_init or weir_buffer (called by init with the config)
// is stopped in both interrupt modes, the error names the phase, and the
// engine serves a good batch.
func TestHostileStartUpIsStopped(t *testing.T) {
	for _, mode := range []runtime.Interrupt{runtime.InterruptFuel, runtime.InterruptCloseOnContextDone} {
		for name, c := range hostileStarts {
			t.Run(mode.String()+"/"+name, func(t *testing.T) {
				t.Parallel()
				wasm := hostileGuest(t, "hostile", c.fields+`(func (export "weir_process") (param i32) (result i64) `+emptyOutput+`)`)
				e, _ := newEngine(t, runtime.EngineConfig{Interrupt: mode})
				m, err := e.Load(context.Background(), wasm)
				require.NoError(t, err)
				t.Cleanup(func() { _ = m.Close(context.Background()) })
				err = returns(t, func() error {
					p, err := m.NewPool(context.Background(), runtime.PoolConfig{Timeout: hostileTimeout, Config: []byte("cfg")})
					if err == nil {
						p.Close(context.Background())
					}
					return err
				})
				requireStopped(t, err)
				assert.Contains(t, err.Error(), c.phase, "the error names the phase that ran")
				assert.NotContains(t, err.Error(), "weir_process")
				requireStillServes(t, e)
			})
		}
	}
}

// returns runs call and waits for it up to returnCeiling.
func returns(t *testing.T, call func() error) error {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- call() }()
	select {
	case err := <-done:
		t.Logf("stopped after %s (timeout %s)", time.Since(start).Round(time.Millisecond), hostileTimeout)
		return err
	case <-time.After(returnCeiling):
		t.Fatalf("the call did not return within %s", returnCeiling)
		return nil
	}
}

func requireStopped(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	class := runtime.ClassOf(err)
	require.True(t, class == runtime.ClassTimeout || class == runtime.ClassFuel, "class %q: %v", class, err)
}
