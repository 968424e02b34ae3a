package runtime_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// BenchmarkBulkCost measures what the fuel rates of bulk operations
// (runtime/internal/meter/bulk.go) rest on: the time of one unit of a
// tight loop, metered, against the time per byte or element of each bulk
// operation, unmetered (the op is one unit plus its length charge):
//
//	go test -run XXX -bench BulkCost ./runtime
func BenchmarkBulkCost(b *testing.B) {
	const n = 4 << 20
	cases := []struct {
		name  string
		mode  runtime.Interrupt
		per   int // units or bytes or elements per call
		inner string
	}{
		// 12 units per iteration: the i32.add pair, the increment, the compare, br_if
		{"tight loop/unit", runtime.InterruptFuel, 12 * 1_000_000, `(local.set $i (i32.const 0)) (loop $l
		  (local.set $acc (i32.add (local.get $acc) (local.get $i)))
		  (local.set $i (i32.add (local.get $i) (i32.const 1)))
		  (br_if $l (i32.lt_u (local.get $i) (i32.const 1000000))))`},
		// a slow unit: a load that misses every cache, 64 MiB apart at random
		// (17 units per iteration)
		{"cache-missing load/unit", runtime.InterruptFuel, 17 * 1_000_000, `(local.set $i (i32.const 0)) (loop $l
		  (local.set $acc (i32.mul (i32.add (local.get $acc) (i32.const 12345)) (i32.const -1640531535)))
		  (local.set $acc (i32.add (local.get $acc) (i32.load (i32.and (local.get $acc) (i32.const 0x3fffffc)))))
		  (local.set $i (i32.add (local.get $i) (i32.const 1)))
		  (br_if $l (i32.lt_u (local.get $i) (i32.const 1000000))))`},
		// and a division (13 units per iteration)
		{"i64.div_u/unit", runtime.InterruptFuel, 13 * 1_000_000, `(local.set $i (i32.const 0)) (loop $l
		  (local.set $acc (i32.wrap_i64 (i64.div_u (i64.const -1) (i64.extend_i32_u (i32.or (local.get $i) (i32.const 1))))))
		  (local.set $i (i32.add (local.get $i) (i32.const 1)))
		  (br_if $l (i32.lt_u (local.get $i) (i32.const 1000000))))`},
		{"memory.fill/byte", runtime.InterruptNone, n, fmt.Sprintf(`(memory.fill (i32.const 65536) (local.get $acc) (i32.const %d))`, n)},
		{"memory.copy/byte", runtime.InterruptNone, n, fmt.Sprintf(`(memory.copy (i32.const 65536) (i32.const %d) (i32.const %d))`, 65536+n, n)},
		{"table.fill/element", runtime.InterruptNone, 1_000_000, `(drop (table.grow $t (ref.null func) (i32.sub (i32.const 1000000) (table.size $t)))) (table.fill $t (i32.const 0) (ref.func $f) (i32.const 1000000))`},
		{"table.copy/element", runtime.InterruptNone, 500_000, `(drop (table.grow $t (ref.null func) (i32.sub (i32.const 1000000) (table.size $t)))) (table.copy $t $t (i32.const 0) (i32.const 500000) (i32.const 500000))`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			fields := initOK + `(elem declare func $f) (func $f)`
			if c.name == "cache-missing load/unit" {
				fields += `(func $grow (drop (memory.grow (i32.const 1024)))) (start $grow)` // 64 MiB and more
			}
			wasm := hostileGuest(b, "bulk", fields+`
(func (export "weir_process") (param i32) (result i64) (local $i i32) (local $acc i32) `+c.inner+emptyOutput+`)`)
			e, _ := newEngine(b, runtime.EngineConfig{Interrupt: c.mode, MaxMemoryPages: 2048})
			p := newPool(b, e, wasm, runtime.PoolConfig{})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, err := p.Process(context.Background(), nil)
				require.NoError(b, err)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(c.per), "ns/unit-or-byte")
		})
	}
}
