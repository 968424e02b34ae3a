package runtime_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// extismUpper is the go-pdk test plugin, compiled into the shared cache
// outside the race detector (fixtures.Warm), as the engines of these
// tests read it (extismEngine).
func extismUpper(t testing.TB) []byte {
	return fixtures.Warm(t, fixtures.Go(t, "runtime/testdata/extism/upper"))
}

func extismEngine(t testing.TB, cfg runtime.EngineConfig) *runtime.Engine {
	cfg.CacheDir = fixtures.CacheDir(t)
	e, _ := newEngine(t, cfg)
	return e
}

func extismPool(t testing.TB, wasm []byte, fn string, cfg runtime.PoolConfig) (*runtime.Pool, *logBuffer) {
	t.Helper()
	e, logs := newEngine(t, runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)})
	cfg.Extism.Function = fn
	return newPool(t, e, wasm, cfg), logs
}

// values is each outcome's single output, or its class and message.
func values(t *testing.T, outs []runtime.Outcome) []string {
	t.Helper()
	got := make([]string, len(outs))
	for i, o := range outs {
		if o.Err != nil {
			got[i] = fmt.Sprintf("%s: %v", runtime.ClassOf(o.Err), o.Err)
			continue
		}
		require.Len(t, o.Emits, 1, "record %d", i)
		got[i] = string(o.Emits[0].Value)
	}
	return got
}

func TestExtismPluginRunsOncePerRecord(t *testing.T) {
	wasm := extismUpper(t)
	require.Equal(t, "extism", runtime.Inspect(wasm, runtime.EngineConfig{}).ABI)
	p, _ := extismPool(t, wasm, "upper", runtime.PoolConfig{Config: []byte(`{"suffix":"!"}`)})
	outs, err := p.Process(context.Background(), records("abc", "fail", "", "rc", "Hi there"))
	require.NoError(t, err)
	got := values(t, outs)
	require.Equal(t, "ABC!", got[0])
	require.Contains(t, got[1], `guest_error`)
	require.Contains(t, got[1], `upper: refusing the input "fail"`)
	require.Equal(t, "!", got[2], "an empty record is an empty input")
	require.Contains(t, got[3], "guest_error")
	require.Contains(t, got[3], "upper returned 2 without an error (error_set)")
	require.Equal(t, "HI THERE!", got[4])
}

func TestExtismConfigIsKeysAndValues(t *testing.T) {
	p, _ := extismPool(t, extismUpper(t), "upper", runtime.PoolConfig{Config: []byte(`{"suffix":7}`)})
	outs, err := p.Process(context.Background(), records("a"))
	require.NoError(t, err)
	require.Equal(t, []string{"A7"}, values(t, outs), "a value that is not a string is its JSON text")

	m, err := newEngineOnly(t).Load(context.Background(), extismUpper(t))
	require.NoError(t, err)
	defer m.Close(context.Background())
	_, err = m.NewPool(context.Background(), runtime.PoolConfig{Config: []byte(`"just text"`), Extism: runtime.ExtismConfig{Function: "upper"}})
	require.Equal(t, runtime.ClassConfig, runtime.ClassOf(err), "%v", err)
	require.ErrorContains(t, err, "want an object")
}

func TestExtismVarsLastPerInstance(t *testing.T) {
	p, logs := extismPool(t, extismUpper(t), "count", runtime.PoolConfig{})
	var got []string
	for range 3 {
		outs, err := p.Process(context.Background(), records("", ""))
		require.NoError(t, err)
		got = append(got, values(t, outs)...)
	}
	require.Equal(t, []string{"1", "2", "3", "4", "5", "6"}, got)
	require.Contains(t, logs.String(), "count: call 6")

	fresh, _ := extismPool(t, extismUpper(t), "count", runtime.PoolConfig{})
	outs, err := fresh.Process(context.Background(), records(""))
	require.NoError(t, err)
	require.Equal(t, []string{"1"}, values(t, outs), "vars belong to one instance")
}

func TestExtismVarsAreCapped(t *testing.T) {
	p, _ := extismPool(t, extismUpper(t), "grow", runtime.PoolConfig{Extism: runtime.ExtismConfig{MaxVarBytes: 256 << 10}})
	_, err := p.Process(context.Background(), records(""))
	require.ErrorIs(t, err, runtime.ErrTrap)
	require.ErrorContains(t, err, "past their cap of 262144 bytes")
}

func TestExtismPoolNeedsAFunction(t *testing.T) {
	m, err := newEngineOnly(t).Load(context.Background(), fixtures.RawWAT(t, "runtime/testdata/extism/hostile.wat"))
	require.NoError(t, err)
	defer m.Close(context.Background())
	require.Equal(t, "extism", m.Manifest.Name, "a plugin without a manifest gets one")
	for fn, want := range map[string]string{
		"":          "name the export to call per record",
		"nope":      `exports no function "nope"`,
		"takes_arg": `export "takes_arg" of the Extism plugin is not an Extism function () -> i32`,
	} {
		_, err := m.NewPool(context.Background(), runtime.PoolConfig{Extism: runtime.ExtismConfig{Function: fn}})
		require.Equal(t, runtime.ClassConfig, runtime.ClassOf(err), "%q: %v", fn, err)
		require.ErrorContains(t, err, want, fn)
		require.ErrorContains(t, err, `"bad_load", "bad_output"`, "the error lists the functions there are")
	}
}

