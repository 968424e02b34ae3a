//go:build unix

package runtime

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkOwner refuses path unless this process's user owns it (root may
// own the directories above the cache) and nobody else may write it
// (a sticky directory above the cache excepted).
func checkOwner(path string, kind pathKind) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("weir: compilation cache: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	uid, me, mode := int(st.Uid), os.Geteuid(), fi.Mode()
	switch {
	case uid != me && !(kind == pathAncestor && uid == 0):
		return unsafeCacheError(path, fmt.Sprintf("is owned by uid %d (mode %s)", uid, mode))
	case mode&fs.ModeSymlink != 0:
		if kind == pathEntry {
			return unsafeCacheError(path, "is a symbolic link")
		}
		return nil // its target is checked through the resolved path
	case kind == pathEntry && !mode.IsRegular() && !mode.IsDir():
		return unsafeCacheError(path, fmt.Sprintf("is not a regular file (mode %s)", mode))
	case mode.Perm()&0o022 != 0 && !(kind == pathAncestor && mode&fs.ModeSticky != 0):
		return unsafeCacheError(path, fmt.Sprintf("is writable by its group or others (mode %s, owner uid %d)", mode, uid))
	}
	return nil
}
