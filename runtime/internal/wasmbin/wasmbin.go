// Package wasmbin reads the module-level structure of a WebAssembly binary:
// its sections, types, imports, functions, tables, memories, exports and
// custom sections. It never executes code and never panics on bad input:
// every read is bounds-checked and reported as an error with its offset.
// Parse also checks every count and size the module declares against the
// bytes it has, so a module that passes can be handed to wazero's decoder,
// which allocates what is declared (see bounds.go).
package wasmbin

import (
	"errors"
	"fmt"
)

// Section ids from the WebAssembly core specification.
const (
	SectionCustom    = 0
	SectionType      = 1
	SectionImport    = 2
	SectionFunction  = 3
	SectionTable     = 4
	SectionMemory    = 5
	SectionGlobal    = 6
	SectionExport    = 7
	SectionStart     = 8
	SectionElement   = 9
	SectionCode      = 10
	SectionData      = 11
	SectionDataCount = 12
)

// External kinds used by imports and exports.
const (
	KindFunc   = 0
	KindTable  = 1
	KindMemory = 2
	KindGlobal = 3
	KindTag    = 4
)

// Value types.
const (
	ValI32       = 0x7f
	ValI64       = 0x7e
	ValF32       = 0x7d
	ValF64       = 0x7c
	ValV128      = 0x7b
	ValFuncRef   = 0x70
	ValExternRef = 0x6f
)

var magic = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// FuncType is a function signature.
type FuncType struct {
	Params  []byte
	Results []byte
}

// Limits are the bounds of a table or a memory.
type Limits struct {
	Min    uint64
	Max    uint64
	HasMax bool
}

// Import is one entry of the import section.
type Import struct {
	Module, Name string
	Kind         byte
	TypeIndex    uint32 // for functions
	Limits       Limits // for tables and memories
}

// Export is one entry of the export section.
type Export struct {
	Name  string
	Kind  byte
	Index uint32
}

// Section is a raw section: its id, its payload and where the payload starts.
type Section struct {
	ID      byte
	Offset  int // offset of the payload in the module
	Payload []byte
	Name    string // custom sections only
	Body    []byte // custom sections only: the payload after the name
}

// Module is the parsed module-level structure.
type Module struct {
	Sections      []Section
	Types         []FuncType
	Imports       []Import
	Functions     []uint32 // type index of each defined function
	Tables        []Limits
	Memories      []Limits
	Exports       []Export
	ImportedFuncs int
	Cost          Cost
	dataCount     int // -1 without a data count section
}

// Error is a malformed-binary error at a byte offset.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("wasm binary: offset %d: %s", e.Offset, e.Msg) }

// ErrNotWasm is returned when the input lacks the wasm magic and version 1.
var ErrNotWasm = errors.New("not a WebAssembly binary (missing \\0asm version 1 header)")

// Parse reads the module structure and checks it as strictly as wazero's
// decoder does: known section ids, each at most once and in the order the
// specification requires, every section read to its exact end, one body
// per declared function, a data count that matches. Function bodies are
// walked instruction by instruction (to measure their Cost and to find
// where each ends) but not type-checked.
func Parse(b []byte) (*Module, error) {
	if len(b) < len(magic) || string(b[:len(magic)]) != string(magic) {
		return nil, ErrNotWasm
	}
	m := &Module{dataCount: -1}
	r := &Reader{buf: b, pos: len(magic)}
	last := -1 // rank of the last known section
	for !r.EOF() {
		s, err := nextSection(r)
		if err != nil {
			return nil, err
		}
		if last, err = checkOrder(s, last); err != nil {
			return nil, err
		}
		if err := m.readSection(&s); err != nil {
			return nil, err
		}
		m.Sections = append(m.Sections, s)
	}
	return m, m.checkCounts(r)
}

func nextSection(r *Reader) (Section, error) {
	at := r.Pos()
	id, err := r.Byte()
	if err != nil {
		return Section{}, err
	}
	if id > SectionDataCount {
		return Section{}, &Error{Offset: at, Msg: fmt.Sprintf("unknown section id %d (WebAssembly 2.0 defines 0 to 12)", id)}
	}
	size, err := r.U32()
	if err != nil {
		return Section{}, err
	}
	start := r.Pos()
	payload, err := r.Bytes(int(size))
	return Section{ID: id, Offset: start, Payload: payload}, err
}

