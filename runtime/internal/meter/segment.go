package meter

import "github.com/weirstream/weir/runtime/internal/wasmbin"

// costWidth is the fixed width of a cost immediate: a padded signed LEB128
// written before the segment's cost is known, then patched.
const costWidth = 5

// maxCost fits a costWidth-byte positive signed LEB128.
const maxCost = 1<<34 - 1

// segment is a straight-line run of code: control enters it only at its
// first instruction and leaves it only after its last (or by a trap), so
// every instruction in it runs each time its charge is paid. Its cost is
// its instruction count, block, loop, else and end excluded: they do no
// work, and every loop iteration runs at least its branch back. A new
// segment starts wherever control may arrive other than by falling
// through: function entry, a loop header, the arms of an if, after the end
// of an if or of a block a branch targets, after every branch — and after
// a call to a defined function, so that what runs after the callee's
// check-ins is paid for after them.
type segment struct {
	patchAt int
	count   int64
}

// openLoopSegment appends the meter of a wrapped loop (see frame) and
// returns its segment:
//
//	global.get F; i64.const COST; i64.sub; global.set F
//	global.get F; i64.const 0; i64.lt_s; br_if 1
func (rw *rewriter) openLoopSegment(out *[]byte) *segment {
	s := rw.charge(out)
	b := wasmbin.AppendU32(append(*out, opGlobalGet), rw.fuelGlobal)
	*out = append(b, opI64Const, 0, opI64LtS, opBrIf, 1)
	return s
}

// openSegment appends a meter that charges and checks and returns its
// segment:
//
//	global.get F; i64.const COST; i64.sub; global.set F
//	global.get F; i64.const 0; i64.lt_s; if; call weir.fuel; end
func (rw *rewriter) openSegment(out *[]byte) *segment {
	s := rw.charge(out)
	*out = rw.appendCheck(*out)
	return s
}

// appendCheck appends "if fuel < 0 { call weir.fuel }".
func (rw *rewriter) appendCheck(out []byte) []byte {
	out = wasmbin.AppendU32(append(out, opGlobalGet), rw.fuelGlobal)
	out = append(out, opI64Const, 0, opI64LtS, opIf, blockEmpty, opCall)
	out = wasmbin.AppendU32(out, rw.checkInFunc)
	return append(out, opEnd)
}

// charge appends "fuel -= COST" with a placeholder for the cost and
// returns the segment it charges for.
func (rw *rewriter) charge(out *[]byte) *segment {
	b := wasmbin.AppendU32(append(*out, opGlobalGet), rw.fuelGlobal)
	b = append(b, opI64Const)
	s := &segment{patchAt: len(b)}
	b = append(b, make([]byte, costWidth)...)
	b = append(b, opI64Sub, opGlobalSet)
	*out = wasmbin.AppendU32(b, rw.fuelGlobal)
	return s
}

// cost is what the segment charges; it is final once the segment is closed.
func (s *segment) cost() int64 { return min(s.count, maxCost) }

// close writes the segment's cost into its charge.
func (s *segment) close(out []byte) {
	cost := s.cost()
	p := out[s.patchAt : s.patchAt+costWidth]
	for i := 0; i < costWidth-1; i++ {
		p[i] = byte(cost>>(7*i))&0x7f | 0x80
	}
	p[costWidth-1] = byte(cost>>(7*(costWidth-1))) & 0x3f
}

// checkInPath closes a wrapped loop (see frame).
func (rw *rewriter) checkInPath(out []byte, seg *segment) []byte {
	out = append(out, opBr, 2, opEnd, opCall)
	out = wasmbin.AppendU32(out, rw.checkInFunc)
	out = wasmbin.AppendU32(append(out, opGlobalGet), rw.fuelGlobal)
	out = appendS64(append(out, opI64Const), seg.cost())
	out = append(out, opI64Add, opGlobalSet)
	out = wasmbin.AppendU32(out, rw.fuelGlobal)
	return append(out, opBr, 0, opEnd, opUnreachable, opEnd)
}
