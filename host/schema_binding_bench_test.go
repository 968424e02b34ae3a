package host

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/weirstream/weir/schema"
)

// BenchmarkSchemaBinding is the host side of a schema-bound JSON stream,
// per record: toGuest (JSON in, validated, to binary) and fromGuest
// (binary back, validated, to JSON), on the orders workload:
//
//	go test -run XXX -bench SchemaBinding ./host
func BenchmarkSchemaBinding(b *testing.B) {
	bd := ordersBinding(b)
	orders := ordersWorkload(b)
	bins := make([][]byte, len(orders))
	for i, o := range orders {
		bin, err := bd.toGuest(o)
		if err != nil {
			b.Fatalf("order %d: %v", i, err)
		}
		bins[i] = bin
	}
	b.Run("toGuest", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := bd.toGuest(orders[i%len(orders)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fromGuest", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := bd.fromGuest(bins[i%len(bins)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func ordersBinding(tb testing.TB) *binding {
	set, err := schema.Compile(context.Background(), []string{"../examples/orders-proto/proto"}, "orders.proto")
	if err != nil {
		tb.Fatal(err)
	}
	c, err := codec(set, "shop.v1.Order", schema.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	return &binding{in: c, out: c, json: true}
}

func ordersWorkload(tb testing.TB) [][]byte {
	data, err := os.ReadFile("../bench/testdata/orders-1k.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	return out
}
