// Package meter rewrites a WebAssembly module so it can be stopped without
// wazero's costly interruption switch. A fuel counter in a new mutable
// global is charged, on entry to every straight-line segment, the number of
// instructions in it, and before every bulk memory or table operation, its
// length (see segment and bulk.go): so fuel charged equals instructions run.
// At function entries, loop headers, returns from calls and bulk
// operations the counter is checked, and when it went negative the guest
// calls the host (weir.fuel), which refills it from the call's budget,
// checks the deadline, or stops the guest. The check-in is also where Go's
// garbage collector can stop the goroutine.
//
// The invariant: between two check-ins a guest runs at most the refill
// (FuelCheckIn) + 2·S + B units, S the largest static cost of a function
// (a forward path through one function, then the entry segment of the
// next), B the largest charge of one bulk operation, which runs after the
// check-in that paid for it.
//
// The rewrite grows a function body to at most 34 × its size + 64 bytes
// (the worst instruction is a 2-byte memory.grow opening a segment: a
// 19-byte charge, a 29-byte length charge and a 17-byte check; a call gets
// a charge and a check, 36 bytes; a wrapped loop 69) and adds one i32
// local to a function with bulk operations (TestRewriteGrowth).
package meter

import (
	"errors"
	"fmt"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// Names the rewritten module uses to talk to the host.
const (
	FuelExport    = "weir_fuel" // the exported mutable i64 fuel global
	CheckInModule = "weir"
	CheckInName   = "fuel" // imported () -> () called when fuel runs out
)

// sectionOrder is the order the specification requires for known sections.
var sectionOrder = []byte{
	wasmbin.SectionType, wasmbin.SectionImport, wasmbin.SectionFunction, wasmbin.SectionTable,
	wasmbin.SectionMemory, wasmbin.SectionGlobal, wasmbin.SectionExport, wasmbin.SectionStart,
	wasmbin.SectionElement, wasmbin.SectionDataCount, wasmbin.SectionCode, wasmbin.SectionData,
}

func rank(id byte) int {
	for i, s := range sectionOrder {
		if s == id {
			return i
		}
	}
	return -1
}

// rewriter holds what every section rewrite needs.
// Version changes whenever the rewrite's output does: caches of metered
// modules are keyed by it.
const Version = 3

type rewriter struct {
	m            *wasmbin.Module
	checkInType  uint32 // type index of () -> ()
	addType      bool   // the type must be appended
	checkInFunc  uint32 // function index of the new import
	fuelGlobal   uint32 // global index of the fuel counter
	initialFuel  int64
	importedFunc uint32 // function imports before rewriting
	maxTable     uint64
	codeBuf      []byte // reused by each function's rewrite
}

// Rewrite returns the metered module. initialFuel is the fuel global's
// starting value, which pays for instantiation (start and _initialize)
// before the host first sets it. Every table's maximum is also clamped to
// maxTable (see ClampTables).
func Rewrite(wasm []byte, initialFuel int64, maxTable uint64) ([]byte, error) {
	m, err := wasmbin.Parse(wasm)
	if err != nil {
		return nil, err
	}
	if _, ok := m.Export(FuelExport); ok {
		return nil, errors.New("module already exports " + FuelExport + " (metered twice?)")
	}
	rw := &rewriter{m: m, initialFuel: initialFuel, importedFunc: uint32(m.ImportedFuncs), maxTable: maxTable}
	rw.plan()
	return rw.emit()
}

// ClampTables returns the module with every table's maximum set to at most
// maxTable elements. A table without a maximum can otherwise be grown by a
// single table.grow to billions of elements, which the host would
// allocate whatever the memory limit; clamped, that table.grow returns -1,
// the failure the guest must handle anyway.
func ClampTables(wasm []byte, maxTable uint64) ([]byte, error) {
	m, err := wasmbin.Parse(wasm)
	if err != nil {
		return nil, err
	}
	rw := &rewriter{m: m, maxTable: maxTable}
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	for _, s := range m.Sections {
		payload := s.Payload
		if s.ID == wasmbin.SectionTable {
			if payload, err = rw.tables(wasmbin.NewReader(s.Payload, s.Offset)); err != nil {
				return nil, err
			}
		}
		out = appendSection(out, s.ID, payload)
	}
	return out, nil
}

// tables clamps each table type's maximum.
func (rw *rewriter) tables(r *wasmbin.Reader) ([]byte, error) {
	return eachEntry(r, func(i uint32, out []byte) ([]byte, error) {
		ref, err := r.Byte()
		if err != nil {
			return nil, err
		}
		l, err := r.Limits()
		if err != nil {
			return nil, err
		}
		if l.Min > rw.maxTable {
			return nil, fmt.Errorf("table %d declares %d initial elements, over the cap of %d", i, l.Min, rw.maxTable)
		}
		if !l.HasMax || l.Max > rw.maxTable {
			l.Max = rw.maxTable
		}
		out = append(out, ref, 0x01)
		return wasmbin.AppendU32(wasmbin.AppendU32(out, uint32(l.Min)), uint32(l.Max)), nil
	})
}

// eachEntry rewrites a vector: it copies the count and passes each entry's
// index and the output so far to fn, which reads the entry from r and
// returns the output with the entry appended.
func eachEntry(r *wasmbin.Reader, fn func(i uint32, out []byte) ([]byte, error)) ([]byte, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := wasmbin.AppendU32(nil, n)
	for i := uint32(0); i < n; i++ {
		if out, err = fn(i, out); err != nil {
			return nil, err
		}
	}
	if !r.EOF() {
		return nil, errors.New("trailing bytes")
	}
	return out, nil
}

// plan picks the indices of the new type, import and global.
func (rw *rewriter) plan() {
	rw.checkInType = uint32(len(rw.m.Types))
	rw.addType = true
	for i, t := range rw.m.Types {
		if len(t.Params) == 0 && len(t.Results) == 0 {
			rw.checkInType, rw.addType = uint32(i), false
			break
		}
	}
	rw.checkInFunc = rw.importedFunc // appended after the existing function imports
	globals := 0
	for _, im := range rw.m.Imports {
		if im.Kind == wasmbin.KindGlobal {
			globals++
		}
	}
	rw.fuelGlobal = uint32(globals + rw.countGlobals())
}

func (rw *rewriter) countGlobals() int {
	for _, s := range rw.m.Sections {
		if s.ID == wasmbin.SectionGlobal {
			n, _ := wasmbin.NewReader(s.Payload, s.Offset).U32()
			return int(n)
		}
	}
	return 0
}

// remap gives a function's index after the check-in import is inserted.
func (rw *rewriter) remap(idx uint32) uint32 {
	if idx >= rw.importedFunc {
		return idx + 1
	}
	return idx
}

// emit writes every section in order, rewriting those that hold function
// indices or code and adding the type, import, global and export sections
// if the module had none.
func (rw *rewriter) emit() ([]byte, error) {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	required := []byte{wasmbin.SectionType, wasmbin.SectionImport, wasmbin.SectionGlobal, wasmbin.SectionExport}
	present := map[byte]bool{}
	for _, s := range rw.m.Sections {
		present[s.ID] = true
	}
	for _, s := range rw.m.Sections {
		if s.ID != wasmbin.SectionCustom {
			for _, id := range required {
				if !present[id] && rank(id) < rank(s.ID) {
					out = appendSection(out, id, rw.emptyPayload(id))
					present[id] = true
				}
			}
		}
		payload, err := rw.section(s)
		if err != nil {
			return nil, fmt.Errorf("section %d at offset %d: %w", s.ID, s.Offset, err)
		}
		if payload != nil {
			out = appendSection(out, s.ID, payload)
		}
	}
	for _, id := range required {
		if !present[id] {
			out = appendSection(out, id, rw.emptyPayload(id))
		}
	}
	return out, nil
}

// emptyPayload is a section holding only what the rewrite adds.
func (rw *rewriter) emptyPayload(id byte) []byte {
	p, _ := rw.section(wasmbin.Section{ID: id, Payload: []byte{0}})
	return p
}

func appendSection(out []byte, id byte, payload []byte) []byte {
	out = append(out, id)
	out = wasmbin.AppendU32(out, uint32(len(payload)))
	return append(out, payload...)
}

// section returns the payload to write for s (nil drops the section).
func (rw *rewriter) section(s wasmbin.Section) ([]byte, error) {
	r := wasmbin.NewReader(s.Payload, s.Offset)
	switch s.ID {
	case wasmbin.SectionType:
		return rw.types(r)
	case wasmbin.SectionImport:
		return appendToVec(r, 1, func(out []byte) []byte {
			out = appendName(out, CheckInModule)
			out = appendName(out, CheckInName)
			return wasmbin.AppendU32(append(out, wasmbin.KindFunc), rw.checkInType)
		}, rw.imports)
	case wasmbin.SectionGlobal:
		return rw.globals(r)
	case wasmbin.SectionExport:
		return rw.exports(r)
	case wasmbin.SectionStart:
		idx, err := r.U32()
		return wasmbin.AppendU32(nil, rw.remap(idx)), err
	case wasmbin.SectionElement:
		return rw.elements(r)
	case wasmbin.SectionCode:
		return rw.code(r)
	case wasmbin.SectionTable:
		return rw.tables(r)
	case wasmbin.SectionCustom:
		if s.Name == "name" {
			return rw.names(s)
		}
	}
	return s.Payload, nil
}

func (rw *rewriter) types(r *wasmbin.Reader) ([]byte, error) {
	if !rw.addType {
		return r.Bytes(r.Remaining())
	}
	return appendToVec(r, 1, func(out []byte) []byte { return append(out, 0x60, 0, 0) }, copyRest)
}

// imports copies the import entries unchanged: the new function import is
// appended last among them, so no existing import moves.
func (rw *rewriter) imports(r *wasmbin.Reader, n uint32, out []byte) ([]byte, error) {
	return copyRest(r, n, out)
}

func (rw *rewriter) globals(r *wasmbin.Reader) ([]byte, error) {
	return appendToVec(r, 1, func(out []byte) []byte {
		out = append(out, wasmbin.ValI64, 1, opI64Const)
		out = appendS64(out, rw.initialFuel)
		return append(out, opEnd)
	}, func(r *wasmbin.Reader, n uint32, out []byte) ([]byte, error) {
		for i := uint32(0); i < n; i++ {
			head, err := r.Bytes(2) // value type, mutability
			if err != nil {
				return nil, err
			}
			if out, err = rw.constExpr(r, append(out, head...)); err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}

func (rw *rewriter) exports(r *wasmbin.Reader) ([]byte, error) {
	return appendToVec(r, 1, func(out []byte) []byte {
		out = appendName(out, FuelExport)
		return wasmbin.AppendU32(append(out, wasmbin.KindGlobal), rw.fuelGlobal)
	}, func(r *wasmbin.Reader, n uint32, out []byte) ([]byte, error) {
		for i := uint32(0); i < n; i++ {
			name, err := r.Name()
			if err != nil {
				return nil, err
			}
			kind, err := r.Byte()
			if err != nil {
				return nil, err
			}
			idx, err := r.U32()
			if err != nil {
				return nil, err
			}
			if kind == wasmbin.KindFunc {
				idx = rw.remap(idx)
			}
			out = wasmbin.AppendU32(append(appendName(out, name), kind), idx)
		}
		return out, nil
	})
}

// constExpr copies a constant expression up to its end, renumbering ref.func.
func (rw *rewriter) constExpr(r *wasmbin.Reader, out []byte) ([]byte, error) {
	for {
		start := r.Pos()
		in, err := next(r)
		if err != nil {
			return nil, err
		}
		out = rw.copyInstr(out, r, start, in)
		if in.op == opEnd {
			return out, nil
		}
	}
}

// copyInstr appends the instruction that was read from start to the
// reader's position, renumbering a function index if it has one.
func (rw *rewriter) copyInstr(out []byte, r *wasmbin.Reader, start int, in instr) []byte {
	if in.op == opCall || in.op == opRefFunc {
		return wasmbin.AppendU32(append(out, in.op), rw.remap(in.funcIdx))
	}
	return append(out, r.Slice(start, r.Pos())...)
}

// appendToVec reads a vector's count, writes count+extra, copies the
// entries through body, then appends the extra entries.
func appendToVec(r *wasmbin.Reader, extra uint32, add func([]byte) []byte,
	body func(r *wasmbin.Reader, n uint32, out []byte) ([]byte, error)) ([]byte, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out, err := body(r, n, wasmbin.AppendU32(nil, n+extra))
	if err != nil {
		return nil, err
	}
	if !r.EOF() {
		return nil, errors.New("trailing bytes")
	}
	return add(out), nil
}

func copyRest(r *wasmbin.Reader, _ uint32, out []byte) ([]byte, error) {
	rest, err := r.Bytes(r.Remaining())
	return append(out, rest...), err
}

func appendName(out []byte, s string) []byte {
	return append(wasmbin.AppendU32(out, uint32(len(s))), s...)
}

// appendS64 appends a signed LEB128.
func appendS64(out []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(out, c)
		}
		out = append(out, c|0x80)
	}
}
