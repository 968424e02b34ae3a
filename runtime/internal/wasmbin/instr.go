package wasmbin

// skipInstr reads one instruction and its immediates, returning its opcode
// and, for br_table, the number of targets. It knows every instruction of
// wazero's default feature set (WebAssembly 2.0) and refuses the rest, so a
// body that walks to its end is made of instructions the compiler accepts.
func skipInstr(r *Reader) (op byte, targets uint32, err error) {
	if op, err = r.Byte(); err != nil {
		return 0, 0, err
	}
	switch {
	case op <= 0x01, op == 0x05, op == 0x0b, op == 0x0f, op == 0x1a, op == 0x1b,
		op >= 0x45 && op <= 0xc4, op == 0xd1:
	case op >= 0x02 && op <= 0x04: // block, loop, if
		_, err = r.S33()
	case op == 0x0c, op == 0x0d, op >= 0x20 && op <= 0x26, op == 0x10, op == 0xd2, op == 0x3f, op == 0x40:
		_, err = r.U32()
	case op == 0x0e:
		targets, err = skipBrTable(r)
	case op == 0x11: // call_indirect
		if _, err = r.U32(); err == nil {
			_, err = r.U32()
		}
	case op == 0x1c: // select t*
		var n uint32
		if n, err = count(r, "select types"); err == nil {
			_, err = r.Bytes(int(n))
		}
	case op >= 0x28 && op <= 0x3e:
		err = skipMemarg(r)
	case op == 0x41:
		_, err = r.S32()
	case op == 0x42:
		_, err = r.S64()
	case op == 0x43:
		_, err = r.Bytes(4)
	case op == 0x44:
		_, err = r.Bytes(8)
	case op == 0xd0:
		_, err = r.Byte()
	case op == 0xfc:
		err = skipFC(r)
	case op == 0xfd:
		err = skipFD(r)
	default:
		return op, 0, &Error{Offset: r.Pos() - 1, Msg: "unknown or unsupported instruction 0x" + hex2(op) + " (weir accepts WebAssembly 2.0 without threads, tail calls or exceptions)"}
	}
	return op, targets, err
}

func skipBrTable(r *Reader) (uint32, error) {
	n, err := count(r, "br_table targets")
	for i := uint32(0); err == nil && i <= n; i++ {
		_, err = r.U32()
	}
	return n, err
}

func skipMemarg(r *Reader) error {
	align, err := r.U32()
	if err == nil && align&0x40 != 0 {
		return r.errorf("multi-memory instructions are not supported")
	}
	if err == nil {
		_, err = r.U64()
	}
	return err
}

func skipFC(r *Reader) error {
	sub, err := r.U32()
	switch {
	case err != nil:
	case sub <= 7: // trunc_sat
	case sub == 8, sub == 10, sub == 12, sub == 14: // memory.init, memory.copy, table.init, table.copy
		if _, err = r.U32(); err == nil {
			_, err = r.U32()
		}
	case sub <= 17: // data.drop, memory.fill, elem.drop, table.grow/size/fill
		_, err = r.U32()
	default:
		err = r.errorf("unsupported instruction 0xfc %d", sub)
	}
	return err
}

func skipFD(r *Reader) error {
	sub, err := r.U32()
	switch {
	case err != nil:
	case sub <= 11, sub == 0x5c, sub == 0x5d: // loads, stores, load_zero
		err = skipMemarg(r)
	case sub == 12, sub == 13: // v128.const, i8x16.shuffle
		_, err = r.Bytes(16)
	case sub >= 21 && sub <= 34: // extract_lane, replace_lane
		_, err = r.Byte()
	case sub >= 0x54 && sub <= 0x5b: // load_lane, store_lane
		if err = skipMemarg(r); err == nil {
			_, err = r.Byte()
		}
	case sub > 0xff:
		err = r.errorf("unsupported SIMD instruction %d (relaxed SIMD is not enabled)", sub)
	}
	return err
}

func hex2(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}
