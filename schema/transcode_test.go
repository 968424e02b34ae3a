package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func kindsCodec(t testing.TB, name string) *Codec {
	return codecFor(t, "testdata", "kinds.proto", name)
}

func personCodec(t testing.TB) *Codec {
	return codecFor(t, "../plugins/mask/testdata", "person.proto", "masktest.v1.Person")
}

func codecFor(t testing.TB, dir, file, name string) *Codec {
	set, err := Compile(context.Background(), []string{dir}, file)
	require.NoError(t, err)
	md, err := set.Message(name)
	require.NoError(t, err)
	c, err := NewCodec(md, Limits{})
	require.NoError(t, err)
	return c
}

// fastJSON runs the plan alone, without the fallback.
func fastJSON(c *Codec, b []byte) ([]byte, bool) {
	t := &jsonToWire{maxDepth: c.limits.MaxDepth}
	ok := t.run(c.plan, b)
	return t.out, ok
}

func fastWire(c *Codec, b []byte, write bool) ([]byte, bool) {
	r := &wireReader{maxDepth: c.limits.MaxDepth, write: write}
	ok := r.run(c.plan, b)
	return r.out, ok
}

// slowJSON is the plain path: protojson into dynamicpb, protovalidate,
// proto.Marshal.
func slowJSON(c *Codec, b []byte) ([]byte, error) {
	m, err := c.FromJSON(b)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(m); err != nil {
		return nil, err
	}
	return c.ToBinary(m)
}

func slowWire(c *Codec, b []byte) ([]byte, error) {
	m, err := c.FromBinary(b)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(m); err != nil {
		return nil, err
	}
	return c.ToJSON(m)
}

// diffJSON is the differential check of one JSON record: when the plan
// accepts, the plain path accepts it too with the same bytes; the codec's
// answer is the plain path's in every case. It returns whether the plan
// accepted.
func diffJSON(t *testing.T, c *Codec, in []byte) bool {
	t.Helper()
	fast, ok := fastJSON(c, in)
	slow, slowErr := slowJSON(c, in)
	if !ok && slowErr == nil && os.Getenv("WEIR_SHOW_MISSES") != "" {
		t.Logf("valid, not taken: %s", in)
	}
	if ok {
		require.NoError(t, slowErr, "the plan accepted %s", in)
		require.Equal(t, string(slow), string(fast), "binary of %s", in)
	}
	got, err := c.JSONToBinary(in)
	if slowErr != nil {
		require.Error(t, err, "%s", in)
		assert.Equal(t, slowErr.Error(), err.Error())
	} else {
		require.NoError(t, err)
		assert.Equal(t, string(slow), string(got))
	}
	return ok
}

// diffWire is the same for a binary record, both ways out: validation
// only, and JSON.
func diffWire(t *testing.T, c *Codec, in []byte) bool {
	t.Helper()
	fast, ok := fastWire(c, in, true)
	_, checked := fastWire(c, in, false)
	slow, slowErr := slowWire(c, in)
	slowCheckErr := slowCheck(c, in)
	if ok {
		require.NoError(t, slowErr, "the plan accepted %x", in)
		assert.Equal(t, compact(t, slow), string(fast), "JSON of %x", in)
	}
	if checked {
		require.NoError(t, slowCheckErr, "the plan passed %x", in)
	}
	got, err := c.BinaryToJSON(in)
	if slowErr != nil {
		require.Error(t, err, "%x", in)
		assert.Equal(t, slowErr.Error(), err.Error())
	} else {
		require.NoError(t, err)
		assert.Equal(t, compact(t, slow), compact(t, got))
	}
	assert.Equal(t, slowCheckErr, c.CheckBinary(in), "%x", in)
	return ok
}

func slowCheck(c *Codec, b []byte) error {
	m, err := c.FromBinary(b)
	if err != nil {
		return err
	}
	return c.Validate(m)
}

// compact drops protojson's randomised whitespace.
func compact(t *testing.T, js []byte) string {
	var b bytes.Buffer
	require.NoError(t, json.Compact(&b, js))
	return b.String()
}

func ordersCorpus(t testing.TB) [][]byte {
	data, err := os.ReadFile("../bench/testdata/orders-1k.jsonl")
	require.NoError(t, err)
	return bytes.Split(bytes.TrimSpace(data), []byte("\n"))
}

// TestTranscodeOrdersCorpus: every order of the benchmark workload takes
// the fast path both ways and gives the plain path's bytes.
func TestTranscodeOrdersCorpus(t *testing.T) {
	c := orderCodec(t)
	fast, why := c.Fast()
	require.True(t, fast, why)
	for i, o := range ordersCorpus(t) {
		require.True(t, diffJSON(t, c, o), "order %d took the slow path: %s", i, o)
		bin, err := c.JSONToBinary(o)
		require.NoError(t, err)
		require.True(t, diffWire(t, c, bin), "order %d (binary) took the slow path", i)
	}
}

// TestTranscodeGolden: the fast path gives the golden JSON of the plain
// round trip (testdata/order.golden.json), and the plan took the record.
func TestTranscodeGolden(t *testing.T) {
	c := orderCodec(t)
	_, ok := fastJSON(c, []byte(order))
	require.True(t, ok)
	bin, err := c.JSONToBinary([]byte(order))
	require.NoError(t, err)
	_, ok = fastWire(c, bin, true)
	require.True(t, ok)
	js, err := c.BinaryToJSON(bin)
	require.NoError(t, err)
	golden(t, "order.golden.json", canonicalJSON(t, js))
}
