package bench

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkProcessor is the processor-level table as a Go benchmark, for
// profiles: each case's processor built from its config and called with
// batches of 64 orders (messages built outside the timed chunks). Pick
// cases by their names, spaces as underscores:
//
//	go test -run - -bench 'Processor/(Benthos_no-op|weir_C_mask_\(plugins)' -cpuprofile cpu.out ./bench
func BenchmarkProcessor(b *testing.B) {
	orders, err := LoadOrders(OrdersPath())
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range ProcCases(modules(b)) {
		b.Run(c.Name, func(b *testing.B) {
			p, err := NewProcessor(c.YAML)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close(context.Background())
			ctx := context.Background()
			var cpu time.Duration
			n, faults := 0, minorFaults()
			b.ResetTimer()
			for i := 0; n < b.N*64; i++ {
				b.StopTimer()
				batches := makeBatches(orders, 64, i*chunk*64)
				b.StartTimer()
				c0 := CPUTime()
				if err := processAll(ctx, p, batches); err != nil {
					b.Fatal(err)
				}
				cpu, n = cpu+CPUTime()-c0, n+chunk*64
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/msg")
			b.ReportMetric(float64(minorFaults()-faults)*64/float64(n), "faults/batch")
		})
	}
}

// minorFaults is how many page faults the process has taken that needed
// no I/O: a first touch of memory the kernel had not mapped yet.
func minorFaults() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Minflt
}
