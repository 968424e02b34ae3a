package masktest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// refMask is the benchmarks' reference mask (bench/runtime.go).
const refMask = `{"fields":[{"path":"customer.email","action":"email"},{"path":"customer.phone","action":"last"},{"path":"customer.card","action":"last","with":"************"}]}`

// fuzzConfig is the Go mask's FuzzMask config (plugins/mask/testdata):
// every action, nested keys, a top-level key, a wildcard through an array,
// an index, overlapping paths.
var fuzzConfig = strings.TrimSpace(string(mustRead("plugins/mask/testdata/fuzz_config.json")))

// leakCases are the Go mask's FuzzMask seeds (plugins/mask/testdata),
// then cases for what the C code does itself: characters counted as UTF-8,
// the last '@', escapes decoded before masking, a value inside a matched one.
var leakCases = append(readQuoted("plugins/mask/testdata/leak_cases.txt"),
	`{"customer":{"phone":"añb€😀x"}}`,
	`{"customer":{"phone":"😀"}}`,
	`{"customer":{"phone":""},"a":"é"}`,
	`{"customer":{"email":"a@b@c.example"}}`,
	`{"customer":{"email":"no-at-sign"}}`,
	`{"customer":{"email":"\"q\"@x\\y\u0001"}}`,
	`{"customer":{"phone":false,"card":-1.5e3}}`,
	`{"items":[{"sku":""},{"sku":"\ud83d\ude00"},{"sku":12}]}`,
	`{"a":[{"b":[1,2]}]}`,
	`{"a":{"0":{"b":{}}}}`,
	`{"a":"12345"}`,
	`[{"email":"a@x"}]`,
	`"email"`,
	`{}`,
)

func orders(t testing.TB) []string {
	data, err := os.ReadFile(filepath.Join(fixtures.Root(), "bench/testdata/orders-1k.jsonl"))
	require.NoError(t, err)
	var out []string
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		out = append(out, string(line))
	}
	require.NotEmpty(t, out)
	return out
}

func TestMaskMatchesGoOnOrders(t *testing.T) {
	for name, config := range map[string]string{"reference": refMask, "fuzz": fuzzConfig} {
		t.Run(name, func(t *testing.T) {
			assert.Zero(t, requireSame(t, config, orders(t)), "an order failed")
		})
	}
}

func TestMaskMatchesGoOnFuzzSeeds(t *testing.T) {
	failed := requireSame(t, fuzzConfig, leakCases)
	assert.Equal(t, 10, failed, "the seeds that are not JSON, or mask an object by another action than redact")
}

func TestMaskMasks(t *testing.T) {
	for _, g := range guests {
		got := run(t, loadModule(t, g.module, refMask), []string{`{"customer":{"email":"jo@x.org","phone":"+34-555-4701","card":"4822126380948868"}}`})
		assert.Equal(t, `{"customer":{"email":"***@x.org","phone":"***4701","card":"************8868"}}`, got[0].value, g.lang)
	}
}

func TestMaskRefusesObjectsForOtherActions(t *testing.T) {
	for _, g := range guests {
		got := run(t, loadModule(t, g.module, fuzzConfig), []string{`{"customer":{"email":{"x":"a@x"}}}`})
		require.True(t, got[0].failed, g.lang)
		assert.Equal(t, "guest_error: mask: field customer.email is an object or array; only action redact applies", got[0].msg, g.lang)
	}
}

// configCases are configs the masks must take or refuse alike.
func configCases() map[string]string {
	many := `{"fields":[` + strings.Repeat(`{"path":"a","action":"redact"},`, 64) + `{"path":"a","action":"redact"}]}`
	return map[string]string{
		"empty":               ``,
		"null":                `null`,
		"no fields":           `{"fields":[]}`,
		"null fields":         `{"fields":null}`,
		"empty segment":       `{"fields":[{"path":"a..b","action":"redact"}]}`,
		"empty path":          `{"fields":[{"action":"redact"}]}`,
		"unknown action":      `{"fields":[{"path":"a","action":"zap"}]}`,
		"no action":           `{"fields":[{"path":"a"}]}`,
		"hmac without key":    `{"fields":[{"path":"a","action":"hmac"}]}`,
		"negative keep":       `{"fields":[{"path":"a","action":"last","keep":-1}]}`,
		"format":              `{"format":"xml","fields":[{"path":"a","action":"redact"}]}`,
		"too many rules":      many,
		"first error wins":    `{"fields":[{"path":"a","action":"zap"},{"path":"a..b","action":"redact"}]}`,
		"action quoted":       `{"fields":[{"path":"a","action":"z\"a\\p"}]}`,
		"loads":               `{"fields":[{"path":"a","action":"redact","keep":0,"with":""}],"unknown_fields":"drop","other":[1,{"x":null}]}`,
		"keys fold case":      `{"FIELDS":[{"Path":"a","ACTION":"redact"}],"Hmac_Key":"k"}`,
		"duplicates in place": `{"fields":[{"path":"a","action":"hmac"}],"fields":[{"with":"x"}],"hmac_key":"k"}`,
	}
}

