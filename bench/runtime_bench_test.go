package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// BenchmarkRuntime compares interruption modes on every guest, without
// Benthos, at batch 64 (the empty call: a batch of none):
//
//	go test -bench Runtime -run XXX ./bench
func BenchmarkRuntime(b *testing.B) {
	orders, err := LoadOrders(OrdersPath())
	if err != nil {
		b.Fatal(err)
	}
	gs, err := Guests()
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range Modes {
		e, err := runtime.NewEngine(context.Background(), runtime.EngineConfig{Interrupt: mode})
		if err != nil {
			b.Fatal(err)
		}
		for _, g := range gs {
			b.Run(g.Name+"/"+mode.String(), func(b *testing.B) { RunGuest(b, e, g, orders) })
		}
		_ = e.Close(context.Background())
	}
}

// BenchmarkGCPause reports the worst GC pause while a metered guest burns
// its budget, per check-in interval:
//
//	go test -bench GCPause -run XXX -benchtime 1x ./bench
func BenchmarkGCPause(b *testing.B) {
	loop := fixtures.WAT(b, "runtime/testdata/guests/loop.wat")
	for _, checkIn := range []int64{100_000, 250_000, 1_000_000, 10_000_000} {
		b.Run(fmt.Sprintf("check-in=%d", checkIn), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				pause, err := GCPause(loop, checkIn, time.Second)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(pause.Microseconds()), "max-pause-µs")
			}
		})
	}
}
