package meter

import (
	"errors"
	"fmt"
	"math"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

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
		if body, err = rw.function(wasmbin.NewReader(raw, start), rw.importedFunc+i, body[:0]); err != nil {
			return nil, err
		}
		out = wasmbin.AppendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	return out, nil
}

// function rewrites the body of function fn: its locals (plus a scratch
// local if it has bulk operations) and its code (see body).
func (rw *rewriter) function(r *wasmbin.Reader, fn uint32, out []byte) ([]byte, error) {
	locals, declared, err := readLocals(r)
	if err != nil {
		return nil, err
	}
	t, _ := rw.m.FuncType(fn)
	scratch := uint64(len(t.Params)) + declared
	if scratch >= math.MaxUint32 {
		return nil, &wasmbin.Error{Offset: r.Pos(), Msg: "too many locals"}
	}
	w := &funcWriter{rw: rw, out: rw.codeBuf[:0], scratch: uint32(scratch)}
	if err := w.body(r); err != nil {
		return nil, err
	}
	rw.codeBuf = w.out
	if w.usedScratch {
		out = wasmbin.AppendU32(out, uint32(len(locals))+1)
		for _, l := range locals {
			out = append(out, l...)
		}
		out = append(out, 1, wasmbin.ValI32)
	} else {
		out = wasmbin.AppendU32(out, uint32(len(locals)))
		for _, l := range locals {
			out = append(out, l...)
		}
	}
	return append(out, w.out...), nil
}

// readLocals returns the local declarations as they are encoded and the
// number of locals they declare.
func readLocals(r *wasmbin.Reader) ([][]byte, uint64, error) {
	n, err := r.U32()
	if err != nil {
		return nil, 0, err
	}
	if int(n) > r.Remaining() {
		return nil, 0, &wasmbin.Error{Offset: r.Pos(), Msg: "more local declarations than bytes"}
	}
	decls := make([][]byte, n)
	var total uint64
	for i := range decls {
		start := r.Pos()
		c, err := r.U32()
		if err != nil {
			return nil, 0, err
		}
		if _, err := r.Byte(); err != nil {
			return nil, 0, err
		}
		decls[i] = r.Slice(start, r.Pos())
		total += uint64(c)
	}
	return decls, total, nil
}

// funcWriter rewrites one function body. It charges every straight-line
// segment on entry (see segment) and checks the counter — calls the host
// when it went negative — only at function entry, at loop headers, on
// return from calls to defined functions and before bulk operations:
// between two checks control only moves forward through one function,
// then at most into the entry of the next.
type funcWriter struct {
	rw          *rewriter
	out         []byte
	frames      []frame
	seg         *segment // the open segment; nil where control may arrive other than by falling through
	scratch     uint32   // index of the scratch local that holds a bulk operation's length
	usedScratch bool
}

// body rewrites the code: a meter at entry, a charge at every segment,
// branch depths and function indices renumbered.
func (w *funcWriter) body(r *wasmbin.Reader) error {
	w.seg = w.rw.openSegment(&w.out)
	w.frames = []frame{{kind: opBlock}} // the function body is the outermost label
	for {
		start := r.Pos()
		in, err := next(r)
		if err != nil {
			return err
		}
		if err := w.instr(r, start, in); err != nil {
			return &wasmbin.Error{Offset: start, Msg: err.Error()}
		}
		if len(w.frames) == 0 {
			if !r.EOF() {
				return &wasmbin.Error{Offset: r.Pos(), Msg: "code after the function's final end"}
			}
			return nil
		}
		if r.EOF() {
			return errors.New("function body ends without end")
		}
	}
}

