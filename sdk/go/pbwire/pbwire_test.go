package pbwire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func msg(fields ...[]byte) []byte {
	var b []byte
	for _, f := range fields {
		b = append(b, f...)
	}
	return b
}

func str(num uint32, s string) []byte {
	b := AppendVarint(nil, uint64(num)<<3|Bytes)
	b = AppendVarint(b, uint64(len(s)))
	return append(b, s...)
}

func sub(num uint32, m []byte) []byte { return str(num, string(m)) }

func TestReplaceNestedAndRepeated(t *testing.T) {
	order := msg(str(1, "o-1"), sub(3, msg(str(3, "jane@x.com"), str(4, "555"))), sub(4, str(1, "A")), sub(4, str(1, "B")), []byte{0x30, 0x07})
	out, err := ReplaceAll(nil, order, []uint32{3, 3}, func(c []byte) []byte { return []byte("***") })
	require.NoError(t, err)
	email, found, err := Get(out, 3, 3)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, "***", string(email))
	phone, _, _ := Get(out, 3, 4)
	assert.Equal(t, "555", string(phone))
	out, err = ReplaceAll(nil, out, []uint32{4, 1}, func(c []byte) []byte { return append([]byte("sku-"), c...) })
	require.NoError(t, err)
	var skus []string
	require.NoError(t, Each(out, func(f Field) error {
		if f.Num == 4 {
			s, _, _ := Get(out[f.ValStart:f.ValEnd], 1)
			skus = append(skus, string(s))
		}
		return nil
	}))
	assert.Equal(t, []string{"sku-A", "sku-B"}, skus)
	assert.Equal(t, []byte{0x30, 0x07}, out[len(out)-2:], "other fields untouched")
}

func TestMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"truncated varint": {0x08},
		"length past end":  {0x0a, 0x05, 'a'},
		"field zero":       {0x00, 0x00},
		"group":            {0x0b},
		// field 2^32+1 would truncate to field 1 in a uint32
		"field number past 2^29-1": append(AppendVarint(nil, (1<<32+1)<<3|Bytes), 0x00),
		"varint over 10 bytes":     {0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
		"10th varint byte over 1":  {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02},
	} {
		_, err := ReplaceAll(nil, b, []uint32{1}, func(c []byte) []byte { return c })
		assert.ErrorIs(t, err, ErrMalformed, name)
	}
}

func FuzzReplaceAll(f *testing.F) {
	f.Add(msg(str(1, "a"), sub(2, str(1, "b"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ReplaceAll(nil, b, []uint32{2, 1}, func(c []byte) []byte { return []byte("x") })
		_, _, _ = Get(b, 2, 1)
	})
}

// FuzzNextShortMatchesNext requires the one-byte fast path to read every
// field it accepts as the general reader does.
func FuzzNextShortMatchesNext(f *testing.F) {
	f.Add(msg(str(1, "o-1"), []byte{0x30, 0x07, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 0x15, 1, 2, 3, 4}))
	f.Add([]byte{0x0a, 0x7f, 'x'})
	f.Add([]byte{0x08, 0x80, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		for i := 0; i < len(b); i++ {
			fast, ok := nextShort(b, i)
			if !ok {
				continue
			}
			want, err := next(b, i)
			require.NoError(t, err, "%x at %d", b, i)
			require.Equal(t, want, fast, "%x at %d", b, i)
		}
	})
}
