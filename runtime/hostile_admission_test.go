package runtime_test

import (
	"bytes"
	"context"
	goruntime "runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/wasmgen"
	"github.com/weirstream/weir/runtime"
)

// packed is a generated module with a manifest, so it passes admission.
func packed(t testing.TB, m *wasmgen.Module) []byte {
	t.Helper()
	b, err := runtime.Pack(m.Bytes(), runtime.Manifest{ABI: 1, Name: "bomb", Version: "1"})
	require.NoError(t, err)
	return b
}

// blocksFunc is a function of n empty blocks that declares locals.
func blocksFunc(n, locals int) wasmgen.Func {
	f := wasmgen.Func{Body: bytes.Repeat([]byte{0x02, 0x40, 0x0b}, n)}
	if locals > 0 {
		f.Locals = [][2]uint32{{uint32(locals), wasmgen.I32}}
	}
	return f
}

func withFuncs(fs ...wasmgen.Func) *wasmgen.Module {
	m := wasmgen.Guest()
	t := m.AddType(wasmgen.Type{})
	for _, f := range fs {
		f.Type = t
		m.AddFunc(f)
	}
	return m
}

func repeatFunc(f wasmgen.Func, n int) []wasmgen.Func {
	fs := make([]wasmgen.Func, n)
	for i := range fs {
		fs[i] = f
	}
	return fs
}

// overTheLimits has, for each compile-cost limit at its default, a module
// just over it.
var overTheLimits = []struct {
	field, what string
	module      func() *wasmgen.Module
}{
	{"MaxTotalLocals", "locals declared by all functions is 1000001", func() *wasmgen.Module {
		return withFuncs(append(repeatFunc(blocksFunc(0, 50_000), 20), blocksFunc(0, 1))...)
	}},
	{"MaxCodeBytes", "code bytes of all functions is 1050021, over the limit of 1048576", func() *wasmgen.Module { return wasmgen.Instructions(3, 116_667) }},
	{"MaxEntries", "declared entries", func() *wasmgen.Module { return wasmgen.Globals(1_000_000) }},
	{"MaxFunctionBlocks", "blocks (control flow, calls, trap checks) in one function is 20001", func() *wasmgen.Module { return withFuncs(blocksFunc(20_001, 0)) }},
	{"MaxFunctionBlocks", "in one function is 20001", func() *wasmgen.Module { return wasmgen.CallIndirect(1, 20_001) }},
	{"MaxFunctionLocalBlocks", "control-flow blocks × locals in one function is 500500", func() *wasmgen.Module { return withFuncs(blocksFunc(500, 1001)) }},
	{"MaxCompileWork", "compile work (Σ control² + 25 × control × locals) is 1200000000", func() *wasmgen.Module { return withFuncs(repeatFunc(blocksFunc(20_000, 0), 3)...) }},
	{"MaxEntries", "declared entries", func() *wasmgen.Module { return wasmgen.Params(1000, 1000) }},
}

// configured are the limits set below their default for a test: a module
// over the default 16 MiB of code takes long to parse under -race.
var configured = map[string]runtime.EngineConfig{"MaxCodeBytes": {MaxCodeBytes: 1 << 20}}

// TestCompileBombsAreRefused: a module just over each compile-cost limit
// is refused by Inspect and by Load, before wazero sees it, with an error
// that names the measure, the figure and the field to raise.
func TestCompileBombsAreRefused(t *testing.T) {
	for _, c := range overTheLimits {
		t.Run(c.field+"/"+c.what, func(t *testing.T) {
			wasm := packed(t, c.module())
			r := runtime.Inspect(wasm, configured[c.field])
			require.ErrorIs(t, r.Err, runtime.ErrAdmission)
			assert.Contains(t, r.Err.Error(), c.what)
			assert.Contains(t, r.Err.Error(), "raise EngineConfig."+c.field)
			cfg := configured[c.field]
			cfg.Interrupt = runtime.InterruptNone
			e, _ := newEngine(t, cfg)
			_, err := e.Load(context.Background(), wasm)
			require.ErrorIs(t, err, runtime.ErrAdmission)
			assert.Contains(t, err.Error(), c.field)
		})
	}
}

// TestTheIssueBombIsRefused: the module of issue #11 (~200,000 functions
// of 50,000 locals, 1.6 MB) drove wazero past 8 GB.
func TestTheIssueBombIsRefused(t *testing.T) {
	wasm := packed(t, wasmgen.Locals(200_000, 50_000))
	r := runtime.Inspect(wasm, runtime.EngineConfig{})
	require.ErrorIs(t, r.Err, runtime.ErrAdmission)
	assert.Contains(t, r.Err.Error(), "locals declared by all functions is 10000000000, over the limit of 1000000")
}

