package meter

import (
	"errors"
	"fmt"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// costWidth is the fixed width of a cost immediate: a padded signed LEB128
// written before the segment's cost is known, then patched.
const costWidth = 5

// maxCost fits a costWidth-byte positive signed LEB128.
const maxCost = 1<<34 - 1

func (rw *rewriter) code(r *wasmbin.Reader) ([]byte, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := wasmbin.AppendU32(nil, n)
	var body []byte
	for i := uint32(0); i < n; i++ {
		size, err := r.U32()
		if err != nil {
			return nil, err
		}
		start := r.Pos()
		raw, err := r.Bytes(int(size))
		if err != nil {
			return nil, err
		}
		if body, err = rw.function(wasmbin.NewReader(raw, start), body[:0]); err != nil {
			return nil, err
		}
		out = wasmbin.AppendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	return out, nil
}

// function rewrites one body: locals unchanged, a meter at entry and after
// every loop header, branch depths and function indices renumbered.
func (rw *rewriter) function(r *wasmbin.Reader, out []byte) ([]byte, error) {
	localsStart := r.Pos()
	if err := skipLocals(r); err != nil {
		return nil, err
	}
	out = append(out, r.Slice(localsStart, r.Pos())...)
	seg := rw.openSegment(&out)
	frames := []frame{{}} // the function body is the outermost label
	for {
		start := r.Pos()
		in, err := next(r)
		if err != nil {
			return nil, err
		}
		if !seg.branched {
			seg.count++
			seg.branched = in.op >= opBlock && in.op <= 0x0f // any control instruction
		}
		switch in.op {
		case opLoop:
			seg.close(out)
			f := frame{wrapped: in.blockType < 0 && in.blockType >= -blockEmpty}
			if f.wrapped {
				out = append(out, opBlock, byte(in.blockType)&0x7f, opLoop, blockEmpty, opBlock, blockEmpty)
			}
			out = rw.copyInstr(out, r, start, in)
			if f.wrapped {
				seg = rw.openLoopSegment(&out)
			} else {
				seg = rw.openSegment(&out)
			}
			f.seg = seg
			frames = push(frames, f)
		case opBlock, opIf:
			out = rw.copyInstr(out, r, start, in)
			frames = push(frames, frame{})
		case opEnd:
			out = rw.copyInstr(out, r, start, in)
			f := frames[len(frames)-1]
			frames = frames[:len(frames)-1]
			if f.wrapped {
				out = rw.checkInPath(out, f.seg)
			}
		case opBr, opBrIf, opBrTable:
			if out, err = appendBranch(out, in, frames); err != nil {
				return nil, &wasmbin.Error{Offset: start, Msg: err.Error()}
			}
		default:
			out = rw.copyInstr(out, r, start, in)
		}
		if len(frames) == 0 {
			seg.close(out)
			if !r.EOF() {
				return nil, &wasmbin.Error{Offset: r.Pos(), Msg: "code after the function's final end"}
			}
			return out, nil
		}
		if r.EOF() {
			return nil, errors.New("function body ends without end")
		}
	}
}

// frame is an open block, if or loop, or the function body.
//
// A loop whose block type is empty or one value type is wrapped, so that
// the call to the host sits outside it:
//
//	block T              ;; exit
//	  loop               ;; re-entry after a check-in
//	    block            ;; check-in
//	      loop T         ;; the original loop
//	        meter: charge COST; fuel < 0? br_if 1 (check-in)
//	        body
//	      end
//	      br 2           ;; fell through: leave with the loop's results
//	    end
//	    call weir.fuel; refund COST (the meter charges it again)
//	    br 0
//	  end
//	  unreachable
//	end
//
// A call inside the loop, even one that never runs (if fuel < 0 { call }),
// makes wazero's register allocator spill the loop's live values: it stores
// them at the top of the nearest block dominating the call's reloads, the
// loop header, so on every iteration. Wrapped, the reloads after the call
// are at the re-entry loop, outside the original one. (A loop that makes
// other calls keeps paying for those.) On the benchmark masks this took the
// cost of metering from 25% to 7% (C) and from 15% to about 2% (Go); see
// docs/RATIONALE.md.
//
// Loops with params (a type-index block type) keep the meter inline.
type frame struct {
	wrapped bool
	seg     *segment // a loop's meter, whose cost the check-in path refunds
	wraps   uint32   // wrapped loops from the function body to this frame, itself included
}

// push opens a frame.
func push(frames []frame, f frame) []frame {
	f.wraps = frames[len(frames)-1].wraps
	if f.wrapped {
		f.wraps++
	}
	return append(frames, f)
}

// wrapLabels is how many labels a wrapped loop adds around itself.
const wrapLabels = 3

// appendBranch appends a branch with its depths renumbered: each wrapped
// loop it leaves adds three labels on the way out.
func appendBranch(out []byte, in instr, frames []frame) ([]byte, error) {
	out = append(out, in.op)
	if in.op == opBrTable {
		out = wasmbin.AppendU32(out, uint32(len(in.labels)-1))
	}
	for _, l := range in.labels {
		if uint64(l) >= uint64(len(frames)) {
			return nil, fmt.Errorf("branch depth %d is outside the %d enclosing labels", l, len(frames))
		}
		left := frames[len(frames)-1].wraps - frames[len(frames)-1-int(l)].wraps
		out = wasmbin.AppendU32(out, l+wrapLabels*left)
	}
	return out, nil
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

func skipLocals(r *wasmbin.Reader) error {
	n, err := r.U32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.U32(); err != nil {
			return err
		}
		if _, err := r.Byte(); err != nil {
			return err
		}
	}
	return nil
}

// segment is the code after a meter. Its cost is the length of its
// straight-line prefix, up to and including the first control instruction:
// the instructions that surely run each time the meter is passed. Charging
// the whole linear run to the next meter instead would bill Go guests (one
// dispatch loop per function) the size of a function on every jump.
type segment struct {
	patchAt  int
	count    int64
	branched bool
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

// openSegment appends a meter and returns its segment:
//
//	global.get F; i64.const COST; i64.sub; global.set F
//	global.get F; i64.const 0; i64.lt_s; if; call weir.fuel; end
func (rw *rewriter) openSegment(out *[]byte) *segment {
	s := rw.charge(out)
	b := wasmbin.AppendU32(append(*out, opGlobalGet), rw.fuelGlobal)
	b = append(b, opI64Const, 0, opI64LtS, opIf, 0x40, opCall)
	b = wasmbin.AppendU32(b, rw.checkInFunc)
	*out = append(b, opEnd)
	return s
}

// charge appends "fuel -= COST" with a placeholder for the cost.
func (rw *rewriter) charge(out *[]byte) *segment {
	b := wasmbin.AppendU32(append(*out, opGlobalGet), rw.fuelGlobal)
	b = append(b, opI64Const)
	s := &segment{patchAt: len(b)}
	b = append(b, make([]byte, costWidth)...)
	b = append(b, opI64Sub, opGlobalSet)
	*out = wasmbin.AppendU32(b, rw.fuelGlobal)
	return s
}

// cost is what the segment charges; it is final once the segment has branched.
func (s *segment) cost() int64 { return min(s.count, maxCost) }

// close writes the segment's cost into its meter.
func (s *segment) close(out []byte) {
	cost := s.cost()
	p := out[s.patchAt : s.patchAt+costWidth]
	for i := 0; i < costWidth-1; i++ {
		p[i] = byte(cost>>(7*i))&0x7f | 0x80
	}
	p[costWidth-1] = byte(cost>>(7*(costWidth-1))) & 0x3f
}

// elements renumbers function indices in every element segment form.
func (rw *rewriter) elements(r *wasmbin.Reader) ([]byte, error) {
	return eachEntry(r, func(_ uint32, out []byte) ([]byte, error) { return rw.element(r, out) })
}

func (rw *rewriter) element(r *wasmbin.Reader, out []byte) ([]byte, error) {
	flags, err := r.U32()
	if err != nil {
		return nil, err
	}
	if flags > 7 {
		return nil, &wasmbin.Error{Offset: r.Pos(), Msg: "unknown element segment flags"}
	}
	out = wasmbin.AppendU32(out, flags)
	if flags&2 != 0 && flags&1 == 0 { // explicit table index
		t, err := r.U32()
		if err != nil {
			return nil, err
		}
		out = wasmbin.AppendU32(out, t)
	}
	if flags&1 == 0 { // active: offset expression
		if out, err = rw.constExpr(r, out); err != nil {
			return nil, err
		}
	}
	if flags&3 != 0 { // elemkind or reftype byte
		b, err := r.Byte()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	count, err := r.U32()
	if err != nil {
		return nil, err
	}
	out = wasmbin.AppendU32(out, count)
	for j := uint32(0); j < count; j++ {
		if flags&4 != 0 {
			out, err = rw.constExpr(r, out)
		} else {
			var idx uint32
			idx, err = r.U32()
			out = wasmbin.AppendU32(out, rw.remap(idx))
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// names renumbers the function and local name maps of the "name" section;
// a malformed name section is dropped (it is only debug information).
func (rw *rewriter) names(s wasmbin.Section) ([]byte, error) {
	out := appendName(nil, "name")
	r := wasmbin.NewReader(s.Body, 0)
	for !r.EOF() {
		id, err1 := r.Byte()
		size, err2 := r.U32()
		sub, err3 := r.Bytes(int(size))
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, nil
		}
		if id == 1 || id == 2 {
			if sub, err1 = rw.nameMap(sub, id == 2); err1 != nil {
				return nil, nil
			}
		}
		out = append(wasmbin.AppendU32(append(out, id), uint32(len(sub))), sub...)
	}
	return out, nil
}

// nameMap renumbers a vector of (funcidx, payload) where payload is a name
// (function names) or a vector of (localidx, name) (local names).
func (rw *rewriter) nameMap(b []byte, locals bool) ([]byte, error) {
	r := wasmbin.NewReader(b, 0)
	return eachEntry(r, func(_ uint32, out []byte) ([]byte, error) {
		idx, err := r.U32()
		if err != nil {
			return nil, err
		}
		out = wasmbin.AppendU32(out, rw.remap(idx))
		start := r.Pos()
		if locals {
			err = skipNameVec(r)
		} else {
			_, err = r.Name()
		}
		return append(out, r.Slice(start, r.Pos())...), err
	})
}

func skipNameVec(r *wasmbin.Reader) error {
	n, err := r.U32()
	for i := uint32(0); err == nil && i < n; i++ {
		if _, err = r.U32(); err == nil {
			_, err = r.Name()
		}
	}
	return err
}
