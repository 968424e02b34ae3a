package runtime_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// BenchmarkPoolProcess is the runtime-level cost of the echo guests: one
// batch of 64 orders through Pool.ProcessInto, with no Benthos around it. An
// empty batch measures the call itself. fuel/msg is the guest's executed
// wasm instructions (the metering's unit), which load does not change. Sub-benchmarks run in turn, so
// -count interleaves them:
//
//	go test -run XXX -bench PoolProcess -count 6 ./runtime | tee new.txt
//	benchstat -col /guest new.txt
func BenchmarkPoolProcess(b *testing.B) {
	orders := benchOrders(b, 64)
	for _, c := range []struct {
		guest string
		wasm  func(testing.TB) []byte
		recs  []runtime.Record
	}{
		{"wat-empty", func(tb testing.TB) []byte { return wat(tb, "echo") }, nil},
		{"wat", func(tb testing.TB) []byte { return wat(tb, "echo") }, orders},
		{"go-empty", func(tb testing.TB) []byte { return fixtures.Go(tb, "plugins/echo") }, nil},
		{"go", func(tb testing.TB) []byte { return fixtures.Go(tb, "plugins/echo") }, orders},
	} {
		b.Run("guest="+c.guest, func(b *testing.B) {
			e, _ := newEngine(b, runtime.EngineConfig{})
			var fuel int64
			p := newPool(b, e, c.wasm(b), runtime.PoolConfig{Size: 1, OnBatch: func(f int64, _ time.Duration) { fuel += f }})
			ctx := context.Background()
			var into runtime.Outcomes // as the host reuses it
			b.ReportAllocs()
			b.ResetTimer()
			fuel = 0
			for i := 0; i < b.N; i++ {
				if _, err := p.ProcessInto(ctx, c.recs, &into); err != nil {
					b.Fatal(err)
				}
			}
			per := float64(b.N * max(len(c.recs), 1))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/msg")
			b.ReportMetric(float64(fuel)/per, "fuel/msg")
		})
	}
}

// benchOrders reads the first n benchmark orders as records.
func benchOrders(tb testing.TB, n int) []runtime.Record {
	raw, err := os.ReadFile(filepath.Join(fixtures.Root(), "bench", "testdata", "orders-1k.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	var recs []runtime.Record
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() && len(recs) < n {
		recs = append(recs, runtime.Record{Value: append([]byte(nil), sc.Bytes()...)})
	}
	return recs
}
