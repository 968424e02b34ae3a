package schema

import (
	"errors"
	"fmt"
	"sync"

	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Limits bound what a record may cost to decode. Zero means the default.
type Limits struct {
	MaxBytes int // default 4 MiB
	MaxDepth int // nesting of messages, default 64
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes == 0 {
		l.MaxBytes = 4 << 20
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = 64
	}
	return l
}

// Codec converts and validates records of one message type.
type Codec struct {
	Type      protoreflect.MessageDescriptor
	limits    Limits
	validator protovalidate.Validator
	// plan is the compiled fast path (transcode.go), nil when the type
	// uses something it does not implement (slowReason says what).
	plan       *plan
	slowReason string
	pool       *sync.Pool
}

// NewCodec prepares a codec and its validator (buf.validate rules are
// compiled once, here).
func NewCodec(md protoreflect.MessageDescriptor, limits Limits) (*Codec, error) {
	v, err := protovalidate.New(protovalidate.WithMessageDescriptors(md))
	if err != nil {
		return nil, fmt.Errorf("schema: validation rules of %s: %w", md.FullName(), err)
	}
	c := &Codec{Type: md, limits: limits.withDefaults(), validator: v}
	c.compileFast()
	return c, nil
}

func (c *Codec) badInput(format string, args ...any) error {
	return &Error{Class: ClassBadInput, Type: string(c.Type.FullName()), Msg: fmt.Sprintf(format, args...)}
}

func (c *Codec) checkSize(b []byte) error {
	if len(b) > c.limits.MaxBytes {
		return c.badInput("record of %d bytes exceeds the %d-byte limit", len(b), c.limits.MaxBytes)
	}
	return nil
}

// FromJSON parses protobuf JSON; unknown fields are an error.
func (c *Codec) FromJSON(b []byte) (*dynamicpb.Message, error) {
	if err := c.checkSize(b); err != nil {
		return nil, err
	}
	m := dynamicpb.NewMessage(c.Type)
	if err := (protojson.UnmarshalOptions{RecursionLimit: c.limits.MaxDepth}).Unmarshal(b, m); err != nil {
		return nil, c.badInput("invalid JSON: %v", err)
	}
	return m, nil
}

// FromBinary parses binary protobuf; unknown fields are kept.
func (c *Codec) FromBinary(b []byte) (*dynamicpb.Message, error) {
	if err := c.checkSize(b); err != nil {
		return nil, err
	}
	m := dynamicpb.NewMessage(c.Type)
	if err := c.unmarshal(b, m); err != nil {
		return nil, c.badInput("invalid protobuf: %v", err)
	}
	if path := misplaced(m.ProtoReflect(), ""); path != "" {
		return nil, &Error{Class: ClassBadInput, Type: string(c.Type.FullName()), Path: path, Msg: "wrong wire type for the field's declared type"}
	}
	return m, nil
}

// unmarshal is proto.Unmarshal into dynamicpb, which panics on a map
// entry whose key comes twice, the second time with the wrong wire type
// (protobuf-go v1.36.12, proto/decode.go unmarshalMap keeps the invalid
// key): such a record is malformed, not a reason to stop the process.
func (c *Codec) unmarshal(b []byte, m *dynamicpb.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return proto.UnmarshalOptions{RecursionLimit: c.limits.MaxDepth}.Unmarshal(b, m)
}

// misplaced finds a declared field that protobuf-go kept as unknown, which
// happens only when it arrived with the wrong wire type, and returns its path.
func misplaced(m protoreflect.Message, prefix string) string {
	fields := m.Descriptor().Fields()
	for b := m.GetUnknown(); len(b) > 0; {
		num, _, n := protowire.ConsumeField(b)
		if n < 0 {
			break
		}
		if f := fields.ByNumber(num); f != nil {
			return prefix + string(f.Name())
		}
		b = b[n:]
	}
	var found string
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		found = misplacedIn(f, v, prefix+string(f.Name()))
		return found == ""
	})
	return found
}

func misplacedIn(f protoreflect.FieldDescriptor, v protoreflect.Value, path string) string {
	switch {
	case f.IsMap():
		if f.MapValue().Message() == nil {
			return ""
		}
		var found string
		v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
			found = misplaced(mv.Message(), path+"["+k.String()+"].")
			return found == ""
		})
		return found
	case f.IsList() && f.Message() != nil:
		for i := 0; i < v.List().Len(); i++ {
			if p := misplaced(v.List().Get(i).Message(), fmt.Sprintf("%s[%d].", path, i)); p != "" {
				return p
			}
		}
	case f.Message() != nil && !f.IsList():
		return misplaced(v.Message(), path+".")
	}
	return ""
}

// Validate checks the buf.validate rules; a violation names its field path.
func (c *Codec) Validate(m proto.Message) error {
	err := c.validator.Validate(m)
	if err == nil {
		return nil
	}
	var ve *protovalidate.ValidationError
	if errors.As(err, &ve) && len(ve.Violations) > 0 {
		v := ve.Violations[0]
		return &Error{Class: ClassViolation, Type: string(c.Type.FullName()),
			Path: protovalidate.FieldPathString(v.Proto.GetField()), Msg: v.Proto.GetMessage() + violationsSuffix(len(ve.Violations))}
	}
	return &Error{Class: ClassViolation, Type: string(c.Type.FullName()), Msg: err.Error()}
}

func violationsSuffix(n int) string {
	if n > 1 {
		return fmt.Sprintf(" (and %d more violations)", n-1)
	}
	return ""
}

// ToJSON encodes protobuf JSON with the proto field names.
func (c *Codec) ToJSON(m proto.Message) ([]byte, error) {
	return protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
}

// ToBinary encodes binary protobuf, deterministically.
func (c *Codec) ToBinary(m proto.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}
