// Package sdktest tests the C SDK's projection side (sdk/c/weir.c) on its
// own, through internal/projhost: the fields conformance guest
// (sdk/c/fieldsconformance) obeying commands, and batches a host could
// only send by mistake (truncated, lying counts), which must end the batch
// early, never read out of bounds.
package sdktest

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/projhost"
)

func load(t *testing.T, config string) *projhost.Guest {
	t.Helper()
	g, err := projhost.Load(context.Background(), fixtures.C(t, "sdk/c/fieldsconformance"), []byte(config))
	require.NoError(t, err)
	t.Cleanup(g.Close)
	return g
}

func process(t *testing.T, g *projhost.Guest, records ...projhost.Record) []projhost.Outcome {
	t.Helper()
	out, err := g.Process(records)
	require.NoError(t, err)
	return out
}

func out(value string, port string, meta map[string]string) projhost.Output {
	if meta == nil {
		meta = map[string]string{}
	}
	return projhost.Output{Value: value, Port: port, Meta: meta}
}

func TestFieldsCommands(t *testing.T) {
	g := load(t, `{"paths":["a","b","n.*"]}`)
	assert.Equal(t, []string{"a", "b", "n.*"}, g.Paths())
	meta := map[string]string{"k": "v"}
	for _, c := range []struct {
		name string
		in   string
		want projhost.Outcome
	}{
		{"keep", `{"a":"keep","z":1}`, projhost.Outcome{Out: []projhost.Output{out(`{"a":"keep","z":1}`, "", meta)}}},
		{"set", `{"a":"set:x\"y","b":"set:é"}`, projhost.Outcome{Out: []projhost.Output{out(`{"a":"x\"y","b":"é"}`, "", meta)}}},
		{"json", `{"a":"json:[1,{}]"}`, projhost.Outcome{Out: []projhost.Output{out(`{"a":[1,{}]}`, "", meta)}}},
		{"bad json", `{"a":"json:[1,"}`, projhost.Outcome{Class: "guest_error", Error: "weir_field_set_json: field 0: offset 3: want a value"}},
		{"drop", `{"a":"drop"}`, projhost.Outcome{Out: []projhost.Output{}}},
		{"error", `{"b":"keep","a":"error:boom"}`, projhost.Outcome{Class: "guest_error", Error: "boom"}},
		{"route", `{"a":"route:a,b"}`, projhost.Outcome{Out: []projhost.Output{out(`{"a":"route:a,b"}`, "a", meta), out(`{"a":"route:a,b"}`, "b", meta)}}},
		{"meta", `{"a":"meta:x=1","b":"getmeta:k"}`, projhost.Outcome{Out: []projhost.Output{out(`{"a":"meta:x=1","b":"v"}`, "", map[string]string{"k": "v", "x": "1"})}}},
		{"getmeta none", `{"a":"getmeta:nope"}`, projhost.Outcome{Out: []projhost.Output{out(`{"a":"<none>"}`, "", meta)}}},
		{"type", `{"a":"type","n":[1,"type",null,{}]}`, projhost.Outcome{Out: []projhost.Output{out(`{"a":"1","n":[1,"1",null,{}]}`, "", meta)}}},
		{"fanout", `{"a":"fanout:3","b":"set:y"}`, projhost.Outcome{Out: []projhost.Output{out(`{"a":"0","b":"set:y"}`, "", meta), out(`{"a":"1","b":"set:y"}`, "", meta), out(`{"a":"2","b":"set:y"}`, "", meta)}}},
		{"unknown", `{"a":"zap:1"}`, projhost.Outcome{Class: "guest_error", Error: "unknown command zap"}},
		{"not JSON", `{"a":"set:x"`, projhost.Outcome{Class: "bad_input", Error: "record is not JSON: offset 12: want ',' or '}' after a member"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := process(t, g, projhost.Record{Value: c.in, Meta: meta})
			if c.want.Class == "bad_input" {
				require.Equal(t, "bad_input", got[0].Class)
				return
			}
			assert.Equal(t, c.want, got[0])
		})
	}
}

