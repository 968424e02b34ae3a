//go:build !wasip1

package masktest

import (
	"context"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/projhost"
)

// BenchmarkGuest is the guest's share of masking a batch of 64 orders with
// the reference mask, on plain wazero (no fuel, no host scan): the C mask on
// projection (weir_process_fields on a batch of the three fields), the
// benchmarks' C scanner guest on the full-value ABI (weir_process on the
// whole orders), and the Go mask on the full-value ABI; then the host-side
// encoding of the projected batch.
func BenchmarkGuest(b *testing.B) {
	var records []projhost.Record
	for _, o := range orders(b)[:batch] {
		records = append(records, projhost.Record{Value: o})
	}
	full := projhost.FullBatch(records)
	load := func(wasm []byte) *projhost.Guest {
		g, err := projhost.Load(context.Background(), wasm, []byte(refMask))
		require.NoError(b, err)
		b.Cleanup(g.Close)
		return g
	}
	maskC := load(fixtures.C(b, "plugins/mask_c"))
	for _, c := range []struct {
		name, export string
		g            *projhost.Guest
		batch        []byte
	}{
		{"mask_c-projected", "weir_process_fields", maskC, maskC.Projected(records)},
		{"bench-mask_c-full", "weir_process", load(fixtures.C(b, "bench/guests/mask_c")), full},
		{"mask-go-full", "weir_process", load(fixtures.Go(b, "plugins/mask")), full},
	} {
		b.Run(c.name, func(b *testing.B) {
			cpu := cpuTime()
			for b.Loop() {
				if _, err := c.g.Raw(c.export, c.batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*batch), "cpu-ns/msg")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/msg")
		})
	}
	// What a host spends to project the same batch (projhost's encoding:
	// jsonpath.Set.Spans over each order, strings unquoted): an estimate of
	// the host's share, which the runtime's own implementation sets.
	b.Run("projhost-encode", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			maskC.Projected(records)
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*batch), "cpu-ns/msg")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/msg")
	})
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
