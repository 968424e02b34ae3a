// Command rawfloor is the reference mask on the projection ABI with no
// SDK: the floor for a Go guest on weir_process_fields, measured by
// BenchmarkMaskFuelSplit and BenchmarkGuestAB. It trusts its input and
// assumes ASCII: a benchmark's floor, not a transform.
package main

import (
	"encoding/binary"
	"unsafe"
)

var (
	inbuf []byte
	out   []byte
	decl  []byte
)

func init() {
	le := binary.LittleEndian
	decl = le.AppendUint32(nil, 3)
	for _, p := range []string{"customer.email", "customer.phone", "customer.card"} {
		decl = append(le.AppendUint32(decl, uint32(len(p))), p...)
	}
}

//go:wasmexport weir_buffer
func weirBuffer(size uint32) uint32 {
	if uint32(cap(inbuf)) < size {
		inbuf = make([]byte, size)
	}
	inbuf = inbuf[:cap(inbuf)]
	return uint32(uintptr(unsafe.Pointer(&inbuf[0])))
}

//go:wasmexport weir_init
func weirInit(n uint32) uint64 { return 0 }

//go:wasmexport weir_fields
func weirFields() uint64 { return pack(decl) }

//go:wasmexport weir_process
func weirProcess(n uint32) uint64 { panic("not projected") }

//go:wasmexport weir_process_fields
func weirProcessFields(n uint32) uint64 {
	in := inbuf[:n]
	le := binary.LittleEndian
	o := le.AppendUint32(out[:0], le.Uint32(in))
	count := int(le.Uint32(in))
	pos := 4
	for i := 0; i < count; i++ {
		fc := int(le.Uint32(in[pos:]))
		pos += 4
		o = le.AppendUint32(o, uint32(i))
		o = append(o, 1, 8)
		o = le.AppendUint32(o, uint32(fc))
		for j := 0; j < fc; j++ {
			path := le.Uint32(in[pos:])
			vn := int(le.Uint32(in[pos+5:]))
			v := in[pos+9 : pos+9+vn]
			pos += 9 + vn
			o = le.AppendUint32(o, uint32(j))
			o = append(o, 1)
			at := len(o)
			o = append(o, 0, 0, 0, 0)
			switch path {
			case 0:
				k := len(v)
				for k > 0 && v[k-1] != '@' {
					k--
				}
				o = append(o, "***"...)
				if k > 0 {
					o = append(o, v[k-1:]...)
				}
			case 1:
				o = append(o, "***"...)
				o = append(o, v[max(len(v)-4, 0):]...)
			default:
				o = append(o, "************"...)
				o = append(o, v[max(len(v)-4, 0):]...)
			}
			le.PutUint32(o[at:], uint32(len(o)-at-4))
		}
		mc := int(le.Uint32(in[pos:]))
		pos += 4
		for j := 0; j < mc; j++ {
			pos += 4 + int(le.Uint32(in[pos:]))
			pos += 4 + int(le.Uint32(in[pos:]))
		}
	}
	out = o
	return pack(o)
}

func pack(b []byte) uint64 {
	return uint64(uintptr(unsafe.Pointer(&b[0])))<<32 | uint64(len(b))
}

func main() {}
