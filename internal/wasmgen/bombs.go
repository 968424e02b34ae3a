package wasmgen

import "bytes"

// The bombs below each grow one axis of what wazero's compiler spends
// memory and time on; each is a valid module that passes weir's ABI checks.

// Locals adds funcs functions of type () -> () declaring locals i64 locals
// each, with an empty body.
func Locals(funcs, locals int) *Module {
	m := Guest()
	t := m.AddType(Type{})
	for i := 0; i < funcs; i++ {
		m.AddFunc(Func{Type: t, Locals: [][2]uint32{{uint32(locals), I64}}})
	}
	return m
}

// LocalsUsed is Locals with a body that reads and writes every local, so
// the compiler cannot drop them.
func LocalsUsed(funcs, locals int) *Module {
	m := Guest()
	t := m.AddType(Type{})
	var body []byte
	for l := 0; l < locals; l++ {
		body = append(U32(append(body, 0x20), uint32(l)), 0x1a) // local.get l; drop
	}
	for i := 0; i < funcs; i++ {
		m.AddFunc(Func{Type: t, Locals: [][2]uint32{{uint32(locals), I64}}, Body: body})
	}
	return m
}

// Instructions adds funcs functions each of n (i32.const 1; drop) pairs:
// code bytes and instruction count.
func Instructions(funcs, n int) *Module {
	return repeatBody(funcs, []byte{0x41, 0x01, 0x1a}, n)
}

// Arithmetic adds funcs functions each computing a chain of n i32.add on a
// local: values the register allocator must place.
func Arithmetic(funcs, n int) *Module {
	m := Guest()
	t := m.AddType(Type{})
	body := []byte{0x41, 0x01}
	for i := 0; i < n; i++ {
		body = append(body, 0x20, 0x00, 0x6a) // local.get 0; i32.add
	}
	body = append(body, 0x1a)
	for i := 0; i < funcs; i++ {
		m.AddFunc(Func{Type: t, Locals: [][2]uint32{{1, I32}}, Body: body})
	}
	return m
}

// Blocks adds one function of depth nested blocks.
func Blocks(depth int) *Module {
	body := bytes.Repeat([]byte{0x02, 0x40}, depth)
	body = append(body, bytes.Repeat([]byte{0x0b}, depth)...)
	return single(body, nil)
}

// Loops adds one function of n sequential loops over locals live locals:
// every loop header merges every local.
func Loops(n, locals int) *Module {
	var body []byte
	for i := 0; i < n; i++ {
		body = append(body, 0x03, 0x40) // loop
		for l := 0; l < locals; l++ {
			body = append(U32(append(body, 0x20), uint32(l)), 0x1a)
		}
		body = append(body, 0x0b)
	}
	return single(body, [][2]uint32{{uint32(locals), I32}})
}

// BrTable adds one function with a br_table of n targets inside a block.
func BrTable(n int) *Module {
	body := []byte{0x02, 0x40, 0x41, 0x00, 0x0e}
	body = U32(body, uint32(n))
	body = append(body, bytes.Repeat([]byte{0x00}, n+1)...)
	return single(append(body, 0x0b), nil)
}

// Stack adds one function pushing n i32 constants, then dropping them.
func Stack(n int) *Module {
	body := bytes.Repeat([]byte{0x41, 0x01}, n)
	return single(append(body, bytes.Repeat([]byte{0x1a}, n)...), nil)
}

// Calls adds funcs functions each making n calls to function 0.
func Calls(funcs, n int) *Module {
	return repeatBody(funcs, []byte{0x41, 0x00, 0x10, 0x00, 0x1a}, n)
}

// CallIndirect adds funcs functions each making n call_indirect through a
// one-element table.
func CallIndirect(funcs, n int) *Module {
	m := repeatBody(funcs, []byte{0x41, 0x00, 0x41, 0x00, 0x11, 0x00, 0x00, 0x1a}, n)
	m.Table = 1
	return m
}

