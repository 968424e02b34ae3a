package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

func TestInspectShowsTheGuestABI(t *testing.T) {
	for file, want := range map[string][]byte{
		"abi:       extism": fixtures.Go(t, "runtime/testdata/extism/upper"),
		"abi:       weir":   fixtures.WAT(t, "runtime/testdata/guests/echo.wat"),
	} {
		path := filepath.Join(t.TempDir(), "m.wasm")
		require.NoError(t, os.WriteFile(path, want, 0o644))
		out, err := runTransform(t, "inspect", path)
		require.NoError(t, err)
		assert.Contains(t, out, file)
		assert.Contains(t, out, "verdict:   admitted")
	}
}
