//go:build !wasip1

package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/weirstream/weir/schema"
)

// boundRefConfig is the reference mask of the schema-bound bench
// (bench/pipeline.go boundMask): the three customer fields by number.
const boundRefConfig = `{"format":"protobuf","fields":[
 {"path":"3.3","action":"email"},
 {"path":"3.4","action":"last","keep":4,"with":"***"},
 {"path":"3.5","action":"last","keep":4,"with":"************"}]}`

// order is shop.v1.Order, compiled from examples/orders-proto.
func order(t testing.TB) protoreflect.MessageDescriptor {
	set, err := schema.Compile(context.Background(), []string{"../../examples/orders-proto/proto"}, "orders.proto")
	require.NoError(t, err)
	md, err := set.Message("shop.v1.Order")
	require.NoError(t, err)
	return md
}

// orderRecords are the bench orders as binary shop.v1.Order, as a
// schema-bound host hands them to the mask.
func orderRecords(t testing.TB, md protoreflect.MessageDescriptor) [][]byte {
	var out [][]byte
	for _, line := range orderLines(t) {
		msg := dynamicpb.NewMessage(md)
		require.NoError(t, protojson.Unmarshal(line, msg))
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}
