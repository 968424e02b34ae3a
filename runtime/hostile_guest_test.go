package runtime_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// hostileGuest assembles a guest speaking just enough ABI v1 to be loaded:
// memory and a table, plus the module fields given (weir_buffer,
// weir_init, weir_process, a start function …). It is generated here rather than kept under testdata
// because some bodies are thousands of instructions long.
func hostileGuest(t testing.TB, name, fields string) []byte {
	t.Helper()
	src := `(module
  (memory (export "memory") 160 2048)
  (table $t 16 1000000 funcref)
` + fields + `
)`
	dir := t.TempDir()
	wat, wasm := filepath.Join(dir, name+".wat"), filepath.Join(dir, name+".wasm")
	require.NoError(t, os.WriteFile(wat, []byte(src), 0o600))
	out, err := exec.Command("wat2wasm", "-o", wasm, wat).CombinedOutput()
	require.NoError(t, err, "wat2wasm: %s", out)
	b, err := os.ReadFile(wasm)
	require.NoError(t, err)
	packed, err := runtime.Pack(b, runtime.Manifest{ABI: runtime.ABIVersion, Name: name, Version: "0.0.0"})
	require.NoError(t, err)
	return packed
}

// initOK are a weir_buffer at 1024 and a weir_init that accepts any config.
const initOK = `(func (export "weir_buffer") (param i32) (result i32) (i32.const 1024))
(func (export "weir_init") (param i32) (result i64) (i64.const 0))`

// emptyOutput ends a weir_process: an output of zero verdicts at 8.
const emptyOutput = `(i32.store (i32.const 8) (i32.const 0)) (i64.or (i64.shl (i64.const 8) (i64.const 32)) (i64.const 4))`

// repeat returns n copies of s.
func repeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for i := 0; i < n; i++ {
		b = append(b, s...)
	}
	return string(b)
}
