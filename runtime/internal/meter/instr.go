package meter

import (
	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// Opcodes the rewriter cares about.
const (
	opBlock       = 0x02
	opLoop        = 0x03
	opIf          = 0x04
	opElse        = 0x05
	opEnd         = 0x0b
	opBr          = 0x0c
	opBrIf        = 0x0d
	opBrTable     = 0x0e
	opUnreachable = 0x00
	opCall        = 0x10
	opRefFunc     = 0xd2
	opGlobalGet   = 0x23
	opGlobalSet   = 0x24
	opI64Const    = 0x42
	opI64Sub      = 0x7d
	blockEmpty    = 0x40 // the block type of a block without params or results
	opI64LtS      = 0x53
	opI64Add      = 0x7c
	prefixFC      = 0xfc
	prefixFD      = 0xfd

	opReturn        = 0x0f
	opCallIndirect  = 0x11
	opLocalGet      = 0x20
	opLocalTee      = 0x22
	opMemoryGrow    = 0x40
	opI64Shl        = 0x86
	opI64ShrU       = 0x88
	opI64ExtendI32U = 0xad
)

// Sub-opcodes of the 0xFC prefix that do work in proportion to an operand.
const (
	subMemoryInit = 8
	subMemoryCopy = 10
	subMemoryFill = 11
	subTableInit  = 12
	subTableCopy  = 14
	subTableGrow  = 15
	subTableFill  = 17
)

// instr is one decoded instruction: its opcode (with the sub-opcode for the
// 0xFC and 0xFD prefixes) and the immediates the rewriter changes or needs.
type instr struct {
	op        byte
	sub       uint32
	funcIdx   uint32   // call, ref.func
	blockType int64    // block, loop, if: -64 (0x40) for none, another negative value type, or a type index
	labels    []uint32 // br, br_if: one; br_table: the targets, then the default
}

// next decodes the instruction at the reader's position and skips its
// immediates exactly. It covers every instruction of wazero's default
// feature set (WebAssembly 2.0: MVP, sign extension, saturating truncation,
// bulk memory, reference types, multi-value, SIMD) and refuses the rest.
func next(r *wasmbin.Reader) (instr, error) {
	op, err := r.Byte()
	if err != nil {
		return instr{}, err
	}
	in := instr{op: op}
	switch {
	case op <= 0x01, op == opElse, op == opEnd, op == 0x0f, op == 0x1a, op == 0x1b,
		op >= 0x45 && op <= 0xc4, op == 0xd1:
		return in, nil // no immediates
	case op >= opBlock && op <= opIf:
		in.blockType, err = r.S33()
	case op == opBr, op == opBrIf:
		var l uint32
		l, err = r.U32()
		in.labels = []uint32{l}
	case op >= 0x20 && op <= 0x26:
		_, err = r.U32()
	case op == opBrTable:
		in.labels, err = brTable(r)
	case op == opCall, op == opRefFunc:
		in.funcIdx, err = r.U32()
	case op == 0x11: // call_indirect typeidx tableidx
		err = u32s(r, 2)
	case op == 0x1c: // select t*
		var n uint32
		if n, err = r.U32(); err == nil {
			_, err = r.Bytes(int(n))
		}
	case op >= 0x28 && op <= 0x3e:
		err = memarg(r)
	case op == 0x3f, op == 0x40: // memory.size, memory.grow: memory index
		_, err = r.U32()
	case op == 0x41:
		_, err = r.S32()
	case op == opI64Const:
		_, err = r.S64()
	case op == 0x43:
		_, err = r.Bytes(4)
	case op == 0x44:
		_, err = r.Bytes(8)
	case op == 0xd0: // ref.null reftype
		_, err = r.Byte()
	case op == prefixFC:
		in.sub, err = prefixedFC(r)
	case op == prefixFD:
		in.sub, err = prefixedFD(r)
	default:
		return in, unsupported(r, op)
	}
	return in, err
}

func unsupported(r *wasmbin.Reader, op byte) error {
	return &wasmbin.Error{Offset: r.Pos() - 1, Msg: "unsupported instruction 0x" + hex(op) + " (weir accepts WebAssembly 2.0 without threads, tail calls or exceptions)"}
}

func hex(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// brTable reads a br_table's targets and default.
func brTable(r *wasmbin.Reader) ([]uint32, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	if int(n) > r.Remaining() {
		return nil, &wasmbin.Error{Offset: r.Pos(), Msg: "br_table longer than the function"}
	}
	labels := make([]uint32, n+1)
	for i := range labels {
		if labels[i], err = r.U32(); err != nil {
			return nil, err
		}
	}
	return labels, nil
}

func u32s(r *wasmbin.Reader, n int) error {
	for i := 0; i < n; i++ {
		if _, err := r.U32(); err != nil {
			return err
		}
	}
	return nil
}

// memarg skips alignment and offset. A multi-memory index (alignment bit 6)
// is not part of WebAssembly 2.0 and is refused.
func memarg(r *wasmbin.Reader) error {
	align, err := r.U32()
	if err != nil {
		return err
	}
	if align&0x40 != 0 {
		return &wasmbin.Error{Offset: r.Pos(), Msg: "multi-memory instructions are not supported"}
	}
	_, err = r.U64()
	return err
}

// prefixedFC skips saturating truncation, bulk memory and table operations.
func prefixedFC(r *wasmbin.Reader) (uint32, error) {
	sub, err := r.U32()
	if err != nil {
		return 0, err
	}
	switch {
	case sub <= 7: // trunc_sat
		return sub, nil
	case sub == 8, sub == 10, sub == 12, sub == 14: // memory.init, memory.copy, table.init, table.copy
		return sub, u32s(r, 2)
	case sub == 9, sub == 11, sub == 13, sub <= 17: // data.drop, memory.fill, elem.drop, table.grow/size/fill
		return sub, u32s(r, 1)
	}
	return sub, &wasmbin.Error{Offset: r.Pos(), Msg: "unsupported 0xfc instruction " + itoa(sub)}
}

// prefixedFD skips a SIMD instruction's immediates.
func prefixedFD(r *wasmbin.Reader) (uint32, error) {
	sub, err := r.U32()
	if err != nil {
		return 0, err
	}
	switch {
	case sub <= 11, sub == 0x5c, sub == 0x5d: // loads, stores, load_zero
		err = memarg(r)
	case sub == 12, sub == 13: // v128.const, i8x16.shuffle
		_, err = r.Bytes(16)
	case sub >= 21 && sub <= 34: // extract_lane, replace_lane
		_, err = r.Byte()
	case sub >= 0x54 && sub <= 0x5b: // load_lane, store_lane
		if err = memarg(r); err == nil {
			_, err = r.Byte()
		}
	case sub > 0xff:
		err = &wasmbin.Error{Offset: r.Pos(), Msg: "unsupported SIMD instruction " + itoa(sub) + " (relaxed SIMD is not enabled)"}
	}
	return sub, err
}

func itoa(v uint32) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}