// SIMD adds funcs functions each of n i32x4.add on constants.
func SIMD(funcs, n int) *Module {
	v := append([]byte{0xfd, 0x0c}, make([]byte, 16)...)     // v128.const
	step := append(append([]byte{}, v...), 0xfd, 0xae, 0x01) // v128.const; i32x4.add
	m := Guest()
	t := m.AddType(Type{})
	body := append([]byte{}, v...)
	for i := 0; i < n; i++ {
		body = append(body, step...)
	}
	body = append(body, 0x1a)
	for i := 0; i < funcs; i++ {
		m.AddFunc(Func{Type: t, Body: body})
	}
	return m
}

// Params adds n types of params i64 parameters each, and one function of
// each type.
func Params(n, params int) *Module {
	m := Guest()
	p := bytes.Repeat([]byte{I64}, params)
	for i := 0; i < n; i++ {
		m.AddFunc(Func{Type: m.AddType(Type{Params: p, Results: p[:min(params, 1000)]}), Body: localGets(min(params, 1000))})
	}
	return m
}

// Globals adds n mutable i32 globals.
func Globals(n int) *Module {
	m := Guest()
	for i := 0; i < n; i++ {
		m.Globals = append(m.Globals, []byte{I32, 1, 0x41, 0x00, 0x0b})
	}
	return m
}

// DataSegments adds n passive one-byte data segments.
func DataSegments(n int) *Module {
	m := Guest()
	for i := 0; i < n; i++ {
		m.Data = append(m.Data, []byte{1, 1, 0xaa})
	}
	return m
}

// ElementSegments adds n passive element segments of one function each.
func ElementSegments(n int) *Module {
	m := Guest()
	for i := 0; i < n; i++ {
		m.Elements = append(m.Elements, []byte{1, 0, 1, 0})
	}
	return m
}

func localGets(n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		b = U32(append(b, 0x20), uint32(i))
	}
	return b
}

func repeatBody(funcs int, unit []byte, n int) *Module {
	m := Guest()
	t := m.AddType(Type{})
	body := bytes.Repeat(unit, n)
	for i := 0; i < funcs; i++ {
		m.AddFunc(Func{Type: t, Body: body})
	}
	return m
}

func single(body []byte, locals [][2]uint32) *Module {
	m := Guest()
	m.AddFunc(Func{Type: m.AddType(Type{}), Locals: locals, Body: body})
	return m
}

// SeqBlocks adds one function of n sequential empty blocks.
func SeqBlocks(n int) *Module {
	return single(bytes.Repeat([]byte{0x02, 0x40, 0x0b}, n), nil)
}

// Ifs adds one function of n sequential ifs on a constant.
func Ifs(n int) *Module {
	return single(bytes.Repeat([]byte{0x41, 0x01, 0x04, 0x40, 0x0b}, n), nil)
}

// Loads adds funcs functions each of n i32.load from address 0.
func Loads(funcs, n int) *Module {
	return repeatBody(funcs, []byte{0x41, 0x00, 0x28, 0x02, 0x00, 0x1a}, n)
}

// Divs adds funcs functions each of n i32.div_s by a local (a trap check each).
func Divs(funcs, n int) *Module {
	m := Guest()
	t := m.AddType(Type{})
	body := bytes.Repeat([]byte{0x41, 0x07, 0x20, 0x00, 0x6d, 0x1a}, n)
	for i := 0; i < funcs; i++ {
		m.AddFunc(Func{Type: t, Locals: [][2]uint32{{1, I32}}, Body: body})
	}
	return m
}

// LoadsAndLocals adds one function of loads i32.load (each a trap check)
// interleaved with reads of locals i64 locals.
func LoadsAndLocals(loads, locals int) *Module {
	var body []byte
	for i := 0; i < loads; i++ {
		body = append(body, 0x41, 0x00, 0x28, 0x02, 0x00, 0x1a)
		body = append(U32(append(body, 0x20), uint32(i%locals)), 0x1a)
	}
	return single(body, [][2]uint32{{uint32(locals), I64}})
}
