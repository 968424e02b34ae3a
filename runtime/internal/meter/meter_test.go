package meter_test

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime/internal/meter"
	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// modules are every guest the build makes: all WAT test guests, the C
// guests and the Go guests.
func modules(t testing.TB) map[string][]byte {
	mods := smallModules(t)
	for _, g := range []string{"plugins/mask", "plugins/echo", "sdk/go/internal/conformance"} {
		mods[g] = fixtures.Go(t, g)
	}
	return mods
}

// smallModules are the WAT and C guests: quick to build, and small enough
// to seed the fuzzer (every fuzzing worker process builds them again).
func smallModules(t testing.TB) map[string][]byte {
	mods := map[string][]byte{}
	wats, err := filepath.Glob(filepath.Join(fixtures.Root(), "runtime/testdata/guests/*.wat"))
	require.NoError(t, err)
	for _, w := range wats {
		rel, _ := filepath.Rel(fixtures.Root(), w)
		mods[filepath.Base(w)] = fixtures.RawWAT(t, rel)
	}
	for _, c := range []string{"sdk/c/conformance", "bench/guests/mask_c"} {
		mods[c] = fixtures.C(t, c)
	}
	return mods
}

func compile(t testing.TB, r wazero.Runtime, wasm []byte) error {
	m, err := r.CompileModule(context.Background(), wasm)
	if err == nil {
		_ = m.Close(context.Background())
	}
	return err
}

func TestRewrittenModulesValidate(t *testing.T) {
	r := wazero.NewRuntimeWithConfig(context.Background(), wazero.NewRuntimeConfigInterpreter())
	defer r.Close(context.Background())
	for name, wasm := range modules(t) {
		t.Run(name, func(t *testing.T) {
			out, err := meter.Rewrite(wasm, 1000, math.MaxUint32)
			require.NoError(t, err)
			require.NoError(t, compile(t, r, out))
			m, err := wasmbin.Parse(out)
			require.NoError(t, err)
			ex, ok := m.Export(meter.FuelExport)
			require.True(t, ok)
			assert.Equal(t, byte(wasmbin.KindGlobal), ex.Kind)
			last := m.Imports[len(m.Imports)-1]
			assert.Equal(t, []string{meter.CheckInModule, meter.CheckInName}, []string{last.Module, last.Name})
			_, err = meter.Rewrite(out, 1000, math.MaxUint32)
			require.ErrorContains(t, err, "metered twice")
		})
	}
}

func TestRewriteKeepsNames(t *testing.T) {
	out, err := meter.Rewrite(fixtures.Go(t, "plugins/echo"), 1000, math.MaxUint32)
	require.NoError(t, err)
	m, err := wasmbin.Parse(out)
	require.NoError(t, err)
	_, ok := m.CustomSection("name")
	assert.True(t, ok, "the name section survives (stack traces keep function names)")
}

func TestRewriteRefusesWhatItCannotMeter(t *testing.T) {
	// a function body using a tail call (0x12), outside WebAssembly 2.0
	mod := []byte("\x00asm\x01\x00\x00\x00" +
		"\x01\x04\x01\x60\x00\x00" + // type () -> ()
		"\x03\x02\x01\x00" + // one function
		"\x0a\x06\x01\x04\x00\x12\x00\x0b") // body: return_call 0; end
	_, err := meter.Rewrite(mod, 1, math.MaxUint32)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "unsupported instruction 0x12"), err.Error())
}

func TestRewriteRefusesABranchOutOfRange(t *testing.T) {
	mod := []byte("\x00asm\x01\x00\x00\x00" +
		"\x01\x04\x01\x60\x00\x00" + // type () -> ()
		"\x03\x02\x01\x00" + // one function
		"\x0a\x09\x01\x07\x00\x03\x40\x0c\x05\x0b\x0b") // body: loop; br 5; end; end
	_, err := meter.Rewrite(mod, 1, math.MaxUint32)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "branch depth 5 is outside the 2 enclosing labels")
}

// FuzzRewrite feeds generated and mutated modules to the rewriter: it must
// never panic, and whatever wazero accepts before the rewrite it must
// accept after it.
func FuzzRewrite(f *testing.F) {
	for _, wasm := range smallModules(f) {
		f.Add(wasm)
	}
	r := wazero.NewRuntimeWithConfig(context.Background(), wazero.NewRuntimeConfigInterpreter())
	f.Fuzz(func(t *testing.T, wasm []byte) {
		out, err := meter.Rewrite(wasm, 1000, math.MaxUint32)
		// admission parses before wazero ever sees a module: wazero's decoder
		// allocates declared vector sizes up front (testdata/fuzz/FuzzRewrite/
		// ee2cbfb3aade923f: 94 bytes asking for 32 GB)
		if _, perr := wasmbin.Parse(wasm); perr != nil {
			require.Error(t, err, "the rewriter accepted what the parser refuses")
			return
		}
		if compile(t, r, wasm) != nil {
			return // invalid input: any error (or none) is fine, a panic is not
		}
		if err != nil {
			// a valid module the rewriter refuses must say why; only
			// instructions outside WebAssembly 2.0 may be refused
			require.Contains(t, err.Error(), "unsupported", "valid module refused: %v", err)
			return
		}
		require.NoError(t, compile(t, r, out), "rewritten module does not validate")
	})
}

// TestRewriteGrowth checks the growth bound of the package doc on the
// worst instructions, repeated, and reports the growth of real guests.
func TestRewriteGrowth(t *testing.T) {
	for name, body := range map[string]string{
		"memory.grow": "\x41\x00" + strings.Repeat("\x40\x00", 200) + "\x1a",
		"call":        strings.Repeat("\x10\x00", 200),
		"empty loop":  strings.Repeat("\x03\x40\x0b", 200),
		"then nop":    strings.Repeat("\x41\x00\x04\x40\x01\x05\x01\x0b", 100),
	} {
		code := append([]byte{0}, body...) // no locals
		code = append(code, 0x0b)
		mod := []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x05\x03\x01\x00\x01\x0a")
		fn := append(uleb32(uint32(len(code))), code...)
		sec := append([]byte{1}, fn...)
		mod = append(append(mod, uleb32(uint32(len(sec)))...), sec...)
		out, err := meter.Rewrite(mod, 1000, math.MaxUint32)
		require.NoError(t, err, name)
		grown := len(out) - len(mod) - 64 // less the sections the rewrite adds
		assert.LessOrEqual(t, grown, 33*len(code)+64, "%s: %d bytes → %d", name, len(code), len(code)+grown)
		t.Logf("%s: body of %d bytes grew by %d (%.1f×)", name, len(code), grown, float64(len(code)+grown)/float64(len(code)))
	}
	for name, wasm := range smallModules(t) {
		out, err := meter.Rewrite(wasm, 1000, math.MaxUint32)
		require.NoError(t, err)
		t.Logf("%s: %d → %d bytes (%.2f×)", name, len(wasm), len(out), float64(len(out))/float64(len(wasm)))
	}
}

func uleb32(v uint32) []byte { return wasmbin.AppendU32(nil, v) }
