package meter

import (
	"errors"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

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
