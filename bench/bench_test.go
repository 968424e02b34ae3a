package bench

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weirstream/weir/internal/fixtures"
)

// modules is ModulePaths in a directory of the test's, every guest weir
// loads compiled into the shared cache first, outside the race detector
// (fixtures.Warm): a processor with the default cache_dir then reads it
// (TestMain). The Redpanda Connect peer's guests are compiled by its own
// runtime.
func modules(tb testing.TB) map[string]string {
	paths, err := ModulePaths(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	for name, source := range Modules {
		if strings.HasPrefix(name, "connect-") {
			continue
		}
		wasm, err := BuildModule(source)
		if err != nil {
			tb.Fatal(err)
		}
		fixtures.Warm(tb, wasm)
	}
	return paths
}

// BenchmarkPipeline is the per-message cost of every case at batch 1 and 64:
//
//	go test -bench Pipeline -run XXX ./bench
func BenchmarkPipeline(b *testing.B) {
	orders, err := LoadOrders(OrdersPath())
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range Cases(modules(b)) {
		for _, size := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/batch=%d", c.Name, size), func(b *testing.B) { Run(b, c, size, orders) })
		}
	}
}

// TestCasesRun checks every benchmark pipeline builds and processes the
// workload without a single failed message.
func TestCasesRun(t *testing.T) {
	orders, err := LoadOrders(OrdersPath())
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1024 {
		t.Fatalf("workload has %d orders, want 1024", len(orders))
	}
	for _, c := range Cases(modules(t)) {
		t.Run(c.Name, func(t *testing.T) {
			if err := Push(c, 64, 300, orders, func() {}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
