package bench

import (
	"fmt"
	"testing"
)

// BenchmarkEnrichRoute runs the enrich + route pipelines (weir projected,
// weir full-value, Benthos) in turn within each -count round, batch 64,
// one thread; compare them round by round (cpu-ns/msg):
//
//	go test -run - -bench EnrichRoute -count 6 ./bench
func BenchmarkEnrichRoute(b *testing.B) {
	orders, err := LoadOrders(OrdersPath())
	if err != nil {
		b.Fatal(err)
	}
	cases, err := EnrichCases(modules(b))
	if err != nil {
		b.Fatal(err)
	}
	full, err := EnrichFullCase(modules(b))
	if err != nil {
		b.Fatal(err)
	}
	cases = append(cases, full)
	for _, c := range cases {
		b.Run(fmt.Sprint(c.Name), func(b *testing.B) { Run(b, c, 64, orders) })
	}
}
