package host_test

import (
	"fmt"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"

	"github.com/weirstream/weir/internal/fixtures"
)

// cConformanceProc is the C SDK's conformance guest with the given
// `config` YAML (quick to build and compile, unlike the Go one).
func cConformanceProc(t *testing.T, config string) string {
	return fmt.Sprintf("wasm:\n  module: %s\n  pool_size: 1\n  config: %s\n", writeModule(t, fixtures.C(t, "sdk/c/conformance")), config)
}

// docs/abi.md §3: a YAML string is handed to init as it is; anything else
// as its JSON text. The conformance guest prefixes set: values with it.
func TestConfigStringIsPassedRaw(t *testing.T) {
	for config, want := range map[string]string{
		`pre-`:          "pre-x",
		`"quoted: yes"`: "quoted: yesx",
		`{a: 1}`:        `{"a":1}x`,
		`5`:             "5x",
		"[1, two]":      `[1,"two"]x`,
	} {
		out := pipeline(t, cConformanceProc(t, config), batchOf("set:x"))
		assert.Equal(t, []seen{{value: want}}, describe(t, out), "config %s", config)
	}
}

// docs/abi.md §4: Benthos metadata of any type reaches the guest as text:
// numbers in decimal (floats shortest), booleans true/false, null as
// null, objects and arrays as JSON.
func TestTypedMetadataReachesTheGuestAsText(t *testing.T) {
	values := map[string]any{
		"int": int64(-42), "uint": uint64(1 << 63), "float": 1.5, "big": 1e21, "bool": true,
		"null": nil, "object": map[string]any{"a": int64(1), "b": []any{"x"}}, "array": []any{int64(1), "two"},
		"bytes": []byte("raw"),
	}
	want := map[string]string{
		"int": "-42", "uint": "9223372036854775808", "float": "1.5", "big": "1e+21", "bool": "true",
		"null": "null", "object": `{"a":1,"b":["x"]}`, "array": `[1,"two"]`, "bytes": "raw",
	}
	var in service.MessageBatch
	var keys []string
	for k, v := range values {
		m := service.NewMessage([]byte("getmeta:" + k))
		m.MetaSetMut(k, v)
		in = append(in, m)
		keys = append(keys, k)
	}
	out := pipeline(t, cConformanceProc(t, `""`), in)
	for i, s := range describe(t, out) {
		assert.Equal(t, "true:"+want[keys[i]], s.value, "metadata %s", keys[i])
	}
}
