//go:build !unix

package runtime

import "github.com/tetratelabs/wazero/experimental"

// allocateMemory is the Go-heap linear memory where address space cannot
// be reserved with mmap.
func allocateMemory(_, max uint64) experimental.LinearMemory { return &heapMemory{max: max} }
