package wasmbin

// MaxLocals is the most locals a function may declare, the limit browsers
// apply. wazero allocates a function's declared locals before reading its
// body, up to 2^32 of them.
const MaxLocals = 50_000

// wazero's decoder allocates every vector a module declares before reading
// its elements: 94 bytes could ask the host for 32 GB and kill the process.
// The checks below read the sections Parse does not otherwise need (globals,
// elements, code, data, the name section) far enough to see every declared
// count and size, and refuse any that cannot fit in the bytes left.

// checkGlobals bounds the global count and reads every global.
func checkGlobals(r *Reader, c *Cost) error {
	n, err := count(r, "globals")
	c.Globals = int(n)
	for i := uint32(0); err == nil && i < n; i++ {
		var t byte
		if t, err = r.Byte(); err == nil && !isValType(t) {
			return r.errorf("global %d: unknown value type 0x%02x", i, t)
		}
		if _, err = r.Byte(); err == nil { // mutability
			err = skipConstExpr(r)
		}
	}
	return err
}

// checkElements bounds the segment count and each segment's element count.
func checkElements(r *Reader, c *Cost) error {
	n, err := count(r, "element segments")
	c.Segments = int(n)
	for i := uint32(0); err == nil && i < n; i++ {
		err = checkElement(r, c)
	}
	return err
}

func checkElement(r *Reader, c *Cost) error {
	flags, err := r.U32()
	if err != nil {
		return err
	}
	if flags > 7 {
		return r.errorf("unknown element segment flags %d", flags)
	}
	if flags&3 == 2 { // explicit table index
		if _, err := r.U32(); err != nil {
			return err
		}
	}
	if flags&1 == 0 { // active: an offset expression
		if err := skipConstExpr(r); err != nil {
			return err
		}
	}
	if flags&3 != 0 { // element kind or reference type
		if _, err := r.Byte(); err != nil {
			return err
		}
	}
	n, err := count(r, "elements")
	c.Elements += uint64(n)
	for i := uint32(0); err == nil && i < n; i++ {
		if flags&4 != 0 {
			err = skipConstExpr(r)
		} else {
			_, err = r.U32()
		}
	}
	return err
}

// checkData bounds the segment count and each segment's size.
func checkData(r *Reader, c *Cost) error {
	n, err := count(r, "data segments")
	c.DataSegments = int(n)
	for i := uint32(0); err == nil && i < n; i++ {
		var flags uint32
		if flags, err = r.U32(); err != nil {
			return err
		}
		switch flags {
		case 0:
			err = skipConstExpr(r)
		case 1:
		case 2:
			if _, err = r.U32(); err == nil {
				err = skipConstExpr(r)
			}
		default:
			return r.errorf("unknown data segment flags %d", flags)
		}
		if err == nil {
			var size uint32
			if size, err = r.U32(); err == nil {
				_, err = r.Bytes(int(size))
			}
		}
	}
	return err
}

// checkNames bounds the function and local name maps of the name section.
func checkNames(r *Reader, c *Cost) error {
	for !r.EOF() {
		id, err := r.Byte()
		if err != nil {
			return err
		}
		size, err := r.U32()
		if err != nil {
			return err
		}
		sub, err := r.Bytes(int(size))
		if err != nil {
			return err
		}
		s := &Reader{buf: sub, base: r.Pos() - len(sub)}
		switch id {
		case 1:
			err = checkNameMap(s, c)
		case 2:
			err = checkLocalNames(s, c)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func checkLocalNames(r *Reader, c *Cost) error {
	n, err := count(r, "functions with local names")
	for i := uint32(0); err == nil && i < n; i++ {
		if _, err = r.U32(); err == nil {
			err = checkNameMap(r, c)
		}
	}
	return err
}

// checkNameMap reads a name map; wazero's decoder keeps every name, so
// each counts as an entry.
func checkNameMap(r *Reader, c *Cost) error {
	n, err := count(r, "names")
	c.Names += uint64(n)
	for i := uint32(0); err == nil && i < n; i++ {
		if _, err = r.U32(); err == nil {
			_, err = r.Name()
		}
	}
	return err
}

// count reads a vector's length and refuses one longer than the bytes left
// (every element takes at least one byte).
func count(r *Reader, what string) (uint32, error) {
	n, err := r.U32()
	if err == nil && int64(n) > int64(r.Remaining()) {
		return 0, r.errorf("%d %s declared, more than the %d bytes left", n, what, r.Remaining())
	}
	return n, err
}

// skipConstExpr skips a constant expression of WebAssembly 2.0 up to its
// end: t.const, global.get, ref.null, ref.func, v128.const.
func skipConstExpr(r *Reader) error {
	for {
		op, err := r.Byte()
		if err != nil {
			return err
		}
		switch op {
		case 0x0b: // end
			return nil
		case 0x41: // i32.const
			_, err = r.S32()
		case 0x42: // i64.const
			_, err = r.S64()
		case 0x43: // f32.const
			_, err = r.Bytes(4)
		case 0x44: // f64.const
			_, err = r.Bytes(8)
		case 0x23, 0xd2: // global.get, ref.func
			_, err = r.U32()
		case 0xd0: // ref.null
			_, err = r.Byte()
		case 0xfd: // v128.const
			var sub uint32
			if sub, err = r.U32(); err == nil && sub != 12 {
				return r.errorf("instruction 0xfd %d is not allowed in a constant expression", sub)
			}
			if err == nil {
				_, err = r.Bytes(16)
			}
		default:
			return r.errorf("instruction 0x%02x is not allowed in a constant expression", op)
		}
		if err != nil {
			return err
		}
	}
}