// sectionOrder is the order the specification requires for known sections.
var sectionOrder = []byte{
	SectionType, SectionImport, SectionFunction, SectionTable, SectionMemory, SectionGlobal,
	SectionExport, SectionStart, SectionElement, SectionDataCount, SectionCode, SectionData,
}

var sectionNames = []string{"custom", "type", "import", "function", "table", "memory", "global",
	"export", "start", "element", "code", "data", "data count"}

func checkOrder(s Section, last int) (int, error) {
	if s.ID == SectionCustom {
		return last, nil
	}
	rank := 0
	for sectionOrder[rank] != s.ID {
		rank++
	}
	if rank == last {
		return last, &Error{Offset: s.Offset, Msg: fmt.Sprintf("duplicate %s section", sectionNames[s.ID])}
	}
	if rank < last {
		return last, &Error{Offset: s.Offset, Msg: fmt.Sprintf("%s section out of order: it must come before the %s section", sectionNames[s.ID], sectionNames[sectionOrder[last]])}
	}
	return rank, nil
}

// checkCounts checks what spans sections, once all are read.
func (m *Module) checkCounts(r *Reader) error {
	if m.Cost.Bodies != len(m.Functions) {
		return r.errorf("the function section declares %d functions but the module has %d function bodies", len(m.Functions), m.Cost.Bodies)
	}
	if m.dataCount >= 0 && m.dataCount != m.Cost.DataSegments {
		return r.errorf("data count section says %d segments but the data section has %d", m.dataCount, m.Cost.DataSegments)
	}
	c := &m.Cost
	c.Entries = uint64(len(m.Types)+len(m.Imports)+len(m.Functions)+len(m.Tables)+len(m.Memories)+
		c.Globals+len(m.Exports)+c.Segments+c.DataSegments) + c.Elements + c.Names
	for _, t := range m.Types {
		c.Entries += uint64(len(t.Params) + len(t.Results))
	}
	return nil
}

// CustomSection returns the payload of the first custom section called name.
func (m *Module) CustomSection(name string) ([]byte, bool) {
	for _, s := range m.Sections {
		if s.ID == SectionCustom && s.Name == name {
			return s.Body, true
		}
	}
	return nil, false
}

// FuncType returns the signature of function index idx (imports first).
func (m *Module) FuncType(idx uint32) (FuncType, bool) {
	var ti uint32
	if int(idx) < m.ImportedFuncs {
		n := 0
		for _, im := range m.Imports {
			if im.Kind != KindFunc {
				continue
			}
			if n == int(idx) {
				ti = im.TypeIndex
				break
			}
			n++
		}
	} else {
		d := int(idx) - m.ImportedFuncs
		if d >= len(m.Functions) {
			return FuncType{}, false
		}
		ti = m.Functions[d]
	}
	if int(ti) >= len(m.Types) {
		return FuncType{}, false
	}
	return m.Types[ti], true
}

// Export finds an export by name.
func (m *Module) Export(name string) (Export, bool) {
	for _, e := range m.Exports {
		if e.Name == name {
			return e, true
		}
	}
	return Export{}, false
}

func (m *Module) readSection(s *Section) error {
	r := &Reader{buf: s.Payload, base: s.Offset}
	err := m.readPayload(s, r)
	if err == nil && s.ID != SectionCustom && !r.EOF() {
		err = r.errorf("%s section has %d bytes after its last entry", sectionNames[s.ID], r.Remaining())
	}
	return err
}

