package bench

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"
)

// BenchmarkExtismKernel measures the same go-pdk plugins on weir's Extism
// kernel and on the Extism Go SDK, interleaved round by round in one
// process, and reports the median per-round ratio of CPU time (SDK /
// kernel) for the echo and the mask:
//
//	go test -run - -bench ExtismKernel -benchtime 1x ./bench
func BenchmarkExtismKernel(b *testing.B) {
	orders, err := LoadOrders(OrdersPath())
	if err != nil {
		b.Fatal(err)
	}
	cases := ProcCases(modules(b))
	names := []string{ProcExtismEcho, ProcKernelEcho, ProcExtismMask, ProcKernelMask}
	yaml := map[string]string{}
	for _, c := range cases {
		yaml[c.Name] = c.YAML
	}
	cpu := make([][]float64, len(names))
	for range b.N {
		for round := 0; round < 5; round++ {
			for i, name := range names {
				p, err := NewProcessor(yaml[name])
				if err != nil {
					b.Fatal(err)
				}
				c, err := MeasureProcessor(context.Background(), p, orders, 64, 300*time.Millisecond)
				if err != nil {
					b.Fatal(err)
				}
				_ = p.Close(context.Background())
				cpu[i] = append(cpu[i], c.CPU)
			}
		}
	}
	for i, name := range names {
		b.Logf("%s: CPU ns/msg per round %v", name, rounded(cpu[i]))
	}
	b.ReportMetric(medianRatioOf(cpu[0], cpu[1]), "echo-sdk/kernel")
	b.ReportMetric(medianRatioOf(cpu[2], cpu[3]), "mask-sdk/kernel")
	b.ReportMetric(median(cpu[1]), "kernel-echo-cpu-ns/msg")
	b.ReportMetric(median(cpu[3]), "kernel-mask-cpu-ns/msg")
}

func medianRatioOf(a, b []float64) float64 {
	r := make([]float64, len(a))
	for i := range a {
		r[i] = a[i] / b[i]
	}
	return median(r)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func rounded(xs []float64) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprintf("%.0f", x)
	}
	return out
}