// TestMeteringGrowthIsChecked: the limits hold on the code wazero compiles.
// Metering adds check-in blocks to every loop, so a function of 18,000
// loops is over the block limit once metered, and refused naming the stage.
func TestMeteringGrowthIsChecked(t *testing.T) {
	loops := wasmgen.Func{Body: bytes.Repeat([]byte{0x03, 0x40, 0x0b}, 18_000)}
	wasm := packed(t, withFuncs(loops))
	r := runtime.Inspect(wasm, runtime.EngineConfig{Interrupt: runtime.InterruptNone})
	require.NoError(t, r.Err)
	r = runtime.Inspect(wasm, runtime.EngineConfig{})
	require.ErrorIs(t, r.Err, runtime.ErrAdmission)
	assert.Contains(t, r.Err.Error(), "module as compiled, after fuel metering: blocks (control flow, calls, trap checks) in one function")
	assert.Greater(t, r.Compiled.MaxBlocks, r.Cost.MaxBlocks)
	e, _ := newEngine(t, runtime.EngineConfig{})
	_, err := e.Load(context.Background(), wasm)
	assert.ErrorContains(t, err, "after fuel metering")
}

// compileHeapBound is the Go heap growth a module at the compile-cost
// limits may cause while it is admitted and compiled. Measured peaks are
// 10–150 MiB (docs/RATIONALE.md, "What does compiling a module cost?");
// the bound leaves 3× margin and is far below the 4–8 GB the bombs of
// issue #11 reached.
const compileHeapBound = 512 << 20

// TestModulesAtTheLimitsCompileWithinTheBound: at each memory-driving
// limit, Load (admission and wazero's compile) stays under compileHeapBound.
func TestModulesAtTheLimitsCompileWithinTheBound(t *testing.T) {
	atTheLimits := map[string]func() *wasmgen.Module{
		"MaxTotalLocals":         func() *wasmgen.Module { return withFuncs(repeatFunc(blocksFunc(0, 50_000), 20)...) },
		"MaxEntries":             func() *wasmgen.Module { return wasmgen.DataSegments(1_000_000 - 30) },
		"MaxFunctionBlocks":      func() *wasmgen.Module { return wasmgen.CallIndirect(1, 20_000-4) }, // the costliest block measured
		"MaxFunctionLocalBlocks": func() *wasmgen.Module { return wasmgen.Loops(500, 1000) },
	}
	for name, build := range atTheLimits {
		t.Run(name, func(t *testing.T) {
			wasm := packed(t, build())
			cfg := runtime.EngineConfig{Interrupt: runtime.InterruptCloseOnContextDone, CacheDir: t.TempDir()}
			require.NoError(t, runtime.Inspect(wasm, cfg).Err)
			e, _ := newEngine(t, cfg)
			growth := peakHeapGrowth(t, func() {
				m, err := e.Load(context.Background(), wasm)
				require.NoError(t, err)
				require.NoError(t, m.Close(context.Background()))
			})
			t.Logf("%s: peak heap growth %d MiB", name, growth>>20)
			assert.Less(t, growth, uint64(compileHeapBound))
		})
	}
}

// peakHeapGrowth runs f while sampling the live heap every millisecond
// and returns the largest growth over the heap before f.
func peakHeapGrowth(t *testing.T, f func()) uint64 {
	goruntime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	base := s[0].Value.Uint64()
	var peak atomic.Uint64
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for !done.Load() {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	f()
	done.Store(true)
	wg.Wait()
	if peak.Load() < base {
		return 0
	}
	return peak.Load() - base
}

// TestShippedGuestsFitTheCompileCostLimits: the defaults admit the guests
// we ship, metered, with at least 3× margin on every measure (their figures
// are in docs/RATIONALE.md, "What does compiling a module cost?").
func TestShippedGuestsFitTheCompileCostLimits(t *testing.T) {
	guests := map[string]func() []byte{
		"plugins/mask":         func() []byte { return fixtures.Go(t, "plugins/mask") },
		"plugins/echo":         func() []byte { return fixtures.Go(t, "plugins/echo") },
		"bench/guests/protogo": func() []byte { return fixtures.Go(t, "bench/guests/protogo") },
		"bench/guests/mask_c":  func() []byte { return fixtures.C(t, "bench/guests/mask_c") },
	}
	cfg := runtime.EngineConfig{}
	limits := runtime.EngineConfig{}.Limits()
	for name, build := range guests {
		t.Run(name, func(t *testing.T) {
			r := runtime.Inspect(build(), cfg)
			require.NoError(t, r.Err)
			c := r.Compiled
			t.Logf("%s as compiled: %+v", name, c)
			assert.LessOrEqual(t, 3*c.CodeBytes, uint64(limits.MaxCodeBytes))
			assert.LessOrEqual(t, 3*c.Locals, uint64(limits.MaxTotalLocals))
			assert.LessOrEqual(t, 3*c.Entries, uint64(limits.MaxEntries))
			assert.LessOrEqual(t, 3*c.MaxBlocks, uint64(limits.MaxFunctionBlocks))
			assert.LessOrEqual(t, 3*c.MaxLocalBlk, uint64(limits.MaxFunctionLocalBlocks))
			assert.LessOrEqual(t, 3*c.Work, uint64(limits.MaxCompileWork))
		})
	}
}
