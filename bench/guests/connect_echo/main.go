//go:build wasip1

// Command connect_echo is an echo on the Connect-style per-message ABI
// (bench/peer_connect.go): it reads the message and writes it back.
package main

import "unsafe"

//go:wasmimport connect_peer msg_as_bytes
func msgAsBytes() uint64

//go:wasmimport connect_peer msg_set_bytes
func msgSetBytes(ptr unsafe.Pointer, n uint32)

// arena holds what the host allocated for the current message.
var arena [][]byte

//go:wasmexport allocate
func allocate(n uint32) unsafe.Pointer {
	b := make([]byte, max(n, 1))
	arena = append(arena, b)
	return unsafe.Pointer(&b[0])
}

//go:wasmexport process
func process() {
	arena = arena[:0]
	n := uint32(msgAsBytes())
	doc := arena[len(arena)-1][:n] // the host filled the last allocation
	msgSetBytes(unsafe.Pointer(unsafe.SliceData(doc)), uint32(len(doc)))
}

func main() {}
