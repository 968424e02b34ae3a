package schema

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// MessageShape is the fields of one message type by number: what a guest
// walking the wire format without descriptors needs to tell a known field
// from an unknown one and to find the sensitive ones at any depth (the
// mask). docs/abi.md §3.
type MessageShape map[uint32]FieldShape

// FieldShape is one declared field.
type FieldShape struct {
	// Message is the full name of the field's message type (a map field's
	// is its entry type, with key 1 and value 2); empty for scalars.
	Message string `json:"message,omitempty"`
	// Text is set for string and bytes fields: length-delimited content a
	// guest can rewrite in place.
	Text bool `json:"text,omitempty"`
	// Wire is the wire type the field's kind is written with (0 varint, 1
	// fixed64, 2 length-delimited, 3 group, 5 fixed32); Packable says a
	// repeated number may also come packed (length-delimited). A field
	// arriving otherwise is what protobuf-go keeps as unknown bytes.
	Wire     int  `json:"wire"`
	Packable bool `json:"packable,omitempty"`
	// Kind and Action are set when the field is marked
	// (weir.options.v1.sensitive); on a map field they mark its values.
	Kind   string `json:"kind,omitempty"`
	Action string `json:"action,omitempty"`
}

// Shapes returns the shape of md and of every message type reachable from
// it, by full name. Recursive types appear once, so the result is finite
// and a guest masking by (type, field) reaches every depth.
func Shapes(md protoreflect.MessageDescriptor) map[string]MessageShape {
	out := map[string]MessageShape{}
	addShape(md, out)
	return out
}

func addShape(md protoreflect.MessageDescriptor, out map[string]MessageShape) {
	name := string(md.FullName())
	if _, seen := out[name]; seen {
		return
	}
	shape := MessageShape{}
	out[name] = shape
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		fs := FieldShape{Text: f.Kind() == protoreflect.StringKind || f.Kind() == protoreflect.BytesKind, Wire: int(wireType(f.Kind()))}
		fs.Packable = f.IsList() && fs.Wire != int(protowire.BytesType) && fs.Wire != int(protowire.StartGroupType)
		s, marked := sensitiveOption(f)
		if f.Message() != nil {
			fs.Message = string(f.Message().FullName())
			addShape(f.Message(), out)
		}
		switch {
		case marked && f.IsMap():
			entry := out[fs.Message]
			v := entry[2]
			v.Kind, v.Action = s[0], s[1]
			entry[2] = v
		case marked:
			fs.Kind, fs.Action = s[0], s[1]
		}
		shape[uint32(f.Number())] = fs
	}
}

// wireType is the wire type a field of kind k is written with.
func wireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return protowire.BytesType
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	}
	return protowire.VarintType
}
