package runtime

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncodeBatch(t *testing.T) {
	recs := []Record{{Value: []byte("ab"), Meta: []Meta{{"k", "vv"}}}, {Value: nil}}
	buf := make([]byte, encodedSize(recs))
	encodeBatch(buf, recs)
	want := []byte{
		2, 0, 0, 0, // count
		2, 0, 0, 0, 'a', 'b', 1, 0, 0, 0, 1, 0, 0, 0, 'k', 2, 0, 0, 0, 'v', 'v',
		0, 0, 0, 0, 0, 0, 0, 0,
	}
	assert.Equal(t, want, buf)
}

// out builds an output buffer from little-endian fields.
type out []byte

func (o out) u32(v uint32) out { return binary.LittleEndian.AppendUint32(o, v) }
func (o out) u8(v byte) out    { return append(o, v) }
func (o out) str(s string) out { return append(o.u32(uint32(len(s))), s...) }

func TestDecodeOutput(t *testing.T) {
	in := []Record{{Value: []byte("a")}, {Value: []byte("b")}, {Value: []byte("c")}}
	man := &Manifest{Ports: []string{"p"}}
	cases := []struct {
		name    string
		buf     out
		check   func(t *testing.T, o []Outcome)
		wantErr string
	}{
		{"keep, rewrite+port+meta, drop",
			out{}.u32(3).
				u32(0).u8(kindEmit).u8(0).
				u32(1).u8(kindEmit).u8(flagValue | flagPort | flagMeta).str("B").str("p").u32(2).u8(opSet).str("k").str("v").u8(opDelete).str("d").
				u32(2).u8(kindDrop),
			func(t *testing.T, o []Outcome) {
				assert.True(t, o[0].Emits[0].Unchanged)
				assert.Equal(t, "a", string(o[0].Emits[0].Value))
				assert.Equal(t, Emit{Value: []byte("B"), Port: "p", MetaOps: []MetaOp{{Key: "k", Value: "v"}, {Key: "d", Delete: true}}}, o[1].Emits[0])
				assert.Empty(t, o[2].Emits)
				assert.NoError(t, o[2].Err)
			}, ""},
		{"error entry and a missing verdict",
			out{}.u32(2).u32(0).u8(kindError).str("boom").u32(1).u8(kindDrop),
			func(t *testing.T, o []Outcome) {
				assert.ErrorIs(t, o[0].Err, ErrGuest)
				assert.EqualError(t, o[0].Err, "weir: guest_error: boom")
				assert.ErrorIs(t, o[2].Err, ErrBadOutput)
				assert.Contains(t, o[2].Err.Error(), "record 2: guest gave no verdict")
			}, ""},
		{"fan-out", out{}.u32(4).u32(0).u8(kindEmit).u8(flagValue).str("x").u32(0).u8(kindEmit).u8(flagValue).str("y").u32(1).u8(kindDrop).u32(2).u8(kindDrop),
			func(t *testing.T, o []Outcome) { assert.Len(t, o[0].Emits, 2) }, ""},
		{"truncated count", out{1, 0}, nil, "truncated"},
		{"count larger than buffer", out{}.u32(1 << 30), nil, "cannot fit"},
		{"index out of range", out{}.u32(1).u32(3).u8(kindDrop), nil, "out of order or out of range"},
		{"index goes backwards", out{}.u32(2).u32(1).u8(kindDrop).u32(0).u8(kindDrop), nil, "out of order"},
		{"drop then emit", out{}.u32(2).u32(0).u8(kindDrop).u32(0).u8(kindEmit).u8(0), nil, "must be its only entry"},
		{"unknown kind", out{}.u32(1).u32(0).u8(9), nil, "unknown entry kind"},
		{"unknown flags", out{}.u32(1).u32(0).u8(kindEmit).u8(0x80), nil, "unknown emit flags"},
		{"value length lies", out{}.u32(1).u32(0).u8(kindEmit).u8(flagValue).u32(1 << 31), nil, "exceeds the"},
		{"undeclared port", out{}.u32(1).u32(0).u8(kindEmit).u8(flagPort).str("q"), nil, `port "q" is not declared`},
		{"port not UTF-8", out{}.u32(1).u32(0).u8(kindEmit).u8(flagPort).str("\xff"), nil, `port "\xff" is not declared`},
		{"key not UTF-8", out{}.u32(1).u32(0).u8(kindEmit).u8(flagMeta).u32(1).u8(opDelete).str("\xff"), nil, "output offset 15: metadata key is not valid UTF-8"},
		{"offset of a lying length", out{}.u32(1).u32(0).u8(kindEmit).u8(flagValue).u32(9), nil, "output offset 10: length 9 exceeds the 0 bytes left"},
		{"meta op count lies", out{}.u32(1).u32(0).u8(kindEmit).u8(flagMeta).u32(1 << 30), nil, "cannot fit"},
		{"unknown meta op", out{}.u32(1).u32(0).u8(kindEmit).u8(flagMeta).u32(1).u8(7).str("k"), nil, "unknown metadata op"},
		{"trailing bytes", out{}.u32(1).u32(0).u8(kindDrop).u8(0), nil, "trailing bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := decodeOutput(c.buf, in, man, unlimited)
			if c.wantErr != "" {
				require.ErrorIs(t, err, ErrBadOutput)
				assert.Contains(t, err.Error(), c.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, o, len(in))
			c.check(t, o)
		})
	}
}
