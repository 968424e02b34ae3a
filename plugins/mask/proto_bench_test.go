//go:build !wasip1

package main

import (
	"context"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// BenchmarkMaskProtoRuntime is protobuf mode in the built plugin, through
// the runtime (metered), on batches of 64 orders as binary shop.v1.Order:
// the guest's share of the schema-bound bench. fuel/msg is the guest's
// executed instructions per record, which load does not change.
func BenchmarkMaskProtoRuntime(b *testing.B) {
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.EngineConfig{CacheDir: fixtures.CacheDir(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	mod, err := e.Load(ctx, fixtures.Go(b, "plugins/mask"))
	if err != nil {
		b.Fatal(err)
	}
	md := order(b)
	recs := orderRecords(b, md)
	for _, c := range []struct{ name, extra string }{
		{"ref", boundRefConfig},
		{"sensitive", `{}`}, // every field the schema marks, HMAC included
	} {
		b.Run(c.name, func(b *testing.B) {
			var fuel int64
			p, err := mod.NewPool(ctx, runtime.PoolConfig{
				Config:  boundConfig(b, md, c.extra),
				OnBatch: func(f int64, _ time.Duration) { fuel += f },
			})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close(ctx)
			batch := make([]runtime.Record, 64)
			for i := range batch {
				batch[i].Value = recs[i]
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, err := p.Process(ctx, batch)
				if err != nil || out[0].Err != nil {
					b.Fatal(err, out[0].Err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(fuel)/float64(b.N*64), "fuel/msg")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*64), "ns/msg")
		})
	}
}
