package bench

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCDC reports changes/s through postgres_cdc → processor → kafka
// out, the processor a no-op or the Go mask:
//
//	go test -bench CDC -run XXX -benchtime 1x ./bench
func BenchmarkCDC(b *testing.B) {
	wasm, err := BuildModule(Modules["mask"])
	if err != nil {
		b.Fatal(err)
	}
	mask := filepath.Join(b.TempDir(), "mask.wasm")
	if err := os.WriteFile(mask, wasm, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, processor string }{
		{"no-op", "noop: {}"},
		{"wasm Go guest (mask)", "wasm: { module: " + mask + ", config: " + CDCMaskFields + " }"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				rate, cpu, err := CDCThroughput(c.processor, 50_000)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(rate, "changes/s")
				b.ReportMetric(cpu, "cpu-ns/msg")
			}
		})
	}
}
