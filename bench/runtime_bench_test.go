package bench

import (
	"context"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// BenchmarkRuntime is the cost of one batch of 64 orders through the
// runtime alone (no Benthos), per message:
//
//	go test -bench Runtime -run XXX ./bench
func BenchmarkRuntime(b *testing.B) {
	orders, err := LoadOrders(OrdersPath())
	if err != nil {
		b.Fatal(err)
	}
	recs := make([]runtime.Record, 64)
	for i := range recs {
		recs[i].Value = orders[i]
	}
	guests := []struct {
		name   string
		wasm   []byte
		config string
	}{
		{"echo-wat", fixtures.WAT(b, "runtime/testdata/guests/echo.wat"), ""},
		{"echo-go", fixtures.Go(b, "plugins/echo"), ""},
		{"mask-go", fixtures.Go(b, "plugins/mask"), `{"fields":[{"path":"customer.email","action":"email"},{"path":"customer.phone","action":"last"},{"path":"customer.card","action":"last","with":"************"}]}`},
	}
	for _, mode := range []runtime.Interrupt{runtime.InterruptFuel, runtime.InterruptCloseOnContextDone, runtime.InterruptNone} {
		e, err := runtime.NewEngine(context.Background(), runtime.EngineConfig{Interrupt: mode})
		if err != nil {
			b.Fatal(err)
		}
		for _, g := range guests {
			b.Run(g.name+"/"+mode.String(), func(b *testing.B) {
				m, err := e.Load(context.Background(), g.wasm)
				if err != nil {
					b.Fatal(err)
				}
				var fuel int64
				p, err := m.NewPool(context.Background(), runtime.PoolConfig{Config: []byte(g.config),
					OnBatch: func(f int64, _ time.Duration) { fuel += f }})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := p.Process(context.Background(), recs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/msg")
				b.ReportMetric(float64(fuel)/float64(b.N*len(recs)), "fuel/msg")
			})
		}
		e.Close(context.Background())
	}
}
