// Package sdktest tests the C SDK (sdk/c/weir.c) through the real runtime:
// its projection side with the fields conformance guest
// (sdk/c/fieldsconformance) obeying commands, its in-place rewrite with
// its own guest (rewrite), and, on bare wazero (raw_test.go), what the
// runtime never sends: truncated or lying projected batches, and
// weir_process on an instance that declared fields.
package sdktest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

const fieldsGuest = "sdk/c/fieldsconformance"

func out(value string, port string, meta map[string]string) runtime.FixtureRecord {
	return runtime.FixtureRecord{Value: value, Port: port, Meta: meta}
}

func TestFieldsCommands(t *testing.T) {
	p := pool(t, fieldsGuest, `{"paths":["a","b","n.*"]}`)
	meta := map[string]string{"k": "v"}
	for _, c := range []struct {
		name string
		in   string
		want outcome
	}{
		{"keep", `{"a":"keep","z":1}`, outcome{Out: []runtime.FixtureRecord{out(`{"a":"keep","z":1}`, "", meta)}}},
		{"set", `{"a":"set:x\"y","b":"set:é"}`, outcome{Out: []runtime.FixtureRecord{out(`{"a":"x\"y","b":"é"}`, "", meta)}}},
		{"room", `{"a":"room:x\"y","b":"room:"}`, outcome{Out: []runtime.FixtureRecord{out(`{"a":"x\"y","b":""}`, "", meta)}}},
		{"room then fanout", `{"a":"room:é","b":"fanout:2"}`, outcome{Out: []runtime.FixtureRecord{out(`{"a":"é","b":"0"}`, "", meta), out(`{"a":"é","b":"1"}`, "", meta)}}},
		{"json", `{"a":"json:[1,{}]"}`, outcome{Out: []runtime.FixtureRecord{out(`{"a":[1,{}]}`, "", meta)}}},
		{"bad json", `{"a":"json:[1,"}`, outcome{Class: runtime.ClassGuest, Error: "weir_field_set_json: field 0: offset 3: want a value"}},
		{"drop", `{"a":"drop"}`, outcome{Out: []runtime.FixtureRecord{}}},
		{"error", `{"b":"keep","a":"error:boom"}`, outcome{Class: runtime.ClassGuest, Error: "boom"}},
		{"route", `{"a":"route:a,b"}`, outcome{Out: []runtime.FixtureRecord{out(`{"a":"route:a,b"}`, "a", meta), out(`{"a":"route:a,b"}`, "b", meta)}}},
		{"meta", `{"a":"meta:x=1","b":"getmeta:k"}`, outcome{Out: []runtime.FixtureRecord{out(`{"a":"meta:x=1","b":"v"}`, "", map[string]string{"k": "v", "x": "1"})}}},
		{"getmeta none", `{"a":"getmeta:nope"}`, outcome{Out: []runtime.FixtureRecord{out(`{"a":"<none>"}`, "", meta)}}},
		{"type", `{"a":"type","n":[1,"type",null,{}]}`, outcome{Out: []runtime.FixtureRecord{out(`{"a":"1","n":[1,"1",null,{}]}`, "", meta)}}},
		{"fanout", `{"a":"fanout:3","b":"set:y"}`, outcome{Out: []runtime.FixtureRecord{out(`{"a":"0","b":"set:y"}`, "", meta), out(`{"a":"1","b":"set:y"}`, "", meta), out(`{"a":"2","b":"set:y"}`, "", meta)}}},
		{"unknown", `{"a":"zap:1"}`, outcome{Class: runtime.ClassGuest, Error: "unknown command zap"}},
		{"not JSON", `{"a":"set:x"`, outcome{Class: runtime.ClassBadInput, Error: "record is not JSON: offset 12: want ',' or '}'"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, process(t, p, meta, c.in)[0])
		})
	}
}

// Each record's replacements are its own: a batch mixes verdicts.
func TestFieldsBatch(t *testing.T) {
	got := process(t, pool(t, fieldsGuest, `{"paths":["a"]}`), nil,
		`{"a":"set:1"}`, `not json`, `{"a":"keep"}`, `{"a":"drop"}`, `[{"a":"set:x"}]`)
	require.Len(t, got, 5)
	assert.Equal(t, `{"a":"1"}`, got[0].Out[0].Value)
	assert.Equal(t, runtime.ClassBadInput, got[1].Class)
	assert.Equal(t, `{"a":"keep"}`, got[2].Out[0].Value)
	assert.Empty(t, got[3].Out)
	assert.Empty(t, got[3].Class)
	assert.Equal(t, `[{"a":"set:x"}]`, got[4].Out[0].Value)
}

func TestFieldsConfigErrors(t *testing.T) {
	many := `{"paths":[` + `"a",` + `"a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a"]}`
	for config, want := range map[string]string{
		`{"paths":["a",""]}`: "init: weir_project: path 1 is empty",
		many:                 "init: config: more than 64 paths",
		`{"paths":[1]}`:      "init: config: offset 10: want a string",
		`{"paths":`:          "init: config: offset 9: want a value",
		`{"paths":["a..b"]}`: `init: weir_fields: path 0 "a..b": has an empty segment`,
	} {
		_, err := newPool(t, fieldsGuest, config)
		require.Error(t, err, config)
		assert.Equal(t, runtime.ClassGuest, runtime.ClassOf(err), "%s: %v", config, err)
		assert.Equal(t, want, message(err), config)
	}
}

// A full-value guest declares no fields (weir_fields returns 0): the host
// hands it whole values, JSON or not, through weir_process.
func TestFullValueGuestDeclaresNoFields(t *testing.T) {
	got := process(t, pool(t, "sdk/c/conformance", ""), nil, "keep", "set:x")
	assert.Equal(t, []outcome{
		{Out: []runtime.FixtureRecord{{Value: "keep"}}},
		{Out: []runtime.FixtureRecord{{Value: "x"}}},
	}, got)
}
