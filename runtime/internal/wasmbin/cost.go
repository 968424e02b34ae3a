package wasmbin

// Cost is what a module asks of a compiler, summed over the whole module:
// the figures that drive wazero's compile time and memory (see
// docs/RATIONALE.md, "What does compiling a module cost?"). Parse fills
// it while it walks every function body.
type Cost struct {
	Bodies         int    // function bodies
	CodeBytes      uint64 // bytes of all bodies
	Locals         uint64 // declared locals, summed over all bodies
	Instructions   uint64 // instructions, summed over all bodies
	MaxDepth       int    // deepest block nesting of any body
	BrTableTargets uint64 // br_table targets, summed over all bodies
	MaxBodyBytes   uint64 // the largest body
	// MaxBodyBlocks is the most blocks of any body: every control-flow
	// block (see Work) and every call and trap check (startsBlock) starts
	// one in wazero's compiler, whose memory grows with them.
	MaxBodyBlocks uint64
	// MaxBodyLocalBlocks is the most control-flow blocks × locals
	// (parameters included) of any body: wazero's compiler tracks every
	// local where control flow merges, in time and in memory.
	MaxBodyLocalBlocks uint64
	// Work is the module's compile work: the sum over all bodies of
	// control² + LocalWeight × control × locals (see WorkOf), where
	// control counts every block, loop, if, else, br_if and br_table
	// target, whose square drives the compile time of a function.
	Work         uint64
	Globals      int
	DataSegments int
	Segments     int    // element segments
	Elements     uint64 // elements of all element segments
	// Entries counts every entry wazero's decoder makes a Go value of:
	// types and their parameters and results, imports, functions, tables,
	// memories, globals, exports, element segments and their elements,
	// data segments, and the names of the name section.
	Entries uint64
	Names   uint64 // function and local names in the name section
}

// MeasureCost parses wasm and returns its cost.
func MeasureCost(wasm []byte) (Cost, error) {
	m, err := Parse(wasm)
	if err != nil {
		return Cost{}, err
	}
	return m.Cost, nil
}

// readCode reads every function body: locals, then instructions up to the
// end that closes the body, which must be its last byte.
func (m *Module) readCode(r *Reader) error {
	n, err := count(r, "function bodies")
	if err != nil {
		return err
	}
	if int(n) != len(m.Functions) {
		return r.errorf("code section has %d function bodies but the function section declares %d functions", n, len(m.Functions))
	}
	m.Cost.Bodies = int(n)
	for i := uint32(0); i < n; i++ {
		size, err := r.U32()
		if err != nil {
			return err
		}
		body, err := r.Bytes(int(size))
		if err != nil {
			return err
		}
		m.Cost.CodeBytes += uint64(size)
		if err := m.Cost.readBody(&Reader{buf: body, base: r.Pos() - len(body)}, i, m.params(i)); err != nil {
			return err
		}
	}
	return nil
}

// LocalWeight is how much more a block × local costs wazero's compiler
// than a block × block, measured (docs/RATIONALE.md).
const LocalWeight = 25

// WorkOf is the compile work of one body of that many control-flow blocks
// and locals.
func WorkOf(control, locals uint64) uint64 { return control*control + LocalWeight*control*locals }

func (c *Cost) readBody(r *Reader, fn uint32, params int) error {
	locals, err := checkLocals(r, fn)
	if err != nil {
		return err
	}
	c.Locals += locals
	c.MaxBodyBytes = max(c.MaxBodyBytes, uint64(r.Remaining()+r.pos))
	var control, checks uint64
	defer func() {
		all := locals + uint64(params)
		c.MaxBodyBlocks = max(c.MaxBodyBlocks, control+checks)
		c.MaxBodyLocalBlocks = max(c.MaxBodyLocalBlocks, control*all)
		c.Work += WorkOf(control, all)
	}()
	for depth := 1; depth > 0; {
		if r.EOF() {
			return r.errorf("function body %d ends before its final end", fn)
		}
		op, targets, err := skipInstr(r)
		if err != nil {
			return err
		}
		c.Instructions++
		c.BrTableTargets += uint64(targets)
		switch op {
		case 0x02, 0x03, 0x04: // block, loop, if
			depth++
			control++
			c.MaxDepth = max(c.MaxDepth, depth)
		case 0x05, 0x0d: // else, br_if
			control++
		default:
			if startsBlock(op) {
				checks++
			}
		case 0x0e: // br_table: its targets and default
			control += uint64(targets) + 1
		case 0x0b:
			depth--
		}
	}
	if !r.EOF() {
		return r.errorf("function body %d has %d bytes after its final end", fn, r.Remaining())
	}
	return nil
}

// startsBlock reports whether wazero's compiler ends a basic block at op
// besides control flow: calls, and every check that may trap (memory
// bounds, table bounds and signature, division by zero, float truncation).
// Measured, each costs 2–14 KiB of compiler memory, and time about
// linearly.
func startsBlock(op byte) bool {
	switch {
	case op == 0x10, op == 0x11: // call, call_indirect
	case op >= 0x28 && op <= 0x3e: // loads and stores
	case op == 0x40: // memory.grow
	case op >= 0x6d && op <= 0x70, op >= 0x7f && op <= 0x82: // div, rem
	case op >= 0xa8 && op <= 0xb1: // trapping truncations
	case op == 0xfc, op == 0xfd: // bulk memory and table ops; SIMD (its loads and stores)
	default:
		return false
	}
	return true
}

func checkLocals(r *Reader, fn uint32) (uint64, error) {
	n, err := count(r, "local declarations")
	var total uint64
	for i := uint32(0); err == nil && i < n; i++ {
		var k uint32
		if k, err = r.U32(); err != nil {
			return 0, err
		}
		if total += uint64(k); total > MaxLocals {
			return 0, r.errorf("function body %d declares over %d locals", fn, MaxLocals)
		}
		var t byte
		if t, err = r.Byte(); err == nil && !isValType(t) {
			err = r.errorf("function body %d: unknown local type 0x%02x", fn, t)
		}
	}
	return total, err
}

func isValType(t byte) bool {
	switch t {
	case ValI32, ValI64, ValF32, ValF64, ValV128, ValFuncRef, ValExternRef:
		return true
	}
	return false
}

// params is the parameter count of defined function i, 0 if its type is
// unknown (the validator refuses that).
func (m *Module) params(i uint32) int {
	if int(m.Functions[i]) < len(m.Types) {
		return len(m.Types[m.Functions[i]].Params)
	}
	return 0
}
