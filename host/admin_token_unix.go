//go:build unix

package host

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// privatePath refuses path unless this user or root owns it and nobody
// else may write it; a directory above (not own) that others may write is
// allowed with the sticky bit (as /tmp has it), where they cannot rename
// what is not theirs.
func privatePath(path string, own bool) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	uid, mode := int(st.Uid), fi.Mode()
	switch {
	case uid != os.Geteuid() && uid != 0:
		return fmt.Errorf("%s is owned by uid %d, neither this user (uid %d) nor root", path, uid, os.Geteuid())
	case mode.Perm()&0o022 != 0 && (own || mode&fs.ModeSticky == 0):
		return fmt.Errorf("%s is writable by its group or others (mode %s): chmod go-w it, or choose another path", path, mode)
	}
	return nil
}

// privateFile refuses a file another user owns, or that its group or
// others may read or write.
func privateFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("is owned by uid %d, not this user (uid %d)", st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("may be read or written by its group or others (mode %s): chmod 600 it", fi.Mode())
	}
	return nil
}
