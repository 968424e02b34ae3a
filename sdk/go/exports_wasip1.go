//go:build wasip1

package weir

import "unsafe"

// The guest side of ABI v1: the host writes into inbuf (obtained through
// weir_buffer) and reads the output through the packed (ptr<<32 | len)
// that weir_init and weir_process return. Go's GC never moves heap
// objects, and these globals keep the buffers alive between calls.
var (
	inbuf   []byte
	state   batch
	fstate  fieldsBatch
	initErr []byte
)

//go:wasmexport weir_buffer
func weirBuffer(size uint32) uint32 {
	if size == 0 {
		size = 1
	}
	if uint32(cap(inbuf)) < size {
		inbuf = make([]byte, size)
	}
	inbuf = inbuf[:cap(inbuf)]
	return uint32(uintptr(unsafe.Pointer(&inbuf[0])))
}

//go:wasmexport weir_init
func weirInit(n uint32) uint64 {
	if uint64(n) > uint64(len(inbuf)) {
		return pack(fail("config length exceeds the buffer"))
	}
	if err := initFunc(append([]byte(nil), inbuf[:n]...)); err != nil {
		return pack(fail(err.Error()))
	}
	if err := checkProjection(); err != nil {
		return pack(fail(err.Error()))
	}
	return 0
}

// weir_fields answers the paths Project declared, or 0: no projection.
//
//go:wasmexport weir_fields
func weirFields() uint64 { return pack(projection.declared) }

//go:wasmexport weir_process_fields
func weirProcessFields(n uint32) uint64 {
	if uint64(n) > uint64(len(inbuf)) {
		panic("weir: batch length exceeds the buffer")
	}
	out, err := fstate.process(inbuf[:n], projection.paths, projection.handler)
	if err != nil {
		panic(err)
	}
	return pack(out)
}

//go:wasmexport weir_process
func weirProcess(n uint32) uint64 {
	if uint64(n) > uint64(len(inbuf)) {
		panic("weir: batch length exceeds the buffer")
	}
	out, err := state.process(inbuf[:n], handler)
	if err != nil {
		panic(err)
	}
	return pack(out)
}

func fail(msg string) []byte {
	initErr = []byte(msg)
	if len(initErr) == 0 {
		initErr = []byte("init failed")
	}
	return initErr
}

func pack(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))<<32 | uint64(len(b))
}

//go:wasmimport weir log
func hostLog(level, ptr, n uint32)

func logString(level Level, msg string) {
	hostLog(uint32(level), uint32(uintptr(unsafe.Pointer(unsafe.StringData(msg)))), uint32(len(msg)))
}