// instr rewrites one instruction.
func (w *funcWriter) instr(r *wasmbin.Reader, start int, in instr) error {
	rw := w.rw
	switch in.op {
	case opLoop:
		w.loop(r, start, in)
	case opBlock:
		w.out = rw.copyInstr(w.out, r, start, in)
		w.frames = push(w.frames, frame{kind: opBlock})
	case opIf:
		w.count(1)
		w.out = rw.copyInstr(w.out, r, start, in)
		w.closeSegment() // the then-arm is entered by a jump when it is skipped
		w.frames = push(w.frames, frame{kind: opIf})
	case opElse:
		w.out = rw.copyInstr(w.out, r, start, in)
		w.closeSegment()
	case opEnd:
		w.out = rw.copyInstr(w.out, r, start, in)
		w.end()
	case opBr, opBrIf, opBrTable:
		w.count(1)
		var err error
		if w.out, err = appendBranch(w.out, in, w.frames); err != nil {
			return err
		}
		w.closeSegment()
	case opReturn, opUnreachable:
		w.count(1)
		w.out = rw.copyInstr(w.out, r, start, in)
		w.closeSegment()
	case opCall, opCallIndirect:
		w.count(1)
		w.out = rw.copyInstr(w.out, r, start, in)
		if in.op == opCallIndirect || in.funcIdx >= rw.importedFunc {
			// charged before the call, the caller's rest would run on
			// prepaid fuel after the callee's check-ins, and a chain of
			// returns would run unchecked: the rest is charged on return
			w.closeSegment()
			w.seg = rw.openSegment(&w.out)
		}
	default:
		w.count(1)
		if c, ok := bulkCost(in); ok {
			w.chargeLength(c)
		}
		w.out = rw.copyInstr(w.out, r, start, in)
	}
	return nil
}

// loop closes the segment before a loop and opens the loop header's.
func (w *funcWriter) loop(r *wasmbin.Reader, start int, in instr) {
	w.closeSegment()
	f := frame{kind: opLoop, wrapped: in.blockType < 0 && in.blockType >= -blockEmpty}
	if f.wrapped {
		w.out = append(w.out, opBlock, byte(in.blockType)&0x7f, opLoop, blockEmpty, opBlock, blockEmpty)
	}
	w.out = w.rw.copyInstr(w.out, r, start, in)
	if f.wrapped {
		w.seg = w.rw.openLoopSegment(&w.out)
	} else {
		w.seg = w.rw.openSegment(&w.out)
	}
	f.seg = w.seg
	w.frames = push(w.frames, f)
}

// end closes a frame. Code after an end is a new segment when a branch
// may land there: after every if, and after a block some branch targets.
// After a loop only falling through arrives, but a wrapped loop's
// check-in path sits in between, so its segment ends too.
func (w *funcWriter) end() {
	f := w.frames[len(w.frames)-1]
	w.frames = w.frames[:len(w.frames)-1]
	switch {
	case len(w.frames) == 0, f.kind == opIf, f.kind == opBlock && f.targeted:
		w.closeSegment()
	case f.wrapped:
		w.closeSegment()
		w.out = w.rw.checkInPath(w.out, f.seg)
	}
}

// count adds n units to the open segment, opening one (a charge without a
// check) if control just arrived at a new segment.
func (w *funcWriter) count(n int64) {
	if w.seg == nil {
		w.seg = w.rw.charge(&w.out)
	}
	w.seg.count += n
}

func (w *funcWriter) closeSegment() {
	if w.seg != nil {
		w.seg.close(w.out)
		w.seg = nil
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
// other calls keeps paying for those.) See docs/RATIONALE.md.
//
// Loops with params (a type-index block type) keep the meter inline.
type frame struct {
	kind     byte // opBlock (also the function body), opLoop or opIf
	wrapped  bool
	targeted bool     // a block some branch leaves: its end is a new segment
	seg      *segment // a loop's meter, whose cost the check-in path refunds
	wraps    uint32   // wrapped loops from the function body to this frame, itself included
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

// appendBranch appends a branch with its depths renumbered (each wrapped
// loop it leaves adds three labels on the way out) and marks the blocks it
// targets.
func appendBranch(out []byte, in instr, frames []frame) ([]byte, error) {
	out = append(out, in.op)
	if in.op == opBrTable {
		out = wasmbin.AppendU32(out, uint32(len(in.labels)-1))
	}
	for _, l := range in.labels {
		if uint64(l) >= uint64(len(frames)) {
			return nil, fmt.Errorf("branch depth %d is outside the %d enclosing labels", l, len(frames))
		}
		target := &frames[len(frames)-1-int(l)]
		target.targeted = true
		left := frames[len(frames)-1].wraps - target.wraps
		out = wasmbin.AppendU32(out, l+wrapLabels*left)
	}
	return out, nil
}
