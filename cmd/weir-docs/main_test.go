package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// The committed component reference matches the ConfigSpecs.
func TestComponentDocsAreUpToDate(t *testing.T) {
	pages, err := Pages()
	require.NoError(t, err)
	n := 0
	for _, names := range Components {
		n += len(names)
	}
	require.Len(t, pages, n, "one page per component")
	for name, body := range pages {
		onDisk, err := os.ReadFile(filepath.Join(fixtures.Root(), "docs/components", name))
		require.NoError(t, err, "run `make docs` to write docs/components/%s", name)
		assert.Equal(t, string(body), string(onDisk), "docs/components/%s is out of date: run `make docs`", name)
	}
}
