package runtime_test

import (
	"context"
	"runtime/debug"
	"testing"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// BenchmarkInstanceMemory reports the resident memory an idle instance
// adds (RSS growth over a pool of 8, per instance) for a WAT guest and the
// shipped Go mask:
//
//	go test -run XXX -bench InstanceMemory -benchtime 1x ./runtime
func BenchmarkInstanceMemory(b *testing.B) {
	guests := map[string]func() ([]byte, []byte){
		"echo-wat": func() ([]byte, []byte) { return wat(b, "echo"), nil },
		"mask-go": func() ([]byte, []byte) {
			return fixtures.Go(b, "plugins/mask"), []byte(`{"fields":[{"path":"customer.email","action":"email"}]}`)
		},
	}
	for name, guest := range guests {
		b.Run(name, func(b *testing.B) {
			wasm, config := guest()
			e, _ := newEngine(b, runtime.EngineConfig{})
			m, err := e.Load(context.Background(), wasm)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close(context.Background())
			for range b.N {
				const n = 8
				debug.FreeOSMemory()
				before := procStatus(b, "VmRSS")
				p, err := m.NewPool(context.Background(), runtime.PoolConfig{Size: n, Config: config})
				if err != nil {
					b.Fatal(err)
				}
				debug.FreeOSMemory()
				b.ReportMetric(float64(procStatus(b, "VmRSS")-before)/n/(1<<20), "RSS-MiB/instance")
				p.Close(context.Background())
			}
		})
	}
}
