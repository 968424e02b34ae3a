package runtime_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

var modes = []runtime.Interrupt{runtime.InterruptFuel, runtime.InterruptCloseOnContextDone, runtime.InterruptNone}

// runIn processes batches with a fresh engine in the given mode.
func runIn(t *testing.T, mode runtime.Interrupt, wasm []byte, cfg runtime.PoolConfig, batches ...[]runtime.Record) [][]runtime.Outcome {
	out, _ := runWith(t, runtime.EngineConfig{Interrupt: mode}, wasm, cfg, batches...)
	return out
}

// runWith processes batches with a fresh engine and returns the outcomes
// and the fuel each batch used.
func runWith(t *testing.T, ecfg runtime.EngineConfig, wasm []byte, cfg runtime.PoolConfig, batches ...[]runtime.Record) ([][]runtime.Outcome, []int64) {
	warmFor(t, ecfg, wasm)
	e, _ := newEngine(t, ecfg)
	var used []int64
	cfg.OnBatch = func(fuel int64, _ time.Duration) { used = append(used, fuel) }
	p := newPool(t, e, wasm, cfg)
	var out [][]runtime.Outcome
	for _, b := range batches {
		o, err := p.Process(context.Background(), b)
		require.NoError(t, err, "engine %+v", ecfg)
		out = append(out, o)
	}
	return out, used
}

// warmFor compiles wasm for ecfg without -race first (fixtures.WarmWith):
// a Go guest's compile under the race detector is minutes on a busy
// machine, once per setting the test runs it under.
func warmFor(t *testing.T, ecfg runtime.EngineConfig, wasm []byte) {
	if ecfg.CacheDir != "" || ecfg != (runtime.EngineConfig{Interrupt: ecfg.Interrupt, FuelCheckIn: ecfg.FuelCheckIn}) {
		return // settings warm does not take: the engine compiles them itself
	}
	flags := []string{"-interrupt", map[runtime.Interrupt]string{
		runtime.InterruptFuel: "fuel", runtime.InterruptCloseOnContextDone: "close", runtime.InterruptNone: "none"}[ecfg.Interrupt]}
	if ecfg.FuelCheckIn != 0 {
		flags = append(flags, "-fuel-check-in", strconv.FormatInt(ecfg.FuelCheckIn, 10))
	}
	fixtures.WarmWith(t, wasm, flags...)
}

func orders(t *testing.T) []runtime.Record {
	f, err := os.Open(filepath.Join(fixtures.Root(), "bench/testdata/orders-1k.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var recs []runtime.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		recs = append(recs, runtime.Record{Value: bytes.Clone(sc.Bytes())})
	}
	return append(recs, runtime.Record{Value: []byte("not json")})
}

// TestMeteringChangesNoResult runs every guest fixture metered, with
// CloseOnContextDone and unprotected, and requires identical results.
func TestMeteringChangesNoResult(t *testing.T) {
	mask := `{"fields":[{"path":"customer.email","action":"email"},{"path":"items.*.sku","action":"hmac"},{"path":"customer.card","action":"last"}],"hmac_key":"k"}`
	cases := []struct {
		name    string
		wasm    []byte
		config  string
		batches [][]runtime.Record
		clocked bool // a Go guest: its runtime reads the clock, so its fuel varies from run to run
	}{
		{"kitchensink (WAT)", wat(t, "kitchensink"), "", [][]runtime.Record{records("x")}, false}, // one batch: it drops its passive segments
		{"echo (WAT)", wat(t, "echo"), "", [][]runtime.Record{records("a", "b", "c")}, false},
		{"mask (Go) on the orders", fixtures.Go(t, "plugins/mask"), mask, [][]runtime.Record{orders(t)}, true},
		{"conformance (Go)", fixtures.Go(t, "sdk/go/internal/conformance"), "", [][]runtime.Record{
			records("keep", "set:x", "drop", "error:e", "route:a,b", "fanout:3", "meta:k=v", "panic")}, true},
		{"conformance (C)", fixtures.C(t, "sdk/c/conformance"), "", [][]runtime.Record{
			records("keep", "set:x", "drop", "error:e", "route:a,b", "fanout:3", "meta:k=v", "panic")}, false},
		{"mask (C) on the orders", fixtures.C(t, "bench/guests/mask_c"), "", [][]runtime.Record{orders(t)}, false},
		{"conformance (Rust)", fixtures.Rust(t, "sdk/rust/conformance"), "", [][]runtime.Record{
			records("keep", "set:x", "drop", "error:e", "route:a,b", "fanout:3", "meta:k=v", "panic")}, false},
		{"mask (Rust) on the orders", fixtures.Rust(t, "plugins/mask_rust"), mask, [][]runtime.Record{orders(t)}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// results are compared, not speeds: a check-in every 3 units
			// under -race on a busy machine outran the default 5 s deadline
			cfg := runtime.PoolConfig{Config: []byte(c.config), Timeout: fixtures.Patience}
			want := runIn(t, runtime.InterruptNone, c.wasm, cfg, c.batches...)
			for _, mode := range modes[:2] {
				assert.Equal(t, want, runIn(t, mode, c.wasm, cfg, c.batches...), "mode %s", mode)
			}
			// a check-in at nearly every meter: every check-in path runs
			// (function entries, loops with and without results, loops with
			// params), and fuel is charged exactly once per segment however
			// often the guest checks in
			// (on at most 64 records a batch: every unit of fuel is an
			// instruction, and the Go mask runs 260,000,000 on the orders)
			out, _ := runWith(t, runtime.EngineConfig{}, c.wasm, cfg, c.batches...)
			assert.Equal(t, want, out)
			var short [][]runtime.Record
			for _, b := range c.batches {
				short = append(short, b[:min(len(b), 64)])
			}
			// A Go guest's runtime start alone is ~10^8 units: checking in
			// every 3 was 10 minutes of host calls under -race. The WAT and
			// C guests take every check-in path at 3; a Go guest at 1,000,
			// still ~10^5 check-ins.
			often := int64(3)
			if c.clocked {
				often = 1000
			}
			outOften, usedOften := runWith(t, runtime.EngineConfig{FuelCheckIn: often}, c.wasm, cfg, short...)
			outShort, usedShort := runWith(t, runtime.EngineConfig{}, c.wasm, cfg, short...)
			for i := range want {
				assert.Equal(t, want[i][:len(short[i])], outOften[i], "checking in every 3 units of fuel")
			}
			assert.Equal(t, outShort, outOften)
			if !c.clocked {
				assert.Equal(t, usedShort, usedOften, "fuel used does not depend on the check-in interval")
			}
		})
	}
}

