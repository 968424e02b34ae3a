//go:build !wasip1

package main

import (
	"context"
	"testing"
	"time"

	"github.com/weirstream/weir/runtime"
)

// fraudRules are the seed's fraud routing: a few fields of a 500-byte order.
const fraudRules = `{"rules":[
	{"when":[{"path":"customer.id","prefix":"c-9"}],"to":"drop"},
	{"when":[{"path":"amount","gte":400},{"path":"country","in":["FR","DE","NL"]}],"to":"orders-review"},
	{"when":[{"path":"customer.email","regex":"@example\\.com$"}],"to":"orders-review"}],
	"default":"orders-clean"}`

// BenchmarkRoute measures the router per record on the orders, batch 64,
// projected (the host finds the fields) and scanned (the guest reads the
// whole value): CPU time and the guest's fuel (instructions metered at
// function entries and loop headers, independent of load).
func BenchmarkRoute(b *testing.B) {
	for _, m := range []struct{ name, config string }{
		{"projected", fraudRules},
		{"scanned", string(withoutProjection(b, fraudRules))},
	} {
		b.Run(m.name, func(b *testing.B) {
			var fuel int64
			p, err := routeModule(b).NewPool(context.Background(), runtime.PoolConfig{
				Size: 1, Config: []byte(m.config),
				OnBatch: func(f int64, _ time.Duration) { fuel += f },
			})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close(context.Background())
			lines := orderLines(b)
			recs := make([]runtime.Record, 64)
			for i := range recs {
				recs[i].Value = lines[i]
			}
			b.ResetTimer()
			fuel = 0
			for range b.N {
				if _, err := p.Process(context.Background(), recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*64), "ns/msg")
			b.ReportMetric(float64(fuel)/float64(b.N*64), "fuel/msg")
		})
	}
}
