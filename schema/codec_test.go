package schema

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
)

// ordersDir holds the orders schema, shared with examples/orders-proto.
const ordersDir = "../examples/orders-proto/proto"

func orderCodec(t testing.TB) *Codec {
	set, err := Compile(context.Background(), []string{ordersDir}, "orders.proto")
	require.NoError(t, err)
	md, err := set.Message("shop.v1.Order")
	require.NoError(t, err)
	c, err := NewCodec(md, Limits{})
	require.NoError(t, err)
	return c
}

const order = `{"order_id":"o-1","created_at":"2025-06-23T12:14:39Z","customer":{"id":"c-1","name":"jane doe","email":"jane@example.com","phone":"+34-555-4701","card":"4822126380948868"},"items":[{"sku":"S1","name":"Widget","qty":3,"price":33.46}],"shipping":{"street":"Damrak 42","city":"Vienna","zip":"34900"},"amount":483.93,"currency":"EUR","country":"FR","notes":{"gift":"yes"}}`

func TestValidation(t *testing.T) {
	c := orderCodec(t)
	m, err := c.FromJSON([]byte(order))
	require.NoError(t, err)
	require.NoError(t, c.Validate(m))
	bad, err := c.FromJSON([]byte(`{"order_id":"o-1","customer":{"email":"not-an-email"},"currency":"EUR"}`))
	require.NoError(t, err)
	err = c.Validate(bad)
	require.Error(t, err)
	assert.Equal(t, ClassViolation, ClassOf(err))
	assert.Contains(t, err.Error(), "customer.email")
}

// TestJSONBinaryRoundTrip is the golden test: JSON → binary → JSON gives
// the canonical JSON in testdata/order.golden.json (refresh with -update).
func TestJSONBinaryRoundTrip(t *testing.T) {
	c := orderCodec(t)
	m, err := c.FromJSON([]byte(order))
	require.NoError(t, err)
	bin, err := c.ToBinary(m)
	require.NoError(t, err)
	back, err := c.FromBinary(bin)
	require.NoError(t, err)
	js, err := c.ToJSON(back)
	require.NoError(t, err)
	golden(t, "order.golden.json", canonicalJSON(t, js))
	again, err := c.FromJSON(js)
	require.NoError(t, err)
	bin2, err := c.ToBinary(again)
	require.NoError(t, err)
	assert.Equal(t, bin, bin2, "binary is stable across a JSON round trip")
}

func TestMalformedInputIsBadInput(t *testing.T) {
	c := orderCodec(t)
	binaries := map[string][]byte{
		"truncated varint":        {0x08},
		"wrong wire type":         {0x0d, 0, 0, 0, 0},                   // order_id (field 1) as fixed32
		"wrong wire type, nested": {0x1a, 0x02, 0x18, 0x01},             // customer.email (field 3) as a varint
		"invalid UTF-8":           {0x0a, 0x02, 0xff, 0xfe},             // order_id string
		"length claims gigabytes": {0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f}, // customer, 4 GiB
		"truncated nested":        {0x1a, 0x05, 0x0a, 0x01},
		"field number zero":       {0x00, 0x01},
		// notes (map field 9): key "a", then the key again as a varint;
		// protobuf-go's dynamicpb decoder panics on it.
		"map key twice, wrong wire type": {0x4a, 0x05, 0x0a, 0x01, 'a', 0x08, 0x00},
	}
	for name, b := range binaries {
		t.Run("binary "+name, func(t *testing.T) {
			_, err := c.FromBinary(b)
			require.Error(t, err)
			assert.Equal(t, ClassBadInput, ClassOf(err), "%v", err)
		})
	}
	t.Run("binary nesting past the limit", func(t *testing.T) {
		_, err := treeCodec(t).FromBinary(nestedTree(100))
		require.Error(t, err)
		assert.Equal(t, ClassBadInput, ClassOf(err), "%v", err)
		_, err = treeCodec(t).FromBinary(nestedTree(10))
		require.NoError(t, err, "within the limit")
	})
	jsons := map[string]string{
		"not JSON":      `hello`,
		"truncated":     `{"order_id":"o`,
		"unknown field": `{"order_id":"o","nope":1}`,
		"wrong type":    `{"order_id":7}`,
		"deep":          deepJSON(100),
		"bad timestamp": `{"order_id":"o","created_at":"yesterday"}`,
	}
	for name, s := range jsons {
		t.Run("json "+name, func(t *testing.T) {
			_, err := c.FromJSON([]byte(s))
			require.Error(t, err)
			assert.Equal(t, ClassBadInput, ClassOf(err), "%v", err)
		})
	}
	_, err := (&Codec{Type: c.Type, limits: Limits{MaxBytes: 10, MaxDepth: 64}}).FromJSON([]byte(order))
	assert.ErrorContains(t, err, "exceeds the 10-byte limit")
}

func treeCodec(t testing.TB) *Codec {
	set, err := Compile(context.Background(), []string{"testdata"}, "tree.proto")
	require.NoError(t, err)
	md, err := set.Message("shop.v1.Tree")
	require.NoError(t, err)
	c, err := NewCodec(md, Limits{})
	require.NoError(t, err)
	return c
}

// nestedTree is a Tree n levels deep.
func nestedTree(n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		b = protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), b)
	}
	return b
}

func deepJSON(n int) string {
	s := `{"order_id":"o"}`
	for i := 0; i < n; i++ {
		s = `{"customer":` + s + `}`
	}
	return s
}

func FuzzFromBinary(f *testing.F) {
	c := orderCodec(f)
	m, _ := c.FromJSON([]byte(order))
	bin, _ := c.ToBinary(m)
	f.Add(bin)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := c.FromBinary(b)
		if err != nil {
			require.Equal(t, ClassBadInput, ClassOf(err))
			return
		}
		_ = c.Validate(m)
		_, err = c.ToJSON(m)
		require.NoError(t, err)
	})
}

func FuzzFromJSON(f *testing.F) {
	c := orderCodec(f)
	f.Add([]byte(order))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := c.FromJSON(b)
		if err != nil {
			require.Equal(t, ClassBadInput, ClassOf(err))
			return
		}
		bin, err := c.ToBinary(m)
		require.NoError(t, err)
		_, err = c.FromBinary(bin)
		require.NoError(t, err, "what was parsed from JSON must round-trip through binary")
	})
}