func TestKitchensinkComputesItsValue(t *testing.T) {
	out := runIn(t, runtime.InterruptFuel, wat(t, "kitchensink"), runtime.PoolConfig{}, records("x"))
	require.Len(t, out[0][0].Emits, 1)
	assert.Len(t, out[0][0].Emits[0].Value, 8, "the guest's checksum")
}

// TestHostileGuestsAreStoppedByFuel: with a deadline far away, only fuel
// stops these guests; the pool then serves the next batch.
func TestHostileGuestsAreStoppedByFuel(t *testing.T) {
	for _, name := range []string{"loop", "calltree", "recursion"} {
		t.Run(name, func(t *testing.T) {
			e, _ := newEngine(t, runtime.EngineConfig{})
			var used []int64
			p := newPool(t, e, wat(t, name), runtime.PoolConfig{
				Timeout: time.Minute, Fuel: 50_000,
				OnBatch: func(fuel int64, _ time.Duration) { used = append(used, fuel) },
			})
			start := time.Now()
			_, err := p.Process(context.Background(), records("x"))
			require.ErrorIs(t, err, runtime.ErrFuel)
			t.Logf("%s stopped by fuel after %s", name, time.Since(start))
			require.Len(t, used, 1)
			assert.GreaterOrEqual(t, used[0], int64(50_000), "a batch that ran out used its whole budget (plus the last segment's charge)")
			goruntime.GC()
			_, err = p.Process(context.Background(), records("again"))
			require.ErrorIs(t, err, runtime.ErrFuel, "the replaced instance is metered too")
		})
	}
}

func TestDeadlineStopsMeteredGuests(t *testing.T) {
	for _, name := range []string{"loop", "calltree"} {
		t.Run(name, func(t *testing.T) {
			e, _ := newEngine(t, runtime.EngineConfig{})
			p := newPool(t, e, wat(t, name), runtime.PoolConfig{Timeout: 100 * time.Millisecond, Fuel: 1 << 62})
			start := time.Now()
			_, err := p.Process(context.Background(), records("x"))
			require.ErrorIs(t, err, runtime.ErrTimeout)
			assert.Contains(t, err.Error(), "deadline exceeded at a fuel check-in")
			t.Logf("%s stopped after %s (timeout 100ms)", name, time.Since(start))
		})
	}
}

func TestFuelIsAccounted(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	var used []int64
	p := newPool(t, e, wat(t, "echo"), runtime.PoolConfig{OnBatch: func(fuel int64, _ time.Duration) { used = append(used, fuel) }})
	for _, n := range []int{1, 10, 100} {
		recs := make([]runtime.Record, n)
		_, err := p.Process(context.Background(), recs)
		require.NoError(t, err)
	}
	require.Len(t, used, 3)
	assert.Greater(t, used[0], int64(0))
	assert.Greater(t, used[1], used[0], "more records, more fuel")
	assert.Greater(t, used[2], used[1])
}

func TestInitRunsOutOfFuel(t *testing.T) {
	ecfg, echo := runtime.EngineConfig{FuelCheckIn: 1000}, fixtures.Go(t, "plugins/echo")
	warmFor(t, ecfg, echo)
	e, _ := newEngine(t, ecfg)
	m, err := e.Load(context.Background(), echo)
	require.NoError(t, err)
	_, err = m.NewPool(context.Background(), runtime.PoolConfig{InitFuel: 5000})
	require.ErrorIs(t, err, runtime.ErrFuel, "a Go runtime cannot start on 5000 units")
}
