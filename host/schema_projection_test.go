package host_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/schema"
)

// jsonMask is the mask's JSON-mode config, as a user writes it for a
// schema-bound JSON stream: the stream projects.
const jsonMask = `
  config:
    fields:
      - { path: customer.email, action: email }
      - { path: customer.phone, action: last, keep: 4, with: "***" }
      - { path: customer.card, action: last, keep: 4, with: "************" }`

// protoMask is the same masking in protobuf mode: the stream transcodes.
const protoMask = `
  config:
    format: protobuf
    fields:
      - { path: "3.3", action: email }
      - { path: "3.4", action: last, keep: 4, with: "***" }
      - { path: "3.5", action: last, keep: 4, with: "************" }`

func maskModule(t *testing.T) string {
	return writeModule(t, fixtures.Warm(t, fixtures.Go(t, "plugins/mask")))
}

// TestBoundJSONStreamProjects: the mask's JSON paths just work on a bound
// JSON stream; the record keeps its own bytes (spelling, spacing, key
// order) with the masked values spliced in, and either spelling of a
// field's name is found.
func TestBoundJSONStreamProjects(t *testing.T) {
	out := pipeline(t, boundProc(t, maskModule(t), jsonMask), batchOf(
		goodOrder,
		`{ "orderId" : "o-9", "currency":"EUR",
		   "customer": {"email": "j\u0040example.com", "card":"4822126380948868"} }`,
	))
	got := describe(t, out)
	require.Len(t, got, 2)
	for _, g := range got {
		require.Empty(t, g.class, g.errText)
	}
	want := strings.NewReplacer(`"jane@example.com"`, `"***@example.com"`, `"+34-555-4701"`, `"***4701"`,
		`"4822126380948868"`, `"************8868"`).Replace(goodOrder)
	assert.Equal(t, want, got[0].value)
	assert.Equal(t, `{ "orderId" : "o-9", "currency":"EUR",
		   "customer": {"email": "***@example.com", "card":"************8868"} }`, got[1].value)
}

// TestBoundJSONSchemaDrivenMaskProjects: with no fields configured, the
// mask masks the fields the schema marks sensitive by their JSON paths,
// projecting: the record keeps its own bytes.
func TestBoundJSONSchemaDrivenMaskProjects(t *testing.T) {
	in := `{"orderId":"o-1", "customer":{"name":"jane","email":"jane@example.com","card":"4822126380948868"},"currency":"EUR"}`
	out := pipeline(t, boundProc(t, maskModule(t), "\n  config: { hmac_key: k }"), batchOf(in))
	got := describe(t, out)
	require.Len(t, got, 1)
	require.Empty(t, got[0].class, got[0].errText)
	want := strings.NewReplacer(`"jane"`, `"`+hmacHex("k", "jane")+`"`, `"jane@example.com"`, `"***@example.com"`,
		`"4822126380948868"`, `"************8868"`).Replace(in)
	assert.Equal(t, want, got[0].value)
}

// TestBoundJSONStreamFailsBadInput: a record is validated against the
// input type before the guest: the class and field path of the plain
// path's error, the record's own bytes kept.
func TestBoundJSONStreamFailsBadInput(t *testing.T) {
	bad := []string{
		`{"order_id":"o-2","customer":{"email":"not-an-email"},"currency":"EUR"}`,
		`{"order_id": 7,"customer":{"email":"a@b.co"},"currency":"EUR"}`,
		`{"order_id":"o-3","customer":{"email":"a@b.co"},"currency":"EURO"}`,
		`{"order_id":"o-4","customer":{"email":"a@b.co","mail":"x"},"currency":"EUR"}`,
	}
	out := pipeline(t, boundProc(t, maskModule(t), jsonMask), batchOf(bad...))
	got := describe(t, out)
	require.Len(t, got, len(bad), "nothing dropped")
	for i, want := range []struct{ class, field, text string }{
		{"schema_violation", "customer.email", "shop.v1.Order field customer.email"},
		{"bad_input", "", "invalid value for string field orderId: 7"},
		{"schema_violation", "currency", "field currency"},
		{"bad_input", "", `unknown field "mail"`},
	} {
		assert.Equal(t, want.class, got[i].class, bad[i])
		field, _ := out[i].MetaGet("weir_error_field")
		assert.Equal(t, want.field, field, bad[i])
		assert.Contains(t, got[i].errText, want.text)
		assert.Equal(t, bad[i], got[i].value, "a failed record keeps its bytes")
	}
}

// TestBoundJSONStreamChecksReplacements: a value the guest writes that
// breaks its field's rules or type fails that record as schema_violation
// naming the field; the record keeps its original value.
func TestBoundJSONStreamChecksReplacements(t *testing.T) {
	for _, c := range []struct{ rule, field, text string }{
		{"{ path: customer.email, action: redact }", "customer.email", "must be a valid email address"},
		{"{ path: customer, action: redact }", "customer", "transform output"},
		{"{ path: currency, action: last, keep: 1, with: x }", "currency", "field currency"},
	} {
		out := pipeline(t, boundProc(t, maskModule(t), "\n  config:\n    fields:\n      - "+c.rule), batchOf(goodOrder))
		got := describe(t, out)
		require.Len(t, got, 1)
		assert.Equal(t, "schema_violation", got[0].class, c.rule)
		field, _ := out[0].MetaGet("weir_error_field")
		assert.Equal(t, c.field, field, c.rule)
		assert.Contains(t, got[0].errText, c.text, c.rule)
		assert.Equal(t, goodOrder, got[0].value)
	}
}

