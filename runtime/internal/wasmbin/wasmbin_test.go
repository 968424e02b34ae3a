package wasmbin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// minimal: one type () -> (i32), one function, memory 1..2, export "f".
var minimal = []byte("\x00asm\x01\x00\x00\x00" +
	"\x01\x05\x01\x60\x00\x01\x7f" +
	"\x03\x02\x01\x00" +
	"\x05\x04\x01\x01\x01\x02" +
	"\x07\x05\x01\x01f\x00\x00" +
	"\x0a\x06\x01\x04\x00\x41\x07\x0b")

func TestParse(t *testing.T) {
	m, err := Parse(minimal)
	require.NoError(t, err)
	require.Len(t, m.Types, 1)
	assert.Equal(t, []byte{ValI32}, m.Types[0].Results)
	assert.Equal(t, []Limits{{Min: 1, Max: 2, HasMax: true}}, m.Memories)
	ex, ok := m.Export("f")
	require.True(t, ok)
	ft, ok := m.FuncType(ex.Index)
	require.True(t, ok)
	assert.Equal(t, m.Types[0], ft)
}

func TestCustomSections(t *testing.T) {
	b := AppendCustomSection(minimal, "weir.manifest", []byte(`{"a":1}`))
	m, err := Parse(b)
	require.NoError(t, err)
	body, ok := m.CustomSection("weir.manifest")
	require.True(t, ok)
	assert.Equal(t, `{"a":1}`, string(body))
	stripped, err := RemoveCustomSections(b, "weir.manifest")
	require.NoError(t, err)
	assert.Equal(t, minimal, stripped)
}

func TestMalformed(t *testing.T) {
	cases := map[string][]byte{
		"no magic":             []byte("\x00asx\x01\x00\x00\x00"),
		"section past the end": append(append([]byte{}, minimal[:8]...), 0x01, 0x7f),
		"vector count lies":    []byte("\x00asm\x01\x00\x00\x00\x01\x05\xff\xff\xff\xff\x0f"),
		"LEB too long":         []byte("\x00asm\x01\x00\x00\x00\x01\x06\xff\xff\xff\xff\xff\x01"),
		"bad type form":        []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x61\x00\x00"),
		"bad name UTF-8":       []byte("\x00asm\x01\x00\x00\x00\x00\x02\x01\xff"),
		"bad limits flags":     []byte("\x00asm\x01\x00\x00\x00\x05\x03\x01\x09\x01"),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(b)
			require.Error(t, err)
		})
	}
}

// withSection is a module of that one section, after a type and a function
// section declaring one function when it is the code section.
func withSection(id byte, payload string) []byte {
	b := append([]byte{}, minimal[:8]...)
	if id == SectionCode {
		b = append(b, "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00"...)
	}
	return append(AppendU32(append(b, id), uint32(len(payload))), payload...)
}

// TestDeclaredSizesMustFit: wazero allocates what a module declares before
// reading it, so every count and size must fit in the bytes that follow.
func TestDeclaredSizesMustFit(t *testing.T) {
	const huge = "\xff\xff\xff\xff\x0f" // 2^32-1
	name := func(sub string) string { return "\x04name" + sub }
	cases := []struct {
		name, want string
		module     []byte
	}{
		{"globals", "4294967295 globals declared", withSection(SectionGlobal, huge)},
		{"element segments", "element segments declared", withSection(SectionElement, huge)},
		{"elements in a segment", "elements declared", withSection(SectionElement, "\x01\x00\x41\x00\x0b"+huge)},
		{"function bodies", "function bodies declared", withSection(SectionCode, huge)},
		{"a body's size", "exceeds", withSection(SectionCode, "\x01"+huge)},
		{"locals in one declaration", "function body 0 declares over 50000 locals",
			withSection(SectionCode, "\x01\x08\x01"+huge+"\x7f\x0b")},
		{"locals over several declarations", "declares over 50000 locals",
			withSection(SectionCode, "\x01\x0a\x02\xb0\xea\x01\x7f\xb0\xea\x01\x7f\x0b")},
		{"data segments", "data segments declared", withSection(SectionData, huge)},
		{"a data segment's size", "exceeds", withSection(SectionData, "\x01\x01"+huge)},
		{"function names", "names declared", withSection(SectionCustom, name("\x01\x05"+huge))},
		{"local names", "functions with local names declared", withSection(SectionCustom, name("\x02\x05"+huge))},
		{"an offset that is not constant", "not allowed in a constant expression",
			withSection(SectionElement, "\x01\x00\x41\x00\x41\x00\x6a\x0b\x00")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.module)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}

	// the same sections with honest sizes pass
	ok := [][]byte{
		withSection(SectionGlobal, "\x01\x7f\x00\x41\x05\x0b"),
		withSection(SectionElement, "\x02\x00\x41\x00\x0b\x01\x00\x05\x70\x02\xd0\x70\x0b\xd2\x00\x0b"),
		withSection(SectionCode, "\x01\x08\x02\x10\x7f\x20\x7e\x41\x07\x0b"),
		withSection(SectionData, "\x02\x00\x41\x00\x0b\x02ab\x01\x01c"),
		withSection(SectionCustom, name("\x01\x04\x01\x00\x01f\x02\x07\x01\x00\x01\x00\x02ab")),
	}
	for i, b := range ok {
		_, err := Parse(b)
		assert.NoError(t, err, "honest module %d", i)
	}
}

