package http

import (
	"fmt"
	"unsafe"
)

//go:wasmimport weir_http fetch
func hostFetch(ptr, n uint32) int64

//go:wasmimport weir_http take
func hostTake(ptr, n uint32) int32

// results is the answers buffer, reused across calls.
var results []byte

// fetch runs the encoded requests and copies the answers into results.
func fetch(reqs []byte) ([]byte, error) {
	size := hostFetch(uint32(uintptr(unsafe.Pointer(unsafe.SliceData(reqs)))), uint32(len(reqs)))
	if size < 4 {
		return nil, fmt.Errorf("weir http: the host answered a length of %d", size)
	}
	if cap(results) < int(size) {
		results = make([]byte, size)
	}
	results = results[:size]
	if got := hostTake(uint32(uintptr(unsafe.Pointer(unsafe.SliceData(results)))), uint32(size)); int64(got) != size {
		return nil, fmt.Errorf("weir http: the host copied %d of %d result bytes", got, size)
	}
	return results, nil
}
