// Package wasmgen builds WebAssembly binaries from Go: a guest skeleton that
// passes weir's ABI checks plus functions, globals and segments in any
// number, so tests and measurements can produce modules that stress one
// axis of the compiler's cost at a time.
package wasmgen

// Value types.
const (
	I32     = 0x7f
	I64     = 0x7e
	V128    = 0x7b
	FuncRef = 0x70
)

// Section ids and external kinds.
const (
	SectionCustom = iota
	SectionType
	SectionImport
	SectionFunction
	SectionTable
	SectionMemory
	SectionGlobal
	SectionExport
	SectionStart
	SectionElement
	SectionCode
	SectionData
	SectionDataCount

	kindFunc   = 0
	kindMemory = 2
)

// Type is a function signature.
type Type struct{ Params, Results []byte }

// Func is a defined function: its type index, its locals (count, type
// pairs) and its body without the final end.
type Func struct {
	Type   uint32
	Locals [][2]uint32
	Body   []byte
}

// Module is a module under construction. Sections are emitted in the order
// the specification requires.
type Module struct {
	Types    []Type
	Imports  []byte // raw import entries, counted by ImportCount
	Funcs    []Func
	Exports  [][]byte // raw export entries
	Globals  [][]byte // raw global entries
	Elements [][]byte // raw element segments
	Data     [][]byte // raw data segments
	Memory   bool     // one memory of 1 page, exported as "memory"
	Table    uint32   // a funcref table of this many elements when > 0

	ImportCount int
}

// Guest is the smallest module weir admits: memory, weir_buffer,
// weir_init and weir_process, each returning 0.
func Guest() *Module {
	m := &Module{Memory: true}
	m.Types = []Type{{Params: []byte{I32}, Results: []byte{I32}}, {Params: []byte{I32}, Results: []byte{I64}}}
	m.Funcs = []Func{
		{Type: 0, Body: []byte{0x41, 0x00}},
		{Type: 1, Body: []byte{0x42, 0x00}},
		{Type: 1, Body: []byte{0x42, 0x00}},
	}
	m.ExportFunc("weir_buffer", 0)
	m.ExportFunc("weir_init", 1)
	m.ExportFunc("weir_process", 2)
	return m
}

// AddType appends a type and returns its index.
func (m *Module) AddType(t Type) uint32 {
	m.Types = append(m.Types, t)
	return uint32(len(m.Types) - 1)
}

// AddFunc appends a function and returns its function index.
func (m *Module) AddFunc(f Func) uint32 {
	m.Funcs = append(m.Funcs, f)
	return uint32(m.ImportCount + len(m.Funcs) - 1)
}

// ExportFunc exports function idx as name.
func (m *Module) ExportFunc(name string, idx uint32) {
	m.Exports = append(m.Exports, append(Name(nil, name), append([]byte{kindFunc}, U32(nil, idx)...)...))
}

// Bytes encodes the module.
func (m *Module) Bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	out = section(out, SectionType, vec(len(m.Types), func(b []byte, i int) []byte {
		b = append(b, 0x60)
		b = append(U32(b, uint32(len(m.Types[i].Params))), m.Types[i].Params...)
		return append(U32(b, uint32(len(m.Types[i].Results))), m.Types[i].Results...)
	}))
	if m.ImportCount > 0 {
		out = section(out, SectionImport, append(U32(nil, uint32(m.ImportCount)), m.Imports...))
	}
	out = section(out, SectionFunction, vec(len(m.Funcs), func(b []byte, i int) []byte { return U32(b, m.Funcs[i].Type) }))
	if m.Table > 0 {
		out = section(out, SectionTable, append([]byte{1, FuncRef, 0}, U32(nil, m.Table)...))
	}
	if m.Memory {
		out = section(out, SectionMemory, []byte{1, 0, 1})
	}
	out = rawSection(out, SectionGlobal, m.Globals)
	exports := m.Exports
	if m.Memory {
		exports = append([][]byte{append(Name(nil, "memory"), kindMemory, 0)}, exports...)
	}
	out = rawSection(out, SectionExport, exports)
	out = rawSection(out, SectionElement, m.Elements)
	out = section(out, SectionCode, vec(len(m.Funcs), func(b []byte, i int) []byte { return m.Funcs[i].encode(b) }))
	return rawSection(out, SectionData, m.Data)
}

func (f Func) encode(b []byte) []byte {
	body := U32(nil, uint32(len(f.Locals)))
	for _, l := range f.Locals {
		body = append(U32(body, l[0]), byte(l[1]))
	}
	body = append(append(body, f.Body...), 0x0b)
	return append(U32(b, uint32(len(body))), body...)
}

func vec(n int, entry func([]byte, int) []byte) []byte {
	b := U32(nil, uint32(n))
	for i := 0; i < n; i++ {
		b = entry(b, i)
	}
	return b
}

func rawSection(out []byte, id byte, entries [][]byte) []byte {
	if len(entries) == 0 {
		return out
	}
	return section(out, id, vec(len(entries), func(b []byte, i int) []byte { return append(b, entries[i]...) }))
}

func section(out []byte, id byte, payload []byte) []byte {
	return append(U32(append(out, id), uint32(len(payload))), payload...)
}

// Section appends a raw section to a module's bytes.
func Section(module []byte, id byte, payload []byte) []byte {
	return section(append([]byte{}, module...), id, payload)
}

// U32 appends v as an unsigned LEB128.
func U32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// Name appends a length-prefixed string.
func Name(b []byte, s string) []byte { return append(U32(b, uint32(len(s))), s...) }