// Each record's replacements are its own: a batch mixes verdicts.
func TestFieldsBatch(t *testing.T) {
	g := load(t, `{"paths":["a"]}`)
	got := process(t, g,
		projhost.Record{Value: `{"a":"set:1"}`},
		projhost.Record{Value: `not json`},
		projhost.Record{Value: `{"a":"keep"}`},
		projhost.Record{Value: `{"a":"drop"}`},
		projhost.Record{Value: `[{"a":"set:x"}]`},
	)
	require.Len(t, got, 5)
	assert.Equal(t, `{"a":"1"}`, got[0].Out[0].Value)
	assert.Equal(t, "bad_input", got[1].Class)
	assert.Equal(t, `{"a":"keep"}`, got[2].Out[0].Value)
	assert.Empty(t, got[3].Out)
	assert.Equal(t, `[{"a":"set:x"}]`, got[4].Out[0].Value)
}

func TestFieldsConfigErrors(t *testing.T) {
	many := `{"paths":[` + `"a",` + `"a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a"]}`
	for config, want := range map[string]string{
		`{"paths":["a",""]}`: "guest_error: init: weir_project: path 1 is empty",
		many:                 "guest_error: init: config: more than 64 paths",
		`{"paths":[1]}`:      "guest_error: init: config: offset 10: want a string",
		`{"paths":`:          "guest_error: init: config: offset 9: want a value",
	} {
		_, err := projhost.Load(context.Background(), fixtures.C(t, "sdk/c/fieldsconformance"), []byte(config))
		require.Error(t, err, config)
		assert.Equal(t, want, err.Error(), config)
	}
	_, err := projhost.Load(context.Background(), fixtures.C(t, "sdk/c/fieldsconformance"), []byte(`{"paths":["a..b"]}`))
	assert.ErrorContains(t, err, `weir_fields: path 0 "a..b": jsonpath: path "a..b" has an empty segment`)
}

// A full-value guest declares no fields: weir_fields returns 0.
func TestFullValueGuestDeclaresNoFields(t *testing.T) {
	g, err := projhost.Load(context.Background(), fixtures.C(t, "sdk/c/conformance"), nil)
	require.NoError(t, err)
	defer g.Close()
	assert.Empty(t, g.Paths())
}

func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

func str(b []byte, s string) []byte { return append(le32(b, uint32(len(s))), s...) }

// field appends field := path type value.
func field(b []byte, path uint32, typ byte, v string) []byte {
	return str(append(le32(b, path), typ), v)
}

// A batch cut anywhere, or with counts that lie, gets verdicts for its
// whole records only, and the guest neither traps nor reads past the end.
func TestFieldsTruncatedBatch(t *testing.T) {
	g := load(t, `{"paths":["a"]}`)
	rec := field(le32(nil, 1), 0, 1, "set:x")
	rec = str(str(le32(rec, 1), "k"), "v") // one metadata entry
	batch := le32(nil, 2)
	batch = append(append(batch, rec...), rec...)
	for cut := 0; cut <= len(batch); cut++ {
		out, err := g.Raw("weir_process_fields", batch[:cut])
		require.NoError(t, err, "cut at %d", cut)
		whole := 0
		if cut >= 4+len(rec) {
			whole = 1
		}
		if cut == len(batch) {
			whole = 2
		}
		require.Equal(t, uint32(whole), binary.LittleEndian.Uint32(out), "cut at %d", cut)
	}
	for _, lie := range [][]byte{
		le32(nil, 0xffffffff),                                                 // records
		le32(le32(nil, 1), 0xffffffff),                                        // fields
		field(le32(le32(nil, 1), 1), 0, 1, "")[:13],                           // a value length past the end
		le32(le32(field(le32(le32(nil, 1), 1), 0, 1, "keep"), 0x7fffffff), 0), // metadata
	} {
		out, err := g.Raw("weir_process_fields", lie)
		require.NoError(t, err)
		assert.Equal(t, uint32(0), binary.LittleEndian.Uint32(out))
	}
}
