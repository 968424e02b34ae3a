package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	weir "github.com/weirstream/weir/sdk/go"
	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// errNotJSON is the simulated host's refusal of a record (class bad_input).
var errNotJSON = errors.New("host: record is not JSON")

// projectLikeTheHost does natively what the host does for a projecting
// guest (docs/abi.md §4b): compile the declared paths into one Set, scan
// the record once (Set.Spans), hand each value over decoded and typed to
// the mask's own projected handler (applyFields, through the SDK's batch
// loop), and splice the answers back as JSON strings
// (jsonpath.AppendQuote).
func projectLikeTheHost(t testing.TB, m *masker, doc []byte) ([]byte, error) {
	declared := m.projectedPaths()
	require.NotEmpty(t, declared, "the mask does not project")
	paths := make([]jsonpath.Path, len(declared))
	for i, p := range declared {
		paths[i] = jsonpath.MustCompile(p)
	}
	set, err := jsonpath.NewSet(paths...)
	require.NoError(t, err)
	spans, err := set.Spans(doc, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotJSON, err)
	}
	var fs []projected
	for _, s := range spans {
		typ, value := typed(t, doc[s.Start:s.End])
		fs = append(fs, projected{s.Path, typ, value})
	}
	out, err := weir.ProcessFieldsBatch(encodeProjected(fs), len(declared), m.applyFields)
	require.NoError(t, err)
	repls, err := readReplacements(t, out, len(fs))
	if err != nil {
		return nil, err
	}
	k := 0
	return jsonpath.ReplaceMatches(nil, doc, spans, func(dst []byte, _ int, raw []byte) []byte {
		k++
		if text, ok := repls[k-1]; ok {
			return jsonpath.AppendQuote(dst, text)
		}
		return append(dst, raw...)
	}), nil
}

// encodeProjected is one record of fields as the host sends it.
func encodeProjected(fs []projected) []byte {
	le := binary.LittleEndian
	out := le.AppendUint32(le.AppendUint32(nil, 1), uint32(len(fs)))
	for _, f := range fs {
		out = append(le.AppendUint32(out, uint32(f.path)), byte(f.typ))
		out = append(le.AppendUint32(out, uint32(len(f.value))), f.value...)
	}
	return le.AppendUint32(out, 0) // no metadata
}

// readReplacements reads the answer to one record: its text replacements
// by field, or the record's error. The mask only ever keeps, rewrites
// with text or fails a record.
func readReplacements(t testing.TB, out []byte, fields int) (map[int]string, error) {
	le := binary.LittleEndian
	require.GreaterOrEqual(t, len(out), 10)
	require.Equal(t, []uint32{1, 0}, []uint32{le.Uint32(out), le.Uint32(out[4:])}, "one entry, record 0")
	kind, body := out[8], out[9:]
	if kind == 3 {
		return nil, errors.New(string(body[4:]))
	}
	require.Equal(t, byte(1), kind, "an emit")
	repls := map[int]string{}
	if body[0] == 0 {
		return repls, nil
	}
	require.Equal(t, byte(8), body[0], "fields only")
	n, p := int(le.Uint32(body[1:])), 5
	for range n {
		f, typ, size := int(le.Uint32(body[p:])), body[p+4], int(le.Uint32(body[p+5:]))
		require.Less(t, f, fields)
		require.Equal(t, byte(1), typ, "a text replacement")
		repls[f] = string(body[p+9 : p+9+size])
		p += 9 + size
	}
	require.Equal(t, len(body), p, "nothing after the replacements")
	return repls, nil
}

// typed is a value as the host sends it: its type and, for a string, its
// decoded text.
func typed(t testing.TB, raw []byte) (weir.FieldType, []byte) {
	switch raw[0] {
	case '"':
		s, ok := jsonpath.Unquote(raw)
		require.True(t, ok, "the scan let %q through", raw)
		return weir.TypeString, []byte(s)
	case '{':
		return weir.TypeObject, raw
	case '[':
		return weir.TypeArray, raw
	case 't', 'f':
		return weir.TypeBool, raw
	case 'n':
		return weir.TypeNull, raw
	}
	return weir.TypeNumber, raw
}