func TestLEB(t *testing.T) {
	for _, v := range []uint32{0, 1, 127, 128, 1 << 20, 1<<32 - 1} {
		r := NewReader(AppendU32(nil, v), 0)
		got, err := r.U32()
		require.NoError(t, err)
		assert.Equal(t, v, got)
	}
	r := NewReader([]byte{0x7f}, 0)
	s, err := r.S32()
	require.NoError(t, err)
	assert.Equal(t, int32(-1), s)
}

func FuzzParse(f *testing.F) {
	f.Add(minimal)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err == nil {
			for i := range m.Exports {
				m.FuncType(m.Exports[i].Index)
			}
		}
	})
}

// TestStructureIsStrict: what wazero's decoder refuses, Parse refuses, with
// the problem and its offset.
func TestStructureIsStrict(t *testing.T) {
	header := string(minimal[:8])
	typ := "\x01\x04\x01\x60\x00\x00"
	fn := "\x03\x02\x01\x00"
	code := "\x0a\x04\x01\x02\x00\x0b"
	cases := map[string]struct{ module, want string }{
		"unknown section id":   {header + "\x0d\x00", "offset 8: unknown section id 13"},
		"out of order":         {header + fn + typ + code, "offset 14: type section out of order: it must come before the function section"},
		"duplicate":            {header + typ + typ, "offset 16: duplicate type section"},
		"bytes after entries":  {header + "\x01\x05\x01\x60\x00\x00\x00", "type section has 1 bytes after its last entry"},
		"bodies without funcs": {header + typ + code, "code section has 1 function bodies but the function section declares 0"},
		"funcs without bodies": {header + typ + fn, "declares 1 functions but the module has 0 function bodies"},
		"body past its end":    {header + typ + fn + "\x0a\x05\x01\x03\x00\x0b\x0b", "function body 0 has 1 bytes after its final end"},
		"body without end":     {header + typ + fn + "\x0a\x04\x01\x02\x00\x01", "function body 0 ends before its final end"},
		"unknown instruction":  {header + typ + fn + "\x0a\x05\x01\x03\x00\xff\x0b", "unknown or unsupported instruction 0xff"},
		"data count mismatch":  {header + "\x0c\x01\x01", "data count section says 1 segments but the data section has 0"},
		"bad local type":       {header + typ + fn + "\x0a\x06\x01\x04\x01\x01\x01\x0b", "unknown local type 0x01"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.module))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// TestCostCountsWhatTheCompilerPays: control flow, calls and trap checks
// start blocks; control-flow blocks are squared and multiplied by locals
// and parameters.
func TestCostCountsWhatTheCompilerPays(t *testing.T) {
	// (func (param i32) (local i32 i32) block loop local.get 0 br_if 0 i32.load call 0 end end)
	body := "\x01\x02\x7f" + "\x02\x40\x03\x40\x20\x00\x0d\x00\x41\x00\x28\x02\x00\x1a\x10\x00\x0b\x0b\x0b"
	wasm := string(minimal[:8]) + "\x01\x05\x01\x60\x01\x7f\x00" + "\x03\x02\x01\x00" +
		"\x0a" + string(AppendU32(nil, uint32(len(body)+2))) + "\x01" + string(AppendU32(nil, uint32(len(body)))) + body
	c, err := MeasureCost([]byte(wasm))
	require.NoError(t, err)
	assert.Equal(t, uint64(5), c.MaxBodyBlocks, "block, loop, br_if, i32.load, call")
	assert.Equal(t, uint64(3*3), c.MaxBodyLocalBlocks, "3 control-flow blocks × 3 locals with the parameter")
	assert.Equal(t, WorkOf(3, 3), c.Work)
	assert.Equal(t, uint64(2), c.Locals)
	assert.Equal(t, 3, c.MaxDepth)
	assert.Equal(t, uint64(1+1+1), c.Entries, "one type, its parameter, one function")
}
