package runtime_test

import (
	"bytes"
	"context"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/wasmgen"
	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// sections splits a module into its raw sections (id, size, payload).
func sections(t testing.TB, wasm []byte) [][]byte {
	t.Helper()
	m, err := wasmbin.Parse(wasm)
	require.NoError(t, err)
	var out [][]byte
	for _, s := range m.Sections {
		out = append(out, wasmgen.Section(nil, s.ID, s.Payload))
	}
	return out
}

func join(secs ...[]byte) []byte {
	return append([]byte("\x00asm\x01\x00\x00\x00"), bytes.Join(secs, nil)...)
}

// guestWithLogImport is the generated guest importing weir.log.
func guestWithLogImport() []byte {
	m := wasmgen.Guest()
	logType := m.AddType(wasmgen.Type{Params: []byte{wasmgen.I32, wasmgen.I32, wasmgen.I32}})
	m.Imports = append(wasmgen.Name(wasmgen.Name(nil, "weir"), "log"), 0x00, byte(logType))
	m.ImportCount = 1
	for i := range m.Exports { // exports shift by the import
		m.Exports[i][len(m.Exports[i])-1]++
	}
	b, _ := runtime.Pack(m.Bytes(), runtime.Manifest{ABI: 1, Name: "g", Version: "1"})
	return b
}

// TestInspectRefusesMalformedModules: each module is refused by Inspect
// with an error naming the problem, and by Load: one verdict.
func TestInspectRefusesMalformedModules(t *testing.T) {
	good := guestWithLogImport()
	require.NoError(t, runtime.Inspect(good, runtime.EngineConfig{}).Err)
	s := sections(t, good) // type, import, function, memory, export, code, custom
	cases := []struct {
		name, want string
		module     []byte
	}{
		{"unknown section id", "unknown section id 13", join(append(s, wasmgen.Section(nil, 13, []byte{0}))...)},
		{"trailing garbage", "unknown section id 222", append(append([]byte{}, good...), 0xde, 0xad)},
		{"truncated section", "exceeds", append(append([]byte{}, good...), 0x01, 0x05, 0x01)},
		{"type section out of order", "type section out of order: it must come before the import section", join(s[1], s[0], s[2], s[3], s[4], s[5], s[6])},
		{"duplicate section", "duplicate memory section", join(s[0], s[1], s[2], s[3], s[3], s[4], s[5], s[6])},
		{"fewer bodies than functions", "code section has 3 function bodies but the function section declares 4 functions",
			join(s[0], s[1], wasmgen.Section(nil, wasmbin.SectionFunction, []byte{4, 0, 1, 1, 0}), s[3], s[4], s[5], s[6])},
		{"no code section", "declares 3 functions but the module has 0 function bodies", join(s[0], s[1], s[2], s[3], s[4], s[6])},
		{"bytes after a section's entries", "memory section has 1 bytes after its last entry",
			join(s[0], s[1], s[2], wasmgen.Section(nil, wasmbin.SectionMemory, []byte{1, 0, 1, 0}), s[4], s[5], s[6])},
		{"data count mismatch", "data count section says 2 segments but the data section has 0",
			join(s[0], s[1], s[2], s[3], s[4], wasmgen.Section(nil, wasmbin.SectionDataCount, []byte{2}), s[5], s[6])},
		{"bytes after a body's end", "function body 0 has 1 bytes after its final end", join(s[0], s[1], s[2], s[3], s[4], badCode(1), s[6])},
		{"body that does not type-check", "wazero's validator refuses the module", join(s[0], s[1], s[2], s[3], s[4], badCode(2), s[6])},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runtime.Inspect(c.module, runtime.EngineConfig{})
			require.ErrorIs(t, r.Err, runtime.ErrAdmission)
			assert.Contains(t, r.Err.Error(), c.want)
			e, _ := newEngine(t, runtime.EngineConfig{})
			_, err := e.Load(context.Background(), c.module)
			require.ErrorIs(t, err, runtime.ErrAdmission)
		})
	}
}

