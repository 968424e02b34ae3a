package runtime_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/runtime/internal/meter"
)

func newEngineErr(dir string) error {
	e, err := runtime.NewEngine(context.Background(), runtime.EngineConfig{CacheDir: dir})
	if err == nil {
		_ = e.Close(context.Background())
	}
	return err
}

// A cache directory others can write is refused, whatever wrote the bad
// mode: the directory itself, a directory above it, wazero's subdirectory
// or a file in it.
func TestCacheDirWritableByOthersIsRefused(t *testing.T) {
	cases := map[string]func(t *testing.T, dir string) (cacheDir, bad string){
		"world-writable": func(t *testing.T, dir string) (string, string) {
			return dir, chmod(t, dir, 0o777)
		},
		"group-writable": func(t *testing.T, dir string) (string, string) {
			return dir, chmod(t, dir, 0o770)
		},
		"parent without sticky bit": func(t *testing.T, dir string) (string, string) {
			return filepath.Join(dir, "cache"), chmod(t, dir, 0o777)
		},
		"wazero's subdirectory": func(t *testing.T, dir string) (string, string) {
			return dir, chmod(t, wazeroDir(t, dir), 0o777)
		},
		"a compiled entry": func(t *testing.T, dir string) (string, string) {
			return dir, chmod(t, compiledEntry(t, dir), 0o666)
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			cacheDir, bad := setup(t, t.TempDir())
			err := newEngineErr(cacheDir)
			require.Error(t, err)
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", bad), "the error names the path")
			assert.Contains(t, err.Error(), "writable by its group or others (mode ")
			assert.Contains(t, err.Error(), "chmod 0700", "and what to do")
		})
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) string {
	t.Helper()
	require.NoError(t, os.Chmod(path, mode))
	return path
}

// wazeroDir is wazero's subdirectory of a cache directory, made by opening it.
func wazeroDir(t *testing.T, dir string) string {
	t.Helper()
	require.NoError(t, newEngineErr(dir))
	dirs, err := filepath.Glob(filepath.Join(dir, "wazero-*"))
	require.NoError(t, err)
	require.Len(t, dirs, 1)
	return dirs[0]
}

// compiledEntry compiles the echo guest into dir and returns its file.
func compiledEntry(t *testing.T, dir string) string {
	t.Helper()
	e, _ := newEngine(t, runtime.EngineConfig{CacheDir: dir})
	m, err := e.Load(context.Background(), wat(t, "echo"))
	require.NoError(t, err)
	require.NoError(t, m.Close(context.Background()))
	files, err := filepath.Glob(filepath.Join(wazeroDir(t, dir), "*"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	return files[0]
}

func TestCacheDirOwnedByAnotherUserIsRefused(t *testing.T) {
	dir := "/" // owned by root: another user's unless this test runs as root
	if os.Geteuid() == 0 {
		dir = t.TempDir()
		require.NoError(t, os.Chown(dir, 4242, 4242))
	}
	err := newEngineErr(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is owned by uid ")
	assert.Contains(t, err.Error(), fmt.Sprintf("%q", dir))
}

// A directory that does not exist is created 0700, wazero's inside it too,
// and a 0700 directory in a sticky world-writable one (as under /tmp) is
// accepted.
func TestCacheDirIsCreatedPrivate(t *testing.T) {
	parent := t.TempDir()
	chmod(t, parent, 0o777|os.ModeSticky)
	dir := filepath.Join(parent, "a", "cache")
	require.NoError(t, newEngineErr(dir))
	for _, d := range []string{filepath.Join(parent, "a"), dir, wazeroDir(t, dir)} {
		fi, err := os.Stat(d)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), d)
	}
}

// A cache entry wazero cannot read fails its compile (wazero does not fall
// back to compiling): weir empties the cache, logs it and compiles again.
func TestUnreadableCompiledEntryIsPurgedAndRecompiled(t *testing.T) {
	cases := map[string]func(t *testing.T, file string){
		"truncated": func(t *testing.T, file string) {
			require.NoError(t, os.Truncate(file, 10))
		},
		"machine code changed": func(t *testing.T, file string) {
			b, err := os.ReadFile(file)
			require.NoError(t, err)
			b[executableOffset(t, b)] ^= 0xff // caught by the CRC wazero keeps over the code
			require.NoError(t, os.WriteFile(file, b, 0o600))
		},
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			tamper(t, compiledEntry(t, dir))
			e, logs := newEngine(t, runtime.EngineConfig{CacheDir: dir})
			p := newPool(t, e, wat(t, "echo"), runtime.PoolConfig{})
			out, err := p.Process(context.Background(), records("still echoed"))
			require.NoError(t, err)
			assert.Equal(t, "still echoed", string(out[0].Emits[0].Value))
			assert.Contains(t, logs.String(), "compilation cache entry unreadable")
			assert.Contains(t, logs.String(), filepath.Base(wazeroDir(t, dir)), "the warning names the directory")
		})
	}
}

// executableOffset is where the machine code starts in a wazero v1.12 cache
// entry: "WAZEVO", the version (length-prefixed), the function count, one
// 8-byte offset per function, the code's 8-byte length.
func executableOffset(t *testing.T, b []byte) int {
	t.Helper()
	require.Equal(t, "WAZEVO", string(b[:6]))
	pos := 7 + int(b[6])
	funcs := int(binary.LittleEndian.Uint32(b[pos:]))
	pos += 4 + 8*funcs
	require.Greater(t, binary.LittleEndian.Uint64(b[pos:]), uint64(0))
	return pos + 8
}

// The metered module is never read back from disk: a module planted where
// earlier versions cached the rewrite is not what runs. The planted one
// echoes; the real one loops and must still be stopped by fuel.
func TestPlantedMeteredModuleIsNeverRun(t *testing.T) {
	dir := t.TempDir()
	loop, echo := wat(t, "loop"), wat(t, "echo")
	name := strings.TrimPrefix(runtime.Digest(loop), "sha256:") + ".wasm"
	for _, variant := range []string{fmt.Sprintf("v%d-1000000-1000000", meter.Version), "v1-1000000-1000000"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "metered", variant), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "metered", variant, name), echo, 0o600))
	}
	e, _ := newEngine(t, runtime.EngineConfig{CacheDir: dir})
	p := newPool(t, e, loop, runtime.PoolConfig{Timeout: time.Minute, Fuel: 50_000})
	_, err := p.Process(context.Background(), records("x"))
	require.ErrorIs(t, err, runtime.ErrFuel, "the loop ran, metered")
}
