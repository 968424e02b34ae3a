package runtime

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vouch is FieldHooks that vouches for text replacements of ref 7 only.
type vouch struct{ checked []string }

func (v *vouch) Declared([]string) error { return nil }
func (v *vouch) Check(ref int, typ byte, value []byte) bool {
	v.checked = append(v.checked, string(value))
	return ref == 7 && typ == ReplaceText
}

// TestGivenFields: with FieldHooks the fields are the caller's spans,
// not a scan's (here a value the path would not match by its key), and an
// emit whose replacements all pass Check is marked Checked.
func TestGivenFields(t *testing.T) {
	p := newProjection(t, "customer.email")
	h := &vouch{}
	p.hooks = h
	doc := []byte(`{"customer":{"mail":"a\u0040x"},"n":1}`)
	recs := []Record{
		{Value: doc, Fields: []FieldSpan{{Path: 0, Start: 20, End: 30, Ref: 7}}},
		{Value: doc, Fields: []FieldSpan{{Path: 0, Start: 36, End: 37, Ref: 3}}},
	}
	buf := make([]byte, p.scan(recs, "t@1"))
	p.encode(buf, recs)
	want := out{}.u32(2).
		u32(1).u32(0).u8(typeString).str("a@x").u32(0).
		u32(1).u32(0).u8(typeNumber).str("1").u32(0)
	assert.Equal(t, []byte(want), buf)

	reply := out{}.u32(2).
		u32(0).u8(kindEmit).u8(flagFields).u32(1).u32(0).u8(replText).str("***").
		u32(1).u8(kindEmit).u8(flagFields).u32(1).u32(0).u8(replText).str("2")
	o, err := decodeProjected(reply, recs, &Manifest{}, PoolConfig{}.withDefaults().outputLimits(recs), p, &Outcomes{}, nil)
	require.NoError(t, err)
	assert.Equal(t, `{"customer":{"mail":"***"},"n":1}`, string(o[0].Emits[0].Value))
	assert.True(t, o[0].Emits[0].Checked)
	assert.Equal(t, `{"customer":{"mail":"a\u0040x"},"n":"2"}`, string(o[1].Emits[0].Value))
	assert.False(t, o[1].Emits[0].Checked, "ref 3 is not vouched for")
	assert.True(t, o[1].Emits[0].Refused)
	assert.Equal(t, 3, o[1].Emits[0].RefusedRef)
	assert.Equal(t, []string{"***", "2"}, h.checked)
}

// TestGivenFieldsOutOfRange: a span that does not fit its record fails
// that record, not the host.
func TestGivenFieldsOutOfRange(t *testing.T) {
	p := newProjection(t, "a")
	p.hooks = &vouch{}
	recs := []Record{
		{Value: []byte(`{"a":1}`), Fields: []FieldSpan{{Path: 0, Start: 5, End: 9}}},
		{Value: []byte(`{"a":1}`), Fields: []FieldSpan{{Path: 1, Start: 5, End: 6}}},
		{Value: []byte(`{"a":1}`), Fields: []FieldSpan{{Path: 0, Start: 5, End: 6}}},
	}
	p.scan(recs, "t@1")
	require.Error(t, p.bad[0])
	require.Error(t, p.bad[1])
	require.NoError(t, p.bad[2])
	assert.Len(t, p.of(2), 1)
	assert.Equal(t, len(p.fields), len(p.refs))
}

// TestEncodeManyEscapedRecords: the decoded text of escaped strings is
// kept for the whole batch, so its offsets pass the end of later, short
// records: encode must not slice those records with them.
func TestEncodeManyEscapedRecords(t *testing.T) {
	p := newProjection(t, "a")
	var recs []Record
	for range 40 {
		recs = append(recs, Record{Value: []byte(`{"a":"\u0041\u0042\u0043\u0044"}`)})
	}
	buf := make([]byte, p.scan(recs, "t"))
	require.NotPanics(t, func() { p.encode(buf, recs) })
	assert.Equal(t, 40*(8+9+4)+4, len(buf))
}
