package runtime

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetratelabs/wazero"

	"github.com/weirstream/weir/runtime/internal/meter"
)

// Compiled code is cached on disk by wazero alone: its file cache holds
// native code this process maps executable, keyed by the digest of the
// (metered) module. wazero checks an entry only with a CRC, which anyone
// who can write the file can recompute, so the directory's owner is the
// trust root: it must be this process's user, and nobody else may write
// it or the directories above it (docs/RATIONALE.md, "Why is the
// compiled-code cache trusted only when nobody else can write it?").

// newCache opens the compilation cache: in memory without dir, otherwise
// wazero's file cache in dir, created 0700 and refused unless only this
// process's user can write it.
func newCache(dir string) (wazero.CompilationCache, error) {
	if dir == "" {
		return wazero.NewCompilationCache(), nil
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		err = os.MkdirAll(abs, 0o700)
	}
	if err != nil {
		return nil, fmt.Errorf("weir: compilation cache directory %q: %w", dir, err)
	}
	if err := checkCacheDir(abs); err != nil {
		return nil, err
	}
	c, err := wazero.NewCompilationCacheWithDir(abs) // creates its wazero-<version>-<arch>-<os> subdirectory
	if err != nil {
		return nil, fmt.Errorf("weir: compilation cache directory %q: %w", dir, err)
	}
	if err := checkWazeroDirs(abs); err != nil {
		_ = c.Close(context.Background())
		return nil, err
	}
	return c, nil
}

// checkCacheDir checks dir and the directories above it, through symbolic
// links too: owned by this process's user and writable by nobody else.
func checkCacheDir(dir string) error {
	if err := checkAncestors(dir); err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		return checkAncestors(real)
	}
	return nil
}

// checkWazeroDirs checks what wazero reads in dir: its wazero-*
// subdirectories and their entries.
func checkWazeroDirs(dir string) error {
	subdirs, err := filepath.Glob(filepath.Join(dir, "wazero-*"))
	if err != nil {
		return err
	}
	for _, d := range subdirs {
		if err := checkEntries(d); err != nil {
			return err
		}
	}
	return nil
}

// checkAncestors checks path and every directory above it. Above the cache
// directory, a directory others may write is allowed only with the sticky
// bit (as /tmp has it), where they cannot rename what is not theirs.
func checkAncestors(path string) error {
	for p, first := path, true; ; p, first = filepath.Dir(p), false {
		if err := checkOwner(p, kindOf(first)); err != nil {
			return err
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// checkEntries checks dir and every entry in it.
func checkEntries(dir string) error {
	if err := checkOwner(dir, pathCache); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("weir: compilation cache directory %q: %w", dir, err)
	}
	for _, en := range entries {
		if err := checkOwner(filepath.Join(dir, en.Name()), pathEntry); err != nil {
			return err
		}
	}
	return nil
}

// pathKind is what a checked path is to the cache.
type pathKind int

const (
	pathCache    pathKind = iota // the cache directory or a directory of wazero's in it
	pathAncestor                 // a directory above the cache directory
	pathEntry                    // a file (or directory) in a directory of wazero's
)

func kindOf(first bool) pathKind {
	if first {
		return pathCache
	}
	return pathAncestor
}

// unsafeCacheError says what is wrong with one path of a cache directory
// and what to do about it.
func unsafeCacheError(path, problem string) error {
	return fmt.Errorf("weir: compilation cache %q %s; the cache holds native code this process runs, "+
		"so only its user (uid %d) may write it: fix the owner and mode (chmod 0700), "+
		"point cache_dir (EngineConfig.CacheDir) at a directory of your own, or use no disk cache (cache_dir: none)",
		path, problem, os.Geteuid())
}

// isCacheCorruption tells whether a compile failed on an unreadable entry
// of wazero's file cache (a bad CRC, a short file): wazero then fails the
// compile rather than recompiling.
func isCacheCorruption(err error) bool {
	return err != nil && strings.Contains(err.Error(), "compilationcache:")
}

// purgeWazeroCache deletes the entries of wazero's subdirectories of dir.
// An entry wazero cannot read was not written by it: nothing there is
// trusted any more, and everything is recompiled on demand.
func (e *Engine) purgeWazeroCache(cause error) {
	dirs, _ := filepath.Glob(filepath.Join(e.cfg.CacheDir, "wazero-*"))
	for _, d := range dirs {
		entries, _ := os.ReadDir(d)
		for _, en := range entries {
			_ = os.Remove(filepath.Join(d, en.Name()))
		}
		e.cfg.Logger.Warn("weir: compilation cache entry unreadable: emptied the cache directory, recompiling",
			"dir", d, "cause", cause.Error())
	}
}

// meteredModule returns the module rewritten for fuel. The rewrite is done
// on every load, never read back from disk: it costs a fraction of the
// compile, and a cached copy could only be trusted as far as the
// directory holding it (docs/RATIONALE.md, "Why is the metered module
// never cached on disk?").
func (e *Engine) meteredModule(wasm []byte) ([]byte, error) {
	out, err := meter.Rewrite(wasm, e.cfg.FuelCheckIn, e.cfg.MaxTableElements)
	if err != nil {
		return nil, &Error{Class: ClassAdmission, Msg: "fuel metering rewrite failed", Cause: err}
	}
	return out, nil
}
