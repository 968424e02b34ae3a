//go:build !wasip1

package main

import (
	"context"
	"strings"
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
	echo, err := e.Load(ctx, fixtures.Go(b, "plugins/echo"))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, extra string }{
		{"echo", ""}, // the SDK's floor: plugins/echo on the same batches
		{"top", `{"format":"protobuf","fields":[{"path":"99","action":"redact"}]}`},         // the top level walked, nothing nested
		{"unbound-top", `{"format":"protobuf","fields":[{"path":"99","action":"redact"}]}`}, // the top level walked, nothing changed
		{"unbound", boundRefConfig}, // the rules' paths walked, no schema
		{"ref", boundRefConfig},
		{"sensitive", `{"hmac_key":"k"}`}, // every field the schema marks, HMAC included
	} {
		b.Run(c.name, func(b *testing.B) {
			var fuel int64
			mod, config := mod, []byte(nil)
			if c.name == "echo" {
				mod = echo
			} else if strings.HasPrefix(c.name, "unbound") {
				config = []byte(c.extra)
			} else {
				config = boundConfig(b, md, c.extra)
			}
			p, err := mod.NewPool(ctx, runtime.PoolConfig{
				Config:  config,
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

// BenchmarkMaskProtoNative is protobuf mode natively on the orders, the
// plan against the reference walk, per record.
func BenchmarkMaskProtoNative(b *testing.B) {
	shop := order(b)
	recs := orderRecords(b, shop)
	plan, err := newMasker(boundConfig(b, shop, boundRefConfig))
	if err != nil {
		b.Fatal(err)
	}
	ref, err := newRefMasker(boundConfig(b, shop, boundRefConfig))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		apply func([]byte) ([]byte, error)
	}{{"plan", plan.apply}, {"reference", ref.refApplyProto}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := c.apply(recs[i%len(recs)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
