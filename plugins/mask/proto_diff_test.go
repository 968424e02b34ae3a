//go:build !wasip1

package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// planPair is one config compiled twice: the plan (proto.go) and the
// reference walk (proto_ref_test.go).
type planPair struct {
	name string
	plan *masker
	ref  *refMasker
}

func planPairs(t testing.TB) []planPair {
	person, shop := person(t), order(t)
	configs := []struct {
		name   string
		config []byte
	}{
		{"person sensitive refuse", boundConfig(t, person, `{}`)},
		{"person sensitive drop", boundConfig(t, person, `{"unknown_fields":"drop"}`)},
		{"person fields", boundConfig(t, person, `{"format":"protobuf","fields":[{"path":"4.2","action":"last","keep":2},{"path":"1","action":"redact"}]}`)},
		{"order ref", boundConfig(t, shop, boundRefConfig)},
		{"order sensitive drop", boundConfig(t, shop, `{"hmac_key":"k","unknown_fields":"drop"}`)},
		{"unbound", []byte(`{"format":"protobuf","fields":[{"path":"4.2","action":"redact"},{"path":"3.3","action":"email"},{"path":"4.2.1","action":"last"}]}`)},
	}
	var out []planPair
	for _, c := range configs {
		plan, err := newMasker(c.config)
		require.NoError(t, err, c.name)
		ref, err := newRefMasker(c.config)
		require.NoError(t, err, c.name)
		out = append(out, planPair{c.name, plan, ref})
	}
	return out
}

// samePlanOutput requires the plan and the reference to write the same
// bytes for in, or both to refuse it with the same error.
func samePlanOutput(t *testing.T, p planPair, in []byte) {
	t.Helper()
	want, wantErr := p.ref.refApplyProto(in)
	got, err := p.plan.apply(in)
	switch {
	case wantErr != nil || err != nil:
		require.Equal(t, errText(wantErr), errText(err), "%s: input %x", p.name, in)
	case !bytes.Equal(want, got):
		t.Fatalf("%s: input %x:\nreference %x\nplan      %x", p.name, in, want, got)
	}
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// protoCorpus is the protobuf inputs of the tests, the orders as binary
// shop.v1.Order, and the same with a field number past the dense table,
// a non-shortest tag and length, and nothing to change.
func protoCorpus(t testing.TB, shop protoreflect.MessageDescriptor) [][]byte {
	entry := func(k, v string) []byte { return cat(str(1, k), str(2, v)) }
	corpus := [][]byte{
		nil,
		cat(str(1, "p1"), str(2, "a@x"), str(2, "b@y"), str(99, "jane@x.com")),
		str(4, string(str(4, string(cat(str(2, "deep@x"), varint(8, 1)))))),
		str(7, string(cat(str(1, "id"), str(2, string(str(6, string(entry("k", "v")))))))),
		cat(str(10, "\x01\x02"), varint(10, 3), str(9, "img"), str(3, "555")),
		cat(str(6, string(entry("k", "secret note")))),
		str(4, string(cat(str(1, "f"), str(99, "jane@x.com")))),
		str(6, string(cat(str(1, "k"), str(3, "jane@x.com")))),
		str(51717, "jane@x.com"),
		cat(str(1, "p1"), str(100000, "far")),
		{0x22, 0x83, 0x00, 0x12, 0x01, 'x'},            // field 4, length 3 in two bytes
		{0xa2, 0x00, 0x03, 0x12, 0x01, 'x'},            // field 4, tag in two bytes
		{0xa2, 0x00, 0x03, 0x0a, 0x01, 'x'},            // the same, nothing to mask in it
		cat(str(1, "p1"), str(4, string(str(1, "f")))), // nothing to mask
		varint(2, 42), str(8, "x"), {0x0b, 0x0c}, {0x12, 0x05, 'a'}, str(4, "\x12\x09short"),
	}
	long := string(bytes.Repeat([]byte("x@y."), 5000)) // a three-byte length
	corpus = append(corpus, str(2, long), str(4, string(str(2, long[:300]))), str(4, string(str(2, long))),
		[]byte{0x12, 0x85}, []byte{0x12, 0x85, 0x80}, []byte{0x12, 0x85, 0x01, 'x'}, []byte{0x12, 0x80, 0x00})
	deep := str(2, "d@x")
	for i := 0; i < 110; i++ {
		deep = str(4, string(deep))
	}
	corpus = append(corpus, deep)
	orders := orderRecords(t, shop)
	corpus = append(corpus, orders...)
	for _, o := range orders[:50] {
		corpus = append(corpus, cat(o, str(3, string(str(3, "x@y")))), cat(str(3, string(str(9, "u"))), o))
	}
	return corpus
}

// TestProtoPlanMatchesReference requires the compiled plan to write what
// the reference walk writes, byte for byte, or fail as it does, for every
// input of the corpus under every config.
func TestProtoPlanMatchesReference(t *testing.T) {
	corpus := protoCorpus(t, order(t))
	changed := 0
	for _, p := range planPairs(t) {
		for _, in := range corpus {
			samePlanOutput(t, p, in)
			if out, err := p.plan.apply(in); err == nil && !bytes.Equal(out, in) {
				changed++
			}
		}
	}
	require.Greater(t, changed, 3000, "the corpus was not masked")
}

// FuzzProtoPlanMatchesReference is the same comparison for any bytes.
func FuzzProtoPlanMatchesReference(f *testing.F) {
	shop := order(f)
	for i, in := range protoCorpus(f, shop) {
		if i < 40 || i%50 == 0 {
			f.Add(in)
		}
	}
	pairs := planPairs(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, p := range pairs {
			samePlanOutput(t, p, in)
		}
	})
}
