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
