//go:build unix

package runtime

import (
	goruntime "runtime"

	"golang.org/x/sys/unix"

	"github.com/tetratelabs/wazero/experimental"
)

// mappedMemory is a linear memory outside the Go heap: the address space
// of its maximum is reserved when the instance is created, inaccessible;
// pages become readable and writable as the guest grows into them, cost
// physical memory only once touched, and are returned to the system when
// the instance closes. It never moves, so growing copies nothing and
// leaves no garbage (docs/RATIONALE.md, "How much memory can a pipeline
// use?").
//
// Nothing may keep a view of guest memory past the instance's close: the
// pages are unmapped, and reading them faults. The host copies out what it
// keeps (decodeOutput, logs) while the instance is alive.
type mappedMemory struct {
	mem       []byte // the reservation, len = the maximum
	committed int    // bytes made readable and writable
	cleanup   goruntime.Cleanup
}

// allocateMemory reserves max bytes, or falls back to a Go slice where the
// system refuses the reservation.
func allocateMemory(capacity, max uint64) experimental.LinearMemory {
	size := max
	if size == 0 {
		size = uint64(unix.Getpagesize())
	}
	if size > 1<<32 { // wasm32 addresses 4 GiB at most
		size = 1 << 32
	}
	b, err := unix.Mmap(-1, 0, int(size), unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANON|mapNoReserve)
	if err != nil {
		return &heapMemory{max: max}
	}
	m := &mappedMemory{mem: b}
	// wazero frees a memory when its instance closes, but not when an
	// instantiation fails after allocating it (a data segment out of
	// bounds): the mapping then goes with the garbage.
	m.cleanup = goruntime.AddCleanup(m, func(b []byte) { _ = unix.Munmap(b) }, b)
	return m
}

// Reallocate makes the first size bytes accessible. It returns nil (the
// grow fails, memory.grow returns -1) past the reservation or if the
// system refuses the pages.
func (m *mappedMemory) Reallocate(size uint64) []byte {
	if m.mem == nil || size > uint64(len(m.mem)) {
		return nil
	}
	if n := int(size); n > m.committed {
		if err := unix.Mprotect(m.mem[m.committed:n], unix.PROT_READ|unix.PROT_WRITE); err != nil {
			return nil
		}
		m.committed = n
	}
	return m.mem[:size:size]
}

// Free unmaps the memory.
func (m *mappedMemory) Free() {
	if m.mem != nil {
		m.cleanup.Stop()
		_ = unix.Munmap(m.mem)
		m.mem, m.committed = nil, 0
	}
}
