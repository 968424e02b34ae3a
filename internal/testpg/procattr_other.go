//go:build !linux

package testpg

import "syscall"

// dieWithParent: outside Linux the postmaster is only killed by Close.
func dieWithParent() *syscall.SysProcAttr { return nil }