// TestBoundJSONStreamRefusesUnknownPaths: a declared path that names no
// field of the bound type refuses the transform at load, naming it.
func TestBoundJSONStreamRefusesUnknownPaths(t *testing.T) {
	err := buildErr(t, boundProc(t, maskModule(t), `
  config:
    fields:
      - { path: customer.email, action: email }
      - { path: customer.emial, action: email }`))
	require.Error(t, err)
	for _, want := range []string{`path 1 "customer.emial"`, `shop.v1.Customer has no field "emial"`, "bound to shop.v1.Order"} {
		assert.Contains(t, err.Error(), want)
	}
}

// boundInputs are the orders corpus and, for some orders, mutations that
// reach every branch: other spellings, escapes, layouts, forms the plan
// leaves to protojson, and records that break the type or its rules.
func boundInputs(t *testing.T) []string {
	orders := loadOrders(t)
	var in []string
	for i, o := range orders[:120] {
		in = append(in, o)
		if i%6 != 0 {
			continue
		}
		r := func(old, new string) string { return strings.Replace(o, old, new, 1) }
		in = append(in,
			r(`"order_id"`, `"orderId"`), r(`"created_at"`, `"createdAt"`), r(`@`, `\u0040`), r(`"email"`, `"em\u0061il"`),
			r(`,"`, ` ,
 "`), r(`"amount":`, `"amount":1e2,"x":`), r(`"created_at":"2025`, `"created_at":"2025-`), r(`Z"`, `+01:00"`),
			r(`"email":"`, `"email":"no-at-`), r(`"phone":"`, `"phone":1,"p":"`), r(`"customer":{`, `"customer":{"id":"x",`),
			r(`"qty":`, `"qty":0,"q":`), r(`"currency":"`, `"currency":"EU`), r(`"card":"`, `"card":null,"c":"`),
			r(`"customer":`, `"customer":null,"c":`), o[:len(o)/2], r(`"phone":"`, `"phone":"\ud83d\ude00`),
			r(`"card":`, `"card":"\u0000",  "x":`), r(`"country":"`, `"country":"`+"\xff"),
		)
	}
	return in
}

func loadOrders(t *testing.T) []string {
	data, err := os.ReadFile(filepath.Join(fixtures.Root(), "bench/testdata/orders-1k.jsonl"))
	require.NoError(t, err)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// TestBoundProjectionDifferential: on every input, the projected stream
// (the record validated in place, the mask's JSON paths, the replaced
// values checked) gives the transcoding stream's result (JSON → protobuf
// → the mask's protobuf plan → JSON, everything validated): the same
// message, or a failure of the same class.
func TestBoundProjectionDifferential(t *testing.T) {
	mask := maskModule(t)
	inputs := boundInputs(t)
	t.Run("paths", func(t *testing.T) { diffBound(t, mask, jsonMask, protoMask, inputs) })
	// schema-driven: the sensitive fields by JSON path, or in protobuf mode
	t.Run("sensitive", func(t *testing.T) {
		diffBound(t, mask, "\n  config: { hmac_key: k }", "\n  config: { hmac_key: k, projection: false }", inputs)
	})
}

func diffBound(t *testing.T, mask, projecting, transcoding string, inputs []string) {
	projected := pipeline(t, boundProc(t, mask, projecting), batchOf(inputs...))
	transcoded := pipeline(t, boundProc(t, mask, transcoding), batchOf(inputs...))
	require.Len(t, projected, len(inputs))
	require.Len(t, transcoded, len(inputs))
	codec := orderCodecT(t)
	p, tr := describe(t, projected), describe(t, transcoded)
	failed := 0
	for i, in := range inputs {
		require.Equal(t, tr[i].class, p[i].class, "input %d: %s\nprojected: %s\ntranscoded: %s", i, in, p[i].errText, tr[i].errText)
		if p[i].class != "" {
			failed++
			continue
		}
		a, err := codec.FromJSON([]byte(p[i].value))
		require.NoError(t, err, p[i].value)
		b, err := codec.FromJSON([]byte(tr[i].value))
		require.NoError(t, err, tr[i].value)
		require.True(t, proto.Equal(a, b), "input %d: %s\nprojected:  %s\ntranscoded: %s", i, in, p[i].value, tr[i].value)
	}
	assert.Greater(t, failed, 20, "the mutations reach the failure branches")
	assert.Less(t, failed, len(inputs)/2)
}

func orderCodecT(t *testing.T) *schema.Codec {
	set, err := schema.Compile(context.Background(), []string{protoDir}, "orders.proto")
	require.NoError(t, err)
	md, err := set.Message("shop.v1.Order")
	require.NoError(t, err)
	c, err := schema.NewCodec(md, schema.Limits{})
	require.NoError(t, err)
	return c
}
