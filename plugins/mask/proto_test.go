package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/weirstream/weir/schema"
)

// person is the test type, compiled from testdata/person.proto.
func person(t testing.TB) protoreflect.MessageDescriptor {
	set, err := schema.Compile(context.Background(), []string{"testdata"}, "person.proto")
	require.NoError(t, err)
	md, err := set.Message("masktest.v1.Person")
	require.NoError(t, err)
	return md
}

// boundConfig is the config a schema-bound host gives the mask: extra
// merged with weir_schema, as host/schema_binding.go builds it.
func boundConfig(t testing.TB, md protoreflect.MessageDescriptor, extra string) []byte {
	obj := map[string]any{}
	require.NoError(t, json.Unmarshal([]byte(extra), &obj))
	obj["weir_schema"] = map[string]any{
		"input": string(md.FullName()), "output": string(md.FullName()),
		"sensitive": schema.SensitiveFields(md), "messages": schema.Shapes(md),
	}
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	return b
}

func str(num uint32, s string) []byte {
	return protowire.AppendString(protowire.AppendTag(nil, protowire.Number(num), protowire.BytesType), s)
}

func varint(num uint32, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, protowire.Number(num), protowire.VarintType), v)
}

func cat(fields ...[]byte) []byte {
	var b []byte
	for _, f := range fields {
		b = append(b, f...)
	}
	return b
}

func TestProtoMasksEveryOccurrence(t *testing.T) {
	md := person(t)
	m, err := newMasker(boundConfig(t, md, `{}`))
	require.NoError(t, err)
	entry := func(k, v string) []byte { return cat(str(1, k), str(2, v)) }
	for name, c := range map[string]struct{ in, want []byte }{
		"singular written twice (readers keep the last)": {
			cat(str(1, "p1"), str(2, "a@x"), str(2, "b@y")),
			cat(str(1, "p1"), str(2, "***"), str(2, "***"))},
		"repeated": {
			cat(str(3, "555-1"), str(3, "555-2")),
			cat(str(3, "***"), str(3, "***"))},
		"message written twice (readers merge)": {
			cat(str(4, string(str(2, "a@x"))), str(4, string(str(2, "b@y")))),
			cat(str(4, string(str(2, "***"))), str(4, string(str(2, "***"))))},
		"recursive type, three deep": {
			str(4, string(str(4, string(str(4, string(str(2, "deep@x"))))))),
			str(4, string(str(4, string(str(4, string(str(2, "***")))))))},
		"map values, keys kept": {
			cat(str(6, string(entry("k", "secret note")))),
			cat(str(6, string(entry("k", "***"))))},
		"map of messages": {
			str(7, string(cat(str(1, "id"), str(2, string(str(2, "m@x")))))),
			str(7, string(cat(str(1, "id"), str(2, string(str(2, "***"))))))},
		"sensitive number: dropped": {
			cat(str(1, "p1"), varint(8, 123456789)),
			str(1, "p1")},
		"sensitive bytes": {str(9, "\x89PNG"), str(9, "***")},
		"packed and unpacked numbers": {
			cat(str(10, "\x01\x02"), varint(10, 3)),
			cat(str(10, "\x01\x02"), varint(10, 3))},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := m.apply(c.in)
			require.NoError(t, err)
			assert.Equal(t, c.want, out)
		})
	}
}

func TestProtoUnknownFieldsAreRefusedOrDropped(t *testing.T) {
	md := person(t)
	refuse, err := newMasker(boundConfig(t, md, `{}`))
	require.NoError(t, err)
	drop, err := newMasker(boundConfig(t, md, `{"unknown_fields":"drop"}`))
	require.NoError(t, err)
	for name, c := range map[string]struct{ in, dropped []byte }{
		"top level":         {cat(str(1, "p1"), str(99, "jane@x.com")), str(1, "p1")},
		"nested":            {str(4, string(cat(str(1, "f"), str(99, "jane@x.com")))), str(4, string(str(1, "f")))},
		"in a map value":    {str(7, string(cat(str(1, "k"), str(2, string(str(99, "jane@x.com")))))), str(7, string(cat(str(1, "k"), str(2, ""))))},
		"in a map entry":    {str(6, string(cat(str(1, "k"), str(3, "jane@x.com")))), str(6, string(str(1, "k")))},
		"number as varint":  {cat(varint(99, 7), str(1, "p1")), str(1, "p1")},
		"reserved for orgs": {str(51717, "jane@x.com"), []byte{}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := refuse.apply(c.in)
			require.ErrorContains(t, err, "is not in the bound schema")
			out, err := drop.apply(c.in)
			require.NoError(t, err)
			// an empty record comes out nil when it is the masker's first
			assert.Equal(t, c.dropped, append([]byte{}, out...))
		})
	}
}