// TestExtismHostilePluginIsContained: every offset and length a plugin
// passes is checked; a refusal stops the call and fails the batch (the
// instance is replaced), and the arena, the fuel and the deadline bound
// what a plugin can take.
func TestExtismHostilePluginIsContained(t *testing.T) {
	hostile := fixtures.RawWAT(t, "runtime/testdata/extism/hostile.wat")
	for fn, want := range map[string]string{
		"bad_load":   "load_u64: [1099511627776, 1099511627784) is outside the",
		"bad_store":  "store_u64: [18446744073709551608, 0) is outside the",
		"bad_output": "output_set: [8, 7) is outside the",
		"bad_error":  "error_set: offset 12345 is not the start of an allocated block",
		"bad_input":  "input_load_u64: [18446744073709551615, 7) is outside the input of 1 bytes",
		"bad_var":    "var_get: offset 3 is not the start of an allocated block",
	} {
		t.Run(fn, func(t *testing.T) {
			p, _ := extismPool(t, hostile, fn, runtime.PoolConfig{})
			for range 2 { // and again, on the replacement instance
				_, err := p.Process(context.Background(), records("x"))
				require.ErrorIs(t, err, runtime.ErrTrap)
				require.ErrorContains(t, err, runtime.ExtismModule+"."+want)
			}
		})
	}
	t.Run("fill", func(t *testing.T) {
		p, _ := extismPool(t, hostile, "fill", runtime.PoolConfig{Extism: runtime.ExtismConfig{MaxArenaBytes: 4 << 20}})
		outs, err := p.Process(context.Background(), records("x", "y"))
		require.NoError(t, err)
		for _, o := range outs {
			require.Len(t, o.Emits, 1)
			require.Equal(t, uint64(3), binary.LittleEndian.Uint64(o.Emits[0].Value), "three 1 MiB blocks fit in 4 MiB beside the input, the fourth is refused")
		}
	})
	t.Run("tiny", func(t *testing.T) {
		p, _ := extismPool(t, hostile, "tiny", runtime.PoolConfig{Extism: runtime.ExtismConfig{MaxArenaBytes: 4 << 20}})
		outs, err := p.Process(context.Background(), records("x"))
		require.NoError(t, err)
		require.Equal(t, uint64(4<<20/64-1), binary.LittleEndian.Uint64(outs[0].Emits[0].Value), "a call has at most MaxArenaBytes/64 blocks, the input's one of them")
	})
	t.Run("var_flood", func(t *testing.T) {
		p, _ := extismPool(t, hostile, "var_flood", runtime.PoolConfig{Timeout: time.Minute, Fuel: 100_000_000})
		_, err := p.Process(context.Background(), records("x"))
		require.ErrorIs(t, err, runtime.ErrFuel, "the host's copies are charged: 100M units are some 1,500 copies of 64 KiB, not 20M iterations of the loop")
	})
	t.Run("record_over_arena", func(t *testing.T) {
		p, _ := extismPool(t, extismUpper(t), "upper", runtime.PoolConfig{Extism: runtime.ExtismConfig{MaxArenaBytes: 64}})
		outs, err := p.Process(context.Background(), records("small", string(make([]byte, 65))))
		require.NoError(t, err)
		require.Equal(t, "SMALL", string(outs[0].Emits[0].Value))
		require.ErrorIs(t, outs[1].Err, runtime.ErrBadInput, "only the record too large is flagged")
		require.ErrorContains(t, outs[1].Err, "raise extism_max_arena_bytes")
	})
	t.Run("spin", func(t *testing.T) {
		for _, mode := range []runtime.Interrupt{runtime.InterruptFuel, runtime.InterruptCloseOnContextDone} {
			e := extismEngine(t, runtime.EngineConfig{Interrupt: mode})
			p := newPool(t, e, hostile, runtime.PoolConfig{Timeout: 200 * time.Millisecond, Fuel: 50_000_000, Extism: runtime.ExtismConfig{Function: "spin"}})
			_, err := p.Process(context.Background(), records("x"))
			require.Contains(t, []runtime.Class{runtime.ClassFuel, runtime.ClassTimeout}, runtime.ClassOf(err), "%v: %v", mode, err)
		}
	})
}

func TestExtismAdmissionRefuses(t *testing.T) {
	for file, want := range map[string]string{
		"http":  "import extism:host/env.http_request: HTTP from a plugin is not granted",
		"mixed": `import weir.log: an Extism plugin may import only "extism:host/env" and "wasi_snapshot_preview1"`,
	} {
		r := runtime.Inspect(fixtures.RawWAT(t, "runtime/testdata/extism/"+file+".wat"), runtime.EngineConfig{})
		require.ErrorIs(t, r.Err, runtime.ErrAdmission, file)
		require.ErrorContains(t, r.Err, want, file)
	}
}

func newEngineOnly(t testing.TB) *runtime.Engine { return extismEngine(t, runtime.EngineConfig{}) }

// TestExtismFixturesNameTheFunction: a plugin's golden fixtures, run
// before a swap, name the function they call.
func TestExtismFixturesNameTheFunction(t *testing.T) {
	e := newEngineOnly(t)
	for body, want := range map[string]string{
		`{"function":"upper","config":{"suffix":"?"},"cases":[{"name":"up","in":[{"value":"a"},{"value":"fail"}],"want":[{"out":[{"value":"A?"}]},{"error":"upper: refusing the input \"fail\""}]}]}`: "",
		`{"cases":[{"name":"up","in":[{"value":"a"}],"want":[{"out":[{"value":"A"}]}]}]}`:                                                                                                             "name the export to call per record",
	} {
		packed, err := runtime.PackFixtures(extismUpper(t), []byte(body))
		require.NoError(t, err)
		m, err := e.Load(context.Background(), fixtures.Warm(t, packed))
		require.NoError(t, err)
		err = m.CheckFixtures(context.Background(), m.Fixtures)
		m.Close(context.Background())
		if want == "" {
			require.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, &runtime.Error{Class: runtime.ClassFixture})
		require.ErrorContains(t, err, want)
	}
}
