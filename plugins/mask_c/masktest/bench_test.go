//go:build !wasip1

package masktest

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// BenchmarkMask is masking a batch of 64 orders with the reference mask
// through the runtime (Pool.Process, fuel metered, the host's scan and
// splice included for the projected ones) and the fuel it meters: the C,
// Rust and AssemblyScript masks on projection, the benchmarks' C scanner guest on the
// full-value ABI, and the Go mask on the full-value ABI.
func BenchmarkMask(b *testing.B) {
	var records []runtime.Record
	for _, o := range orders(b)[:batch] {
		records = append(records, runtime.Record{Value: []byte(o)})
	}
	scanner := func(tb testing.TB) *runtime.Module { return load(tb, "bench/guests/mask_c", fixtures.C) }
	for _, c := range []struct {
		name   string
		module func(testing.TB) *runtime.Module
	}{
		{"mask_c-projected", cModule},
		{"mask_rust-projected", rustModule},
		{"mask_as-projected", asModule},
		{"bench-mask_c-full", scanner},
		{"mask-go-full", goModule},
	} {
		b.Run(c.name, func(b *testing.B) {
			var fuel int64
			p, err := c.module(b).NewPool(context.Background(), runtime.PoolConfig{
				Config:  []byte(refMask),
				OnBatch: func(f int64, _ time.Duration) { fuel += f },
			})
			require.NoError(b, err)
			defer p.Close(context.Background())
			cpu := cpuTime()
			for b.Loop() {
				if _, err := p.Process(context.Background(), records); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*batch), "cpu-ns/msg")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/msg")
			b.ReportMetric(float64(fuel)/float64(b.N*batch), "fuel/msg")
		})
	}
}

// cpuTime is the CPU time the process has used, in nanoseconds: on a busy
// machine it counts the benchmark's work, not its waiting for a core.
func cpuTime() int64 {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		panic(err)
	}
	return u.Utime.Nano() + u.Stime.Nano()
}