func TestProtoRefusesWhatReadersWouldReadOtherwise(t *testing.T) {
	m, err := newMasker(boundConfig(t, person(t), `{"unknown_fields":"drop"}`))
	require.NoError(t, err)
	for name, in := range map[string][]byte{
		"a string as a varint":       varint(2, 42),
		"a message as a varint":      varint(4, 1),
		"a number as bytes":          str(8, "jane@x.com"), // protobuf-go keeps it as unknown bytes
		"a group":                    {0x0b, 0x0c},
		"field number past 2^29-1":   cat(protowire.AppendVarint(nil, (1<<32+2)<<3|2), []byte{1, 'x'}),
		"truncated":                  {0x12, 0x05, 'a'},
		"a nested message malformed": str(4, "\x12\x09short"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := m.apply(in)
			require.Error(t, err)
		})
	}
}

func TestProtoUnboundPathRules(t *testing.T) {
	m, err := newMasker([]byte(`{"format":"protobuf","fields":[{"path":"4.2","action":"redact"}]}`))
	require.NoError(t, err)
	out, err := m.apply(cat(str(4, string(cat(str(2, "a@x"), str(1, "keep")))), str(4, string(str(2, "b@y"))), str(99, "other")))
	require.NoError(t, err)
	assert.Equal(t, cat(str(4, string(cat(str(2, "***"), str(1, "keep")))), str(4, string(str(2, "***"))), str(99, "other")), out,
		"without a schema only the paths are known: other fields pass as they are")
	_, err = m.apply(str(4, string(varint(2, 7))))
	require.ErrorContains(t, err, "not length-delimited")
}

func TestSchemaMarksNothingIsAConfigError(t *testing.T) {
	_, err := newMasker([]byte(`{"weir_schema":{"input":"a.B","messages":{"a.B":{"1":{"wire":2,"text":true}}}}}`))
	require.ErrorContains(t, err, "marks no field")
	_, err = newMasker([]byte(`{"weir_schema":{"input":"a.B"}}`))
	require.ErrorContains(t, err, "weir_schema.messages")
	_, err = newMasker([]byte(`{"unknown_fields":"keep","format":"protobuf","fields":[{"path":"1","action":"redact"}]}`))
	require.ErrorContains(t, err, "unknown_fields")
}

// FuzzMaskProto asserts that, for any bytes, the mask bound to Person either
// refuses them or writes a record in which a wire-level reader (protowire
// and the descriptor, not the mask's own tables) finds no undeclared field
// and no sensitive value other than the mask's, at any depth, in any
// occurrence.
func FuzzMaskProto(f *testing.F) {
	md := person(f)
	f.Add(cat(str(1, "p1"), str(2, "a@x"), str(2, "b@y"), str(99, "jane@x.com")))
	f.Add(str(4, string(str(4, string(cat(str(2, "deep@x"), varint(8, 1)))))))
	f.Add(str(7, string(cat(str(1, "id"), str(2, string(str(6, string(cat(str(1, "k"), str(2, "v"))))))))))
	f.Add(cat(str(10, "\x01\x02"), varint(10, 3), str(9, "img"), str(3, "555")))
	refuse, err := newMasker(boundConfig(f, md, `{}`))
	require.NoError(f, err)
	drop, err := newMasker(boundConfig(f, md, `{"unknown_fields":"drop"}`))
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, m := range []*masker{refuse, drop} {
			out, err := m.apply(in)
			if err != nil {
				continue
			}
			if msg := leaked(md, out, 0); msg != "" {
				t.Fatalf("%s in %x (input %x)", msg, out, in)
			}
		}
	})
}

// leaked walks b as md and describes the first field no schema reader
// would accept masked: undeclared, of the wrong wire type, or sensitive
// and not "***" (or present at all, for a non-text one).
func leaked(md protoreflect.MessageDescriptor, b []byte, depth int) string {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "malformed tag"
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return "malformed value"
		}
		val := b[:m]
		b = b[m:]
		fd := md.Fields().ByNumber(num)
		if fd == nil {
			return fmt.Sprintf("undeclared field %d of %s", num, md.FullName())
		}
		sensitive := fd.Number() == 2 || fd.Number() == 3 || fd.Number() == 8 || fd.Number() == 9
		if md.Name() != "Person" {
			sensitive = md.Name() == "NotesEntry" && fd.Number() == 2
		}
		content, cn := protowire.ConsumeBytes(val)
		switch {
		case sensitive && fd.Kind() != protoreflect.StringKind && fd.Kind() != protoreflect.BytesKind:
			return "non-text sensitive field " + string(fd.Name()) + " present"
		case sensitive && (typ != protowire.BytesType || string(content) != "***"):
			return "sensitive field " + string(fd.Name()) + " not masked"
		case fd.Message() != nil:
			if typ != protowire.BytesType || cn < 0 {
				return "message field " + string(fd.Name()) + " of the wrong wire type"
			}
			if s := leaked(fd.Message(), content, depth+1); s != "" {
				return s
			}
		case fd.Kind() == protoreflect.StringKind || fd.Kind() == protoreflect.BytesKind:
			if typ != protowire.BytesType {
				return "text field " + string(fd.Name()) + " of the wrong wire type"
			}
		case typ == protowire.BytesType && !fd.IsList():
			return "number field " + string(fd.Name()) + " as bytes"
		}
	}
	return ""
}
