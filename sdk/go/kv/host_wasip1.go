//go:build wasip1

package kv

import "unsafe"

//go:wasmimport weir_kv get_many
func hostGetMany(nsPtr, nsLen, reqPtr, reqLen, outPtr, outCap uint32) int64

//go:wasmimport weir_kv set
func hostSet(nsPtr, nsLen, keyPtr, keyLen, valPtr, valLen uint32, ttlMS int64) uint32

//go:wasmimport weir_kv set_many
func hostSetMany(nsPtr, nsLen, reqPtr, reqLen, outPtr, outCap uint32, ttlMS int64) int64

func setMany(ns string, req, answer []byte, ttlMS int64) int64 {
	return hostSetMany(strPtr(ns), uint32(len(ns)), bytesPtr(req), uint32(len(req)), bytesPtr(answer), uint32(len(answer)), ttlMS)
}

func getMany(ns string, req, answer []byte) int64 {
	return hostGetMany(strPtr(ns), uint32(len(ns)), bytesPtr(req), uint32(len(req)), bytesPtr(answer), uint32(len(answer)))
}

func set(ns string, key, value []byte, ttlMS int64) uint32 {
	return hostSet(strPtr(ns), uint32(len(ns)), bytesPtr(key), uint32(len(key)), bytesPtr(value), uint32(len(value)), ttlMS)
}

func bytesPtr(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(&b[0])))
}

func strPtr(s string) uint32 {
	if len(s) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.StringData(s))))
}