// sameAsFullValue fails unless projecting doc gives what masking the whole
// value gives: the same bytes, or both an error — the same message when
// both are the mask's; a record that is not JSON fails at the host.
func sameAsFullValue(t testing.TB, m *masker, doc []byte) {
	t.Helper()
	full, fullErr := m.apply(doc)
	full = bytes.Clone(full)
	proj, projErr := projectLikeTheHost(t, m, doc)
	switch {
	case fullErr == nil && projErr == nil:
		if !bytes.Equal(full, proj) {
			t.Fatalf("input %q:\nfull value %q\nprojected  %q", doc, full, proj)
		}
	case fullErr == nil || projErr == nil:
		t.Fatalf("input %q: full value %q, %v; projected %q, %v", doc, full, fullErr, proj, projErr)
	case !errors.Is(projErr, errNotJSON) && fullErr.Error() != projErr.Error():
		t.Fatalf("input %q: full value fails %q, projected %q", doc, fullErr, projErr)
	}
}

// diffConfigs are the configs the differential tests run: the reference
// mask, every action and path shape, and hmac on nested arrays.
var diffConfigs = []string{
	refConfig,
	fuzzConfig,
	`{"hmac_key":"s3cret","fields":[{"path":"items.*.sku","action":"hmac"},{"path":"items.*","action":"redact"},{"path":"customer.*","action":"last","keep":2,"with":"<\"\\u00e9>"},{"path":"amount","action":"email"}]}`,
}

func orderLines(t testing.TB) [][]byte {
	data, err := os.ReadFile("../../bench/testdata/orders-1k.jsonl")
	require.NoError(t, err)
	return bytes.Split(bytes.TrimSpace(data), []byte("\n"))
}

// escapedCases hold the escapes, odd types and overlaps the orders lack.
var escapedCases = []string{
	`{"customer":{"email":"j\u00e9@x\"y","phone":"+3\n4-5","card":"\ud83d\ude00abc"},"a":[{"b":"\u00e9\u00e9"}],"items":[{"sku":"A\\B"}]}`,
	`{"customer":{"email":"a\/b@c\u0040d","phone":12.5e3,"card":false},"items":[{"sku":[1,{"x":"y"}]}],"a":[{"b":{}}]}`,
	`{"customer":"flat","items":[{"sku":null},{"sku":"é"}],"email":["x",{"y":"z"}],"amount":-0.5}`,
	` {"customer" : {"email" : "x@y"} } `,
}

func TestProjectionMatchesFullValue(t *testing.T) {
	docs := orderLines(t)
	for _, c := range append(leakCases, escapedCases...) {
		docs = append(docs, []byte(c))
	}
	for _, cfg := range diffConfigs {
		m, err := newMasker([]byte(cfg))
		require.NoError(t, err)
		for _, doc := range docs {
			sameAsFullValue(t, m, doc)
		}
	}
}

func TestProjectionSwitch(t *testing.T) {
	for cfg, want := range map[string][]string{
		refConfig: {"customer.email", "customer.phone", "customer.card"},
		`{"projection":false,"fields":[{"path":"a","action":"redact"}]}`:                                                       nil,
		`{"projection":true,"fields":[{"path":"a","action":"redact"},{"path":"a","action":"hmac","with":"x"}],"hmac_key":"k"}`: {"a", "a"},
		`{"format":"protobuf","fields":[{"path":"1","action":"redact"}]}`:                                                      nil,
	} {
		m, err := newMasker([]byte(cfg))
		require.NoError(t, err)
		require.Equal(t, want, m.projectedPaths(), cfg)
	}
}

// BenchmarkMaskFields is the mask's own work per record under projection,
// natively: the values as the host hands them over, through the SDK's
// batch loop (weir.ProcessFieldsBatch, which also allocates the loop's
// state per call); the host's scan is host time.
func BenchmarkMaskFields(b *testing.B) {
	lines := benchOrders(b)
	for _, c := range benchConfigs {
		b.Run(c.name, func(b *testing.B) {
			m, err := newMasker([]byte(c.config))
			require.NoError(b, err)
			var records [][]byte
			for _, doc := range lines {
				records = append(records, encodeProjected(hostFields(b, m, doc)))
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := weir.ProcessFieldsBatch(records[i%len(records)], len(m.rules), m.applyFields); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type projected struct {
	path  int
	typ   weir.FieldType
	value []byte
}

// hostFields is what the host sends for doc: the projected fields.
func hostFields(t testing.TB, m *masker, doc []byte) []projected {
	spans, err := m.set.Spans(doc, nil)
	require.NoError(t, err)
	var fs []projected
	for _, s := range spans {
		typ, value := typed(t, doc[s.Start:s.End])
		fs = append(fs, projected{s.Path, typ, value})
	}
	return fs
}
