package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/schema"
)

var protoDir = filepath.Join(fixtures.Root(), "examples/orders-proto/proto")

// withSchema packs the descriptors of a proto file into a module.
func withSchema(t *testing.T, wasm []byte, protoFile string) []byte {
	return withSchemaFrom(t, wasm, protoDir, protoFile)
}

func withSchemaFrom(t *testing.T, wasm []byte, dir, protoFile string) []byte {
	set, err := schema.Compile(context.Background(), []string{dir}, protoFile)
	require.NoError(t, err)
	fds, err := proto.Marshal(set.DescriptorSet())
	require.NoError(t, err)
	out, err := runtime.PackSchema(wasm, fds)
	require.NoError(t, err)
	return out
}

func boundProc(t *testing.T, module, extra string) string {
	return fmt.Sprintf(`
wasm:
  module: %s
  cache_dir: %s%s
  schema:
    proto_files: [orders.proto]
    import_paths: [%s]
    input: shop.v1.Order
`, module, fixtures.CacheDir(t), extra, protoDir)
}

const goodOrder = `{"order_id":"o-1","customer":{"id":"c-1","name":"jane","email":"jane@example.com","phone":"+34-555-4701","card":"4822126380948868"},"items":[{"sku":"S1","qty":1,"price":2.5}],"currency":"EUR"}`

func TestSchemaBoundMask(t *testing.T) {
	mask := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "plugins/mask")))
	proc := boundProc(t, mask, `
  config:
    format: protobuf
    fields:
      - { path: "3.3", action: email }
      - { path: "3.5", action: last, keep: 4, with: "************" }
      - { path: "4.1", action: redact }`)
	out := pipeline(t, proc, batchOf(
		goodOrder,
		`{"order_id":"o-2","customer":{"email":"not-an-email"},"currency":"EUR"}`,
		`{"order_id": 7}`,
		`{"order_id":"o-3","customer":{"email":"a@b.co"},"currency":"EURO"}`,
	))
	got := describe(t, out)
	require.Len(t, got, 4, "nothing dropped")

	var order struct {
		OrderID  string `json:"order_id"`
		Customer struct{ Email, Card, Phone string }
		Items    []struct{ Sku string }
	}
	require.NoError(t, json.Unmarshal([]byte(got[0].value), &order), got[0].value)
	assert.Equal(t, "***@example.com", order.Customer.Email)
	assert.Equal(t, "************8868", order.Customer.Card)
	assert.Equal(t, "+34-555-4701", order.Customer.Phone)
	assert.Equal(t, "***", order.Items[0].Sku)
	assert.Empty(t, got[0].class)

	assert.Equal(t, "schema_violation", got[1].class)
	field, _ := out[1].MetaGet("weir_error_field")
	assert.Equal(t, "customer.email", field)
	assert.Contains(t, got[1].errText, "shop.v1.Order field customer.email")

	assert.Equal(t, "bad_input", got[2].class)
	assert.Contains(t, got[2].errText, "invalid JSON")

	assert.Equal(t, "schema_violation", got[3].class)
	field, _ = out[3].MetaGet("weir_error_field")
	assert.Equal(t, "currency", field)
}

func TestSchemaBoundOutputIsValidated(t *testing.T) {
	echo := writeModule(t, fixtures.Warm(t, withSchema(t, fixtures.Go(t, "sdk/go/internal/protoecho"), "orders.proto")))
	out := pipeline(t, boundProc(t, echo, "\n  config: clear-order-id"), batchOf(goodOrder))
	got := describe(t, out)
	require.Len(t, got, 1)
	assert.Equal(t, "schema_violation", got[0].class)
	field, _ := out[0].MetaGet("weir_error_field")
	assert.Equal(t, "order_id", field)
	assert.JSONEq(t, goodOrder, got[0].value, "the failed record keeps its original value")

	out = pipeline(t, boundProc(t, echo, ""), batchOf(goodOrder))
	got = describe(t, out)
	require.Len(t, got, 1)
	assert.Empty(t, got[0].class)
	assert.JSONEq(t, goodOrder, got[0].value)
}

func TestIncompatibleModuleIsRefusedWithADiff(t *testing.T) {
	// the module was built against an Order whose amount became a string and
	// whose items became a single Item
	src, err := os.ReadFile(filepath.Join(protoDir, "orders.proto"))
	require.NoError(t, err)
	changed := strings.NewReplacer("double amount = 6;", "string amount = 6;", "repeated Item items = 4;", "Item items = 4;").Replace(string(src))
	require.NotEqual(t, string(src), changed)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "orders.proto"), []byte(changed), 0o644))
	bad := writeModule(t, withSchemaFrom(t, fixtures.Go(t, "sdk/go/internal/protoecho"), dir, "orders.proto"))
	err = buildErr(t, boundProc(t, bad, ""))
	require.Error(t, err)
	for _, want := range []string{
		"transform protoecho@1.0.0",
		"is incompatible with the pipeline's schema",
		"input: the pipeline sends shop.v1.Order, the transform reads shop.v1.Order",
		"amount(6): type changed: written double, read string",
		"items(4): cardinality changed: written repeated shop.v1.Item, read shop.v1.Item",
		"output: the transform writes shop.v1.Order",
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestBoundPipelineRefusesAModuleWithoutTypes(t *testing.T) {
	conf := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "sdk/go/internal/conformance")))
	err := buildErr(t, boundProc(t, conf, ""))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "declares no input type, but the pipeline is bound to shop.v1.Order")
}

func TestSchemaConfigErrors(t *testing.T) {
	mask := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "plugins/mask")))
	err := buildErr(t, fmt.Sprintf("wasm:\n  module: %s\n  cache_dir: %s\n  schema:\n    proto_files: [orders.proto]\n    import_paths: [%s]\n    input: shop.v1.Nope\n", mask, fixtures.CacheDir(t), protoDir))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `field schema.input: schema: message "shop.v1.Nope": not found`)
}

func TestSchemaDrivenMaskingNeedsNoFieldConfig(t *testing.T) {
	mask := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "plugins/mask")))
	out := pipeline(t, boundProc(t, mask, "\n  config: { hmac_key: k }"), batchOf(goodOrder))
	got := describe(t, out)
	require.Len(t, got, 1)
	require.Empty(t, got[0].class, got[0].errText)
	var order struct {
		Customer struct{ ID, Name, Email, Phone, Card string }
	}
	require.NoError(t, json.Unmarshal([]byte(got[0].value), &order))
	assert.Equal(t, "c-1", order.Customer.ID, "unmarked fields are untouched")
	assert.Equal(t, hmacHex("k", "jane"), order.Customer.Name)
	assert.Equal(t, "***@example.com", order.Customer.Email)
	assert.Equal(t, "***4701", order.Customer.Phone)
	assert.Equal(t, "************8868", order.Customer.Card)
}
