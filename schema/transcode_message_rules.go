package schema

import (
	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// messageRules reports whether md carries message-level buf.validate rules
// (CEL expressions over several fields, oneof rules, …): the plan checks
// rules field by field and implements none of them, so such a type is
// left to protovalidate whole. An option it cannot read counts as rules.
func messageRules(md protoreflect.MessageDescriptor) bool {
	opts, ok := md.Options().(*descriptorpb.MessageOptions)
	if !ok || opts == nil {
		return false
	}
	raw, err := proto.Marshal(opts)
	if err != nil {
		return true
	}
	again := &descriptorpb.MessageOptions{}
	if err := (proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}).Unmarshal(raw, again); err != nil {
		return true
	}
	return proto.HasExtension(again, validate.E_Message)
}
