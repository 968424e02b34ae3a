package masktest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The AssemblyScript mask (plugins/mask_as) against the Go mask, as the C
// mask is: the same bytes on the orders and the fuzz seeds, the same
// config refusals.

func TestASMaskMatchesGoOnOrders(t *testing.T) {
	for name, config := range map[string]string{"reference": refMask, "fuzz": fuzzConfig} {
		t.Run(name, func(t *testing.T) {
			assert.Zero(t, requireSameAs(t, asModule(t), config, orders(t)), "an order failed")
		})
	}
}

func TestASMaskMatchesGoOnFuzzSeeds(t *testing.T) {
	failed := requireSameAs(t, asModule(t), fuzzConfig, leakCases)
	assert.Equal(t, 10, failed, "the seeds that are not JSON, or mask an object by another action than redact")
}

func TestASMaskMasks(t *testing.T) {
	got := run(t, loadModule(t, asModule(t), refMask), []string{`{"customer":{"email":"jo@x.org","phone":"+34-555-4701","card":"4822126380948868"}}`})
	assert.Equal(t, `{"customer":{"email":"***@x.org","phone":"***4701","card":"************8868"}}`, got[0].value)
}

func TestASMaskRefusesObjectsForOtherActions(t *testing.T) {
	got := run(t, loadModule(t, asModule(t), fuzzConfig), []string{`{"customer":{"email":{"x":"a@x"}}}`})
	require.True(t, got[0].failed)
	assert.Equal(t, "guest_error: mask: field customer.email is an object or array; only action redact applies", got[0].msg)
}

func TestASMaskConfigMatchesGo(t *testing.T) {
	for name, config := range configCases() {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, initError(t, goParser(t), config), initError(t, asParser(t), config))
		})
	}
}

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