func TestMaskConfigMatchesGo(t *testing.T) {
	for name, config := range configCases() {
		t.Run(name, func(t *testing.T) {
			want := initError(t, goParser(t), config)
			for _, g := range guests {
				assert.Equal(t, want, initError(t, g.parser(t), config), g.lang)
			}
		})
	}
}

// The C mask's own refusals: what the Go mask takes but the C one cannot,
// and JSON it fails on (the Go mask's texts are Go's encoding/json's).
func TestMaskConfigRefusals(t *testing.T) {
	long := strings.Repeat("k", 1025)
	for config, want := range map[string]string{
		`{"fields":[{"path":"a","action":"redact"}],"format":"protobuf"}`: "mask: config: format: protobuf needs the Go mask (plugins/mask); the C mask reads JSON",
		`{"weir_schema":{"input":"x"}}`:                                   "mask: config: fields: schema-bound (protobuf) records need the Go mask (plugins/mask); the C mask reads JSON",
		`{"fields":[{"path":"` + long + `","action":"redact"}]}`:          "mask: config: fields[0].path: longer than 1024 bytes, the most a projected path may be",
		`{"fields":[{"path":"a\u0000b","action":"redact"}]}`:              "mask: config: fields[0].path: holds a NUL character, which a projected path cannot",
		`{"fields":[{"path":"a","action":"last","keep":1.5}]}`:            "mask: config: offset 46: want an integer, got 1.5",
		`{"fields":[{"path":1}]}`:                                         "mask: config: offset 19: want a string",
		`{"fields":{}}`:                                                   "mask: config: offset 10: want an array",
		`[]`:                                                              "mask: config: offset 0: want an object",
		`{"fields":[}`:                                                    "mask: config: offset 11: want a value",
		`{"fields":[]} x`:                                                 "mask: config: offset 14: bytes after the value",
		`{"fields":"\x"}`:                                                 "mask: config: offset 11: bad escape in a string",
		`{"fields":[{"path":"a","action":"last","keep":99999999999999999999}]}`: "mask: config: offset 46: integer out of range",
	} {
		assert.Equal(t, want, initError(t, cParser(t), config), "%s", config)
	}
}

// The Rust mask's own refusals: what the Go mask takes but the Rust one
// cannot, and JSON it fails on (the Go mask's texts are Go's
// encoding/json's; the Rust mask names the field, or the offset of a
// syntax error).
func TestRustMaskConfigRefusals(t *testing.T) {
	long := strings.Repeat("k", 1025)
	for config, want := range map[string]string{
		`{"fields":[{"path":"a","action":"redact"}],"format":"protobuf"}`: "mask: config: format: protobuf needs the Go mask (plugins/mask); the Rust mask reads JSON",
		`{"weir_schema":{"input":"x"}}`:                                   "mask: config: fields: schema-bound (protobuf) records need the Go mask (plugins/mask); the Rust mask reads JSON",
		`{"weir_schema":[],"fields":[{"path":"a","action":"redact"}]}`:    "mask: config: weir_schema: want an object",
		`{"fields":[{"path":"` + long + `","action":"redact"}]}`:          "mask: config: fields[0].path: longer than 1024 bytes, the most a projected path may be",
		`{"fields":[{"path":"a\u0000b","action":"redact"}]}`:              "mask: config: fields[0].path: holds a NUL character, which a projected path cannot",
		`{"fields":[{"path":"a","action":"last","keep":1.5}]}`:            "mask: config: fields[0].keep: want an integer, got 1.5",
		`{"fields":[{"path":"a","action":"last","keep":"4"}]}`:            "mask: config: fields[0].keep: want an integer",
		`{"fields":[{"path":1}]}`:                                         "mask: config: fields[0].path: want a string",
		`{"fields":[7]}`:                                                  "mask: config: fields[0]: want an object",
		`{"fields":{}}`:                                                   "mask: config: fields: want an array",
		`[]`:                                                              "mask: config: want an object",
		`{"fields":[}`:                                                    "mask: config: offset 11: want a value",
		`{"fields":[]} x`:                                                 "mask: config: offset 14: bytes after the value",
		`{"fields":"\x"}`:                                                 "mask: config: offset 11: bad escape in a string",
		`{"fields":[{"path":"a","action":"last","keep":99999999999999999999}]}`: "mask: config: fields[0].keep: integer out of range",
	} {
		assert.Equal(t, want, initError(t, rustParser(t), config), "%s", config)
	}
}
