package masktest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The AssemblyScript mask's own refusals, where the Go mask's texts are
// encoding/json's.
func TestASMaskConfigRefusals(t *testing.T) {
	for config, want := range map[string]string{
		`{"fields":[{"path":"a","action":"redact"}],"format":"protobuf"}`: "mask: config: format: protobuf needs the Go mask (plugins/mask); the AssemblyScript mask reads JSON",
		`{"weir_schema":{"input":"x"}}`:                                   "mask: config: fields: schema-bound (protobuf) records need the Go mask (plugins/mask); the AssemblyScript mask reads JSON",
		`{"fields":[{"path":"a","action":"last","keep":1.5}]}`:            "mask: config: offset 46: want an integer, got 1.5",
		`{"fields":[{"path":1}]}`:                                         "mask: config: offset 19: want a string",
		`{"fields":{}}`:                                                   "mask: config: offset 10: want an array",
		`[]`:                                                              "mask: config: offset 0: want an object",
		`{"fields":[}`:                                                    "mask: config: offset 11: want a value",
		`{"fields":[]} x`:                                                 "mask: config: offset 14: bytes after the value",
		`{"fields":"\x"}`:                                                 "mask: config: offset 11: bad escape in a string",
		`{"fields":[{"path":"a","action":"last","keep":99999999999999999999}]}`: "mask: config: offset 46: integer out of range",
		`{"fields":[{"path":"a\u0000b","action":"redact"}]}`:                    "mask: config: fields[0].path: holds a NUL character, which a projected path cannot",
	} {
		assert.Equal(t, want, initError(t, asParser(t), config), "%s", config)
	}
}
