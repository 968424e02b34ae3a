package runtime

import (
	"context"

	"github.com/tetratelabs/wazero/experimental"
)

// withLinearMemory makes the instances created with ctx allocate their
// linear memory with allocateMemory.
func withLinearMemory(ctx context.Context) context.Context {
	return experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(allocateMemory))
}

// heapMemory is a linear memory in the Go heap that grows by doubling its
// capacity, up to its maximum: the fallback where address space cannot be
// reserved. Growing copies and leaves the old array to the GC.
type heapMemory struct {
	buf []byte
	max uint64
}

func (m *heapMemory) Reallocate(size uint64) []byte {
	if size > m.max {
		return nil
	}
	if size > uint64(cap(m.buf)) {
		grown := make([]byte, size, min(max(size, 2*uint64(cap(m.buf))), m.max))
		copy(grown, m.buf)
		m.buf = grown
	}
	m.buf = m.buf[:size]
	return m.buf
}

func (m *heapMemory) Free() { m.buf = nil }
