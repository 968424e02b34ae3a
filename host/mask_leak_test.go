package host_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/weirstream/weir/internal/fixtures"
)

// TestMaskNeverPassesClearPII runs the shipped mask, built as a guest,
// through the real host on the leaking inputs: each comes out
// masked at every occurrence, or flagged for the dead-letter route.
func TestMaskNeverPassesClearPII(t *testing.T) {
	mask := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "plugins/mask")))
	proc := fmt.Sprintf(`
wasm:
  module: %s
  cache_dir: %s
  config:
    fields:
      - { path: customer.email, action: email }
      - { path: email, action: redact }
`, mask, fixtures.CacheDir(t))
	out := pipeline(t, proc, batchOf(
		`{"email":"a@x","email":"b@y"}`,
		`{"customer":{"email":"a@x.com"},"customer":{"email":"b@y.com"}}`,
		`{"em\u0061il":"a@x"}`,
		`{"email":"a@x"} {"email":"b@y"}`,
		`{"email":"a@x"}garbage`,
		"{\"email\":\"a@x\xff\"}",
		`{"email":"\ud800"}`,
		`{"customer":{"email":{"local":"jane"}}}`,
		`{"email":"ok@x"}`,
	))
	got := describe(t, out)
	require.Len(t, got, 9, "nothing dropped")
	assert.Equal(t, seen{value: `{"email":"***","email":"***"}`}, got[0])
	assert.Equal(t, seen{value: `{"customer":{"email":"***@x.com"},"customer":{"email":"***@y.com"}}`}, got[1])
	assert.Equal(t, seen{value: `{"em\u0061il":"***"}`}, got[2])
	for i, want := range map[int]string{
		3: "unexpected data after the top-level value",
		4: "unexpected data after the top-level value",
		5: "invalid UTF-8 in string",
		6: "unpaired surrogate",
		7: "field customer.email is an object or array",
	} {
		class := "bad_input" // the host's scan refuses what is not JSON
		if i == 7 {
			class = "guest_error" // valid JSON the mask itself refuses
		}
		assert.Equal(t, class, got[i].class, "record %d: %+v", i, got[i])
		assert.Contains(t, got[i].errText, want, "record %d", i)
	}
	assert.Equal(t, seen{value: `{"email":"***"}`}, got[8], "good records still served")
}

// TestBoundMaskRefusesUnknownProtobufFields streams binary protobuf through
// a schema-bound mask: an unknown field, top-level or nested, fails its
// record; duplicated sensitive fields and messages are masked at every
// occurrence. (unknown_fields: drop is tested natively, in plugins/mask.)
func TestBoundMaskRefusesUnknownProtobufFields(t *testing.T) {
	mask := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "plugins/mask")))
	proc := fmt.Sprintf(`
wasm:
  module: %s
  cache_dir: %s
  config: { hmac_key: k }
  schema:
    proto_files: [orders.proto]
    import_paths: [%s]
    input: shop.v1.Order
    format: protobuf
`, mask, fixtures.CacheDir(t), protoDir)
	customer := func(fields ...[]byte) []byte { return pbStr(3, string(pbCat(fields...))) }
	base := pbCat(pbStr(1, "o-1"), pbStr(7, "EUR"))
	records := [][]byte{
		pbCat(base, customer(pbStr(3, "jane@example.com")), pbStr(99, "jane@example.com")),
		pbCat(base, customer(pbStr(3, "jane@example.com"), pbStr(99, "+34-555-4701"))),
		pbCat(base, customer(pbStr(3, "a@example.com"), pbStr(3, "b@example.com")), customer(pbStr(3, "c@example.com"))),
		pbCat(base, customer(pbStr(3, "ok@example.com"))),
	}
	var batch service.MessageBatch
	for _, r := range records {
		batch = append(batch, service.NewMessage(r))
	}
	got := describe(t, pipeline(t, proc, batch))
	require.Len(t, got, 4)
	for _, i := range []int{0, 1} {
		assert.Equal(t, "guest_error", got[i].class, "record %d", i)
		assert.Contains(t, got[i].errText, "is not in the bound schema", "record %d", i)
	}
	for _, i := range []int{2, 3} {
		require.Empty(t, got[i].class, got[i].errText)
		assert.Equal(t, strings.Count(string(records[i]), "@example.com"), strings.Count(got[i].value, "***@example.com"), "record %d: every occurrence masked", i)
	}
}

func pbStr(num uint32, s string) []byte {
	return protowire.AppendString(protowire.AppendTag(nil, protowire.Number(num), protowire.BytesType), s)
}

func pbCat(fields ...[]byte) []byte {
	var b []byte
	for _, f := range fields {
		b = append(b, f...)
	}
	return b
}
