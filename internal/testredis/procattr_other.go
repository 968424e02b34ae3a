//go:build !linux

package testredis

import "syscall"

// dieWithParent: outside Linux the server is only killed by Close.
func dieWithParent() *syscall.SysProcAttr { return nil }
