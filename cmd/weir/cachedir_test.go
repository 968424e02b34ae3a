package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// TestMain keeps the package's tests off the user's own cache: the
// default --cache-dir of `weir transform build` and `test` is then the
// tests' shared one (fixtures.CacheDir), which fixtures.Warm fills
// without -race.
func TestMain(m *testing.M) {
	cache, err := fixtures.SharedCacheHome()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_CACHE_HOME", cache)
	os.Exit(m.Run())
}

// cacheEntries reads the files wazero keeps in the cache directory dir.
func cacheEntries(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "wazero-*", "*"))
	require.NoError(t, err)
	entries := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		entries[p] = b
	}
	return entries
}

// build compiles the module into the cache; test reads it back and adds
// nothing; an entry overwritten with garbage is recompiled, not an error.
func TestTransformTestReadsTheCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cached")
	cache := filepath.Join(t.TempDir(), "compiled")
	_, err := runTransform(t, "new", "--lang", "wat", "--dir", dir, "cached")
	require.NoError(t, err)
	out, err := runTransform(t, "build", "--cache-dir", cache, dir)
	require.NoError(t, err, out)
	assert.Contains(t, out, "compiled:  into "+cache)
	built := cacheEntries(t, cache)
	require.Len(t, built, 1, "build compiles the module into the cache")

	wasm := filepath.Join(dir, "cached.wasm")
	out, err = runTransform(t, "test", "--cache-dir", cache, wasm)
	require.NoError(t, err, out)
	assert.Contains(t, out, "2 passed")
	assert.Equal(t, built, cacheEntries(t, cache), "a second compile of the module is a cache hit")

	for p := range built {
		require.NoError(t, os.WriteFile(p, []byte("not a compiled module"), 0o600))
	}
	out, err = runTransform(t, "test", "--cache-dir", cache, wasm)
	require.NoError(t, err, out)
	assert.Contains(t, out, "2 passed")
	assert.Equal(t, built, cacheEntries(t, cache), "the unreadable entry is compiled again")
}

// --no-cache writes no cache directory, not even the default one; with
// --cache-dir it is refused.
func TestTransformTestNoCache(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", home)
	dir := filepath.Join(t.TempDir(), "uncached")
	cache := filepath.Join(t.TempDir(), "compiled")
	_, err := runTransform(t, "new", "--lang", "wat", "--dir", dir, "uncached")
	require.NoError(t, err)
	out, err := runTransform(t, "build", "--no-cache", dir)
	require.NoError(t, err, out)
	assert.NotContains(t, out, "compiled:")
	out, err = runTransform(t, "test", "--no-cache", filepath.Join(dir, "uncached.wasm"))
	require.NoError(t, err, out)
	assert.Contains(t, out, "2 passed")
	assert.NoDirExists(t, filepath.Join(home, "weir"))

	out, err = runTransform(t, "test", "--no-cache", "--cache-dir", cache, filepath.Join(dir, "uncached.wasm"))
	require.Error(t, err)
	assert.Contains(t, out+err.Error(), "--cache-dir and --no-cache are exclusive")
	assert.NoDirExists(t, cache)
}
