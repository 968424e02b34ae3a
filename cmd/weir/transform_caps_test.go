package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// inspect shows what a module may touch: each capability it declares, and
// what of it.
func TestInspectShowsCapabilities(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kvproxy.wasm")
	require.NoError(t, os.WriteFile(path, fixtures.WAT(t, "runtime/testdata/guests/kvproxy.wat"), 0o644))
	out, err := runTransform(t, "inspect", path)
	require.NoError(t, err)
	assert.Contains(t, out, `capability kv: {"namespaces":["risk","other"],"write":true}`)
	assert.Contains(t, out, "weir_kv.get_many")
}
