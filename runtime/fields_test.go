package runtime

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

func newProjection(t testing.TB, paths ...string) *projection {
	t.Helper()
	var b out
	b = b.u32(uint32(len(paths)))
	for _, p := range paths {
		b = b.str(p)
	}
	ps, set, ins, err := parseFieldPaths(b)
	require.NoError(t, err)
	return &projection{paths: ps, set: set, ins: ins}
}

// TestEncodeProjected is the worked example of docs/abi.md §4b.
func TestEncodeProjected(t *testing.T) {
	p := newProjection(t, "a", "b.*")
	recs := []Record{
		{Value: []byte(`{"a":"h\u0069","b":[7,null]}`), Meta: []Meta{{"k", "v"}}},
		{Value: []byte(`{"a"}`), Meta: []Meta{{"k", "v"}}},
	}
	buf := make([]byte, p.scan(recs, "t@1"))
	p.encode(buf, recs)
	want := out{}.u32(2).
		u32(3).u32(0).u8(typeString).str("hi").u32(1).u8(typeNumber).str("7").u32(1).u8(typeNull).str("null").
		u32(1).str("k").str("v").
		u32(0).u32(0) // not JSON: no fields, no metadata
	assert.Equal(t, []byte(want), buf)
	require.NoError(t, p.bad[0])
	require.ErrorIs(t, p.bad[1], ErrBadInput)
	assert.Equal(t, `weir: transform "t@1": bad_input: record is not JSON: offset 4: want ':' after key`, p.bad[1].Error())

	reply := out{}.u32(2).
		u32(0).u8(kindEmit).u8(flagFields).u32(2).u32(0).u8(replText).str("x").u32(2).u8(replJSON).str("[]").
		u32(1).u8(kindEmit).u8(0)
	o, err := decodeProjected(reply, recs, &Manifest{}, PoolConfig{}.withDefaults().outputLimits(recs), p, &Outcomes{}, nil)
	require.NoError(t, err)
	assert.Equal(t, `{"a":"x","b":[7,[]]}`, string(o[0].Emits[0].Value))
}

// TestScanReusesItsScratch: a projecting instance's hot path allocates
// nothing per record once its scratch has grown.
func TestScanReusesItsScratch(t *testing.T) {
	p := newProjection(t, "customer.email", "customer.phone", "customer.card")
	recs := []Record{{Value: []byte(`{"customer":{"email":"a\u0040x","phone":"1","card":"4"}}`)}}
	for range 10 {
		recs = append(recs, recs[0])
	}
	buf := make([]byte, p.scan(recs, "t"))
	allocs := testing.AllocsPerRun(100, func() { p.encode(buf[:p.scan(recs, "t")], recs) })
	assert.Zero(t, allocs)
}

// TestAppendQuotedIsAppendQuote: on valid UTF-8, the host quotes text
// replacements exactly as jsonpath.AppendQuote does.
func TestAppendQuotedIsAppendQuote(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\", "\n\r\t\b\f\x00\x1f\x7f", "é😀\u2028", "<>&"} {
		checkQuoted(t, []byte(s))
	}
}

func FuzzAppendQuoted(f *testing.F) {
	f.Add([]byte("q\"\x01é"))
	for _, s := range quoteCases() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		checkQuotedText(t, v)
		if utf8.Valid(v) {
			checkQuoted(t, v)
		}
	})
}

// quoteCases put each kind of byte quotedText and textRun stop at (quote,
// backslash, control, every UTF-8 length, invalid UTF-8) at every offset
// of an 8-byte word and across word boundaries.
func quoteCases() []string {
	var cases []string
	for k := 0; k < 17; k++ {
		pad := strings.Repeat("x", k)
		for _, stop := range []string{`"`, `\`, "\n", "\x00", "\x1f", "\x7f", "é", "€", "😀", "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf0\x9f\x98"} {
			cases = append(cases, pad+stop, pad+stop+pad, stop+pad+stop)
		}
	}
	return cases
}

// TestQuotedTextIsValidAndQuotedLen: the one-pass check of a text
// replacement answers as utf8.Valid and the byte-by-byte length did.
func TestQuotedTextIsValidAndQuotedLen(t *testing.T) {
	for _, s := range quoteCases() {
		checkQuotedText(t, []byte(s))
		if utf8.ValidString(s) {
			checkQuoted(t, []byte(s))
		}
	}
}

func checkQuotedText(t *testing.T, v []byte) {
	n, ok := quotedText(v)
	require.Equal(t, utf8.Valid(v), ok, "%q", v)
	if ok {
		require.Equal(t, refQuotedLen(v), n, "%q", v)
	}
}

// refQuotedLen is the length of appendQuoted(nil, v) for valid UTF-8 v,
// byte by byte: the reference for quotedText.
func refQuotedLen(v []byte) int {
	n := 2 + len(v)
	for _, c := range v {
		switch {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
			n++
		case c < 0x20:
			n += 5
		}
	}
	return n
}

func checkQuoted(t *testing.T, v []byte) {
	got := appendQuoted(nil, v)
	require.Equal(t, string(jsonpath.AppendQuote(nil, string(v))), string(got))
	require.Len(t, got, refQuotedLen(v))
	var back string
	require.NoError(t, json.Unmarshal(got, &back))
	require.Equal(t, string(v), back)
}

// FuzzDecodeProjected: whatever a guest answers to a projected batch, the
// host fails it as bad_output or returns values within the charged bytes,
// each valid JSON if the record was — unless it is a whole value the guest
// sent (flag bit 0, allowed and not checked: it is then in the reply).
func FuzzDecodeProjected(f *testing.F) {
	f.Add(`{"a":"x","b":[1,"y"]}`, []byte(out{}.u32(1).u32(0).u8(1).u8(8).u32(2).u32(0).u8(1).str("z").u32(2).u8(0).str("[]")))
	f.Add(`{"a":1}`, []byte(out{}.u32(1).u32(0).u8(1).u8(8).u32(1).u32(0).u8(0).str(`{"k":1}`)))
	f.Add(`[]`, []byte(out{}.u32(1).u32(0).u8(1).u8(9).str("v").u32(0)))
	f.Fuzz(func(t *testing.T, doc string, reply []byte) {
		p := newProjection(t, "a", "b.*", "*")
		recs := []Record{{Value: []byte(doc)}}
		p.scan(recs, "t")
		lim := PoolConfig{}.withDefaults().outputLimits(recs)
		lim.expandedBytes = 1 << 16
		o, err := decodeProjected(reply, recs, &Manifest{}, lim, p, &Outcomes{}, nil)
		if err != nil {
			require.Equal(t, ClassBadOutput, ClassOf(err), "%v", err)
			return
		}
		total := 0
		for _, e := range o[0].Emits {
			total += len(e.Value)
			if p.bad[0] == nil && !json.Valid(e.Value) {
				require.True(t, bytes.Contains(reply, e.Value), "spliced %q is not JSON", e.Value)
			}
		}
		require.LessOrEqual(t, total, lim.expandedBytes)
	})
}
