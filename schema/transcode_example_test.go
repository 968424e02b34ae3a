package schema_test

import (
	"context"
	"fmt"

	"github.com/weirstream/weir/schema"
)

// A bound type takes the compiled plan when it can; records that fail are
// judged by the plain path, with its class and field path.
func ExampleCodec_JSONToBinary() {
	set, err := schema.Compile(context.Background(), []string{"../examples/orders-proto/proto"}, "orders.proto")
	if err != nil {
		panic(err)
	}
	md, err := set.Message("shop.v1.Order")
	if err != nil {
		panic(err)
	}
	c, err := schema.NewCodec(md, schema.Limits{})
	if err != nil {
		panic(err)
	}
	fast, _ := c.Fast()
	fmt.Println("fast path:", fast)

	bin, err := c.JSONToBinary([]byte(`{"order_id":"o-1","customer":{"email":"jane@example.com"},"currency":"EUR"}`))
	fmt.Println(len(bin), err)
	js, err := c.BinaryToJSON(bin)
	fmt.Println(string(js), err)

	_, err = c.JSONToBinary([]byte(`{"order_id":"o-1","customer":{"email":"jane"},"currency":"EUR"}`))
	fmt.Println(schema.ClassOf(err))
	// Output:
	// fast path: true
	// 30 <nil>
	// {"order_id":"o-1","customer":{"email":"jane@example.com"},"currency":"EUR"} <nil>
	// schema_violation
}