// badCode is a code section for the guest's three functions whose first
// body is broken: kind 1 has a byte after its end, kind 2 adds two i32s
// that are not there.
func badCode(kind int) []byte {
	first := []byte{0x00, 0x41, 0x00, 0x0b, 0x01} // i32.const 0; end; junk
	if kind == 2 {
		first = []byte{0x00, 0x6a, 0x0b} // i32.add on an empty stack
	}
	payload := append([]byte{3, byte(len(first))}, first...)
	payload = append(payload, 4, 0x00, 0x42, 0x00, 0x0b, 4, 0x00, 0x42, 0x00, 0x0b)
	return wasmgen.Section(nil, wasmbin.SectionCode, payload)
}

// TestTypeSectionOutOfOrderIsNamed: issue #11 reported this module as
// "import weir.log has the wrong signature".
func TestTypeSectionOutOfOrderIsNamed(t *testing.T) {
	s := sections(t, guestWithLogImport())
	r := runtime.Inspect(join(s[1], s[0], s[2], s[3], s[4], s[5], s[6]), runtime.EngineConfig{})
	require.Error(t, r.Err)
	assert.Regexp(t, `offset \d+: type section out of order`, r.Err.Error())
	assert.NotContains(t, r.Err.Error(), "signature")
}

// TestAdmittedIsLoadable mutates a valid module many ways (byte flips,
// insertions, deletions, a copied range, truncation) and checks the one
// verdict: whatever Inspect admits, Load compiles.
func TestAdmittedIsLoadable(t *testing.T) {
	seed := wat(t, "echo")
	rng := rand.New(rand.NewSource(11))
	engines := map[runtime.Interrupt]*runtime.Engine{}
	for _, mode := range modes {
		engines[mode], _ = newEngine(t, runtime.EngineConfig{Interrupt: mode})
	}
	admitted := 0
	for i := 0; i < 600; i++ {
		mutant := mutate(rng, seed)
		mode := modes[i%len(modes)]
		if r := runtime.Inspect(mutant, runtime.EngineConfig{Interrupt: mode}); r.Err == nil {
			admitted++
			m, err := engines[mode].Load(context.Background(), mutant)
			require.NoError(t, err, "mutant %d (%s) was admitted but does not load", i, mode)
			require.NoError(t, m.Close(context.Background()))
		}
	}
	t.Logf("%d of 600 mutants admitted, all loaded", admitted)
	assert.Greater(t, admitted, 20, "too few mutants admitted for the property to mean anything")
}

func mutate(rng *rand.Rand, seed []byte) []byte {
	b := append([]byte{}, seed...)
	at := 8 + rng.Intn(len(b)-8)
	switch rng.Intn(5) {
	case 0:
		b[at] ^= byte(1 << rng.Intn(8))
	case 1:
		b = append(b[:at], append([]byte{byte(rng.Intn(256))}, b[at:]...)...)
	case 2:
		b = append(b[:at], b[at+1:]...)
	case 3:
		n := 1 + rng.Intn(16)
		from := 8 + rng.Intn(len(seed)-8-n)
		b = append(b[:at], append(append([]byte{}, seed[from:from+n]...), b[at:]...)...)
	default:
		b = b[:at]
	}
	return b
}

// FuzzAdmittedIsLoadable is TestAdmittedIsLoadable's property for go test -fuzz.
func FuzzAdmittedIsLoadable(f *testing.F) {
	f.Add(wat(f, "echo"))
	e, _ := newEngine(f, runtime.EngineConfig{})
	f.Fuzz(func(t *testing.T, wasm []byte) {
		if runtime.Inspect(wasm, runtime.EngineConfig{}).Err != nil {
			return
		}
		m, err := e.Load(context.Background(), wasm)
		require.NoError(t, err)
		require.NoError(t, m.Close(context.Background()))
	})
}