func (m *Module) readPayload(s *Section, r *Reader) error {
	var err error
	switch s.ID {
	case SectionCustom:
		s.Name, err = r.Name()
		s.Body = s.Payload[r.pos:]
		if err == nil && s.Name == "name" {
			err = checkNames(r, &m.Cost)
		}
	case SectionType:
		err = m.readTypes(r)
	case SectionImport:
		err = m.readImports(r)
	case SectionFunction:
		m.Functions, err = readVec(r, (*Reader).U32)
	case SectionTable:
		m.Tables, err = readVec(r, readTable)
	case SectionMemory:
		m.Memories, err = readVec(r, (*Reader).Limits)
	case SectionExport:
		m.Exports, err = readVec(r, readExport)
	case SectionGlobal:
		err = checkGlobals(r, &m.Cost)
	case SectionStart:
		_, err = r.U32()
	case SectionElement:
		err = checkElements(r, &m.Cost)
	case SectionDataCount:
		var n uint32
		n, err = r.U32()
		m.dataCount = int(n)
	case SectionCode:
		err = m.readCode(r)
	case SectionData:
		err = checkData(r, &m.Cost)
	}
	return err
}

func (m *Module) readTypes(r *Reader) error {
	var err error
	m.Types, err = readVec(r, func(r *Reader) (FuncType, error) {
		form, err := r.Byte()
		if err != nil {
			return FuncType{}, err
		}
		if form != 0x60 {
			return FuncType{}, r.errorf("type form 0x%02x is not a function type", form)
		}
		params, err := readVec(r, (*Reader).Byte)
		if err != nil {
			return FuncType{}, err
		}
		results, err := readVec(r, (*Reader).Byte)
		return FuncType{Params: params, Results: results}, err
	})
	return err
}

func (m *Module) readImports(r *Reader) error {
	var err error
	m.Imports, err = readVec(r, readImport)
	for _, im := range m.Imports {
		if im.Kind == KindFunc {
			m.ImportedFuncs++
		}
	}
	return err
}

func readImport(r *Reader) (Import, error) {
	var im Import
	var err error
	if im.Module, err = r.Name(); err != nil {
		return im, err
	}
	if im.Name, err = r.Name(); err != nil {
		return im, err
	}
	if im.Kind, err = r.Byte(); err != nil {
		return im, err
	}
	switch im.Kind {
	case KindFunc:
		im.TypeIndex, err = r.U32()
	case KindTable:
		im.Limits, err = readTable(r)
	case KindMemory:
		im.Limits, err = r.Limits()
	case KindGlobal:
		_, err = r.Bytes(2) // value type, mutability
	default:
		err = r.errorf("unknown import kind 0x%02x", im.Kind)
	}
	return im, err
}

func readTable(r *Reader) (Limits, error) {
	if _, err := r.Byte(); err != nil { // element reference type
		return Limits{}, err
	}
	return r.Limits()
}

func readExport(r *Reader) (Export, error) {
	var e Export
	var err error
	if e.Name, err = r.Name(); err != nil {
		return e, err
	}
	if e.Kind, err = r.Byte(); err != nil {
		return e, err
	}
	e.Index, err = r.U32()
	return e, err
}

// readVec reads a length-prefixed vector. The count is checked against the
// remaining bytes (every element takes at least one) before allocating.
func readVec[T any](r *Reader, read func(*Reader) (T, error)) ([]T, error) {
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	if int(n) > r.Remaining() {
		return nil, r.errorf("vector of %d elements exceeds the %d bytes left", n, r.Remaining())
	}
	out := make([]T, 0, n)
	for i := uint32(0); i < n; i++ {
		v, err := read(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// AppendCustomSection returns module with a custom section appended.
func AppendCustomSection(module []byte, name string, body []byte) []byte {
	var payload []byte
	payload = AppendU32(payload, uint32(len(name)))
	payload = append(payload, name...)
	payload = append(payload, body...)
	out := make([]byte, 0, len(module)+len(payload)+6)
	out = append(out, module...)
	out = append(out, SectionCustom)
	out = AppendU32(out, uint32(len(payload)))
	return append(out, payload...)
}

// RemoveCustomSections returns module without custom sections called name.
func RemoveCustomSections(module []byte, name string) ([]byte, error) {
	m, err := Parse(module)
	if err != nil {
		return nil, err
	}
	out := append([]byte{}, magic...)
	for _, s := range m.Sections {
		if s.ID == SectionCustom && s.Name == name {
			continue
		}
		out = append(out, s.ID)
		out = AppendU32(out, uint32(len(s.Payload)))
		out = append(out, s.Payload...)
	}
	return out, nil
}

// AppendU32 appends v as an unsigned LEB128.
func AppendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
