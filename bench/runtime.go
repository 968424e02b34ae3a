package bench

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// Guest is one module measured at the runtime level (no Benthos).
type Guest struct {
	Name    string
	Wasm    []byte
	Config  string
	Records int // batch size; 0 measures an empty call
}

const refMask = `{"fields":[{"path":"customer.email","action":"email"},{"path":"customer.phone","action":"last"},{"path":"customer.card","action":"last","with":"************"}]}`

// Guests builds the runtime-level benchmark guests from source.
func Guests() ([]Guest, error) {
	echoWAT, err1 := fixtures.BuildWAT("runtime/testdata/guests/echo.wat")
	echoGo, err2 := fixtures.BuildGo("plugins/echo")
	maskGo, err3 := fixtures.BuildGo("plugins/mask")
	maskC, err4 := fixtures.BuildC("plugins/mask_c")
	count, err5 := fixtures.BuildWAT("bench/guests/count.wat")
	maskRust, err6 := fixtures.BuildRust("plugins/mask_rust")
	maskAS, err7 := fixtures.BuildAS("plugins/mask_as")
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7); err != nil {
		return nil, err
	}
	return []Guest{
		{Name: "empty call (WAT)", Wasm: echoWAT},
		{Name: "tight loop, 10^6 iterations per call (WAT)", Wasm: count},
		{Name: "echo (WAT)", Wasm: echoWAT, Records: 64},
		{Name: "echo (Go)", Wasm: echoGo, Records: 64},
		{Name: "mask (Go)", Wasm: maskGo, Config: refMask, Records: 64},
		{Name: "mask (C)", Wasm: maskC, Config: refMask, Records: 64},
		{Name: "mask (Rust)", Wasm: maskRust, Config: refMask, Records: 64},
		{Name: "mask (AssemblyScript)", Wasm: maskAS, Config: refMask, Records: 64},
	}, nil
}

// Modes are the interruption strategies compared by the runtime benchmarks.
var Modes = []runtime.Interrupt{runtime.InterruptNone, runtime.InterruptFuel, runtime.InterruptCloseOnContextDone}

// RunGuest measures one batch through a pool of the guest, per message
// (per call for an empty batch), and reports the process's CPU time and
// the fuel used per message.
func RunGuest(b *testing.B, e *runtime.Engine, g Guest, orders [][]byte) {
	m, err := e.Load(context.Background(), g.Wasm)
	if err != nil {
		b.Fatal(err)
	}
	var fuel int64
	p, err := m.NewPool(context.Background(), runtime.PoolConfig{
		Config:  []byte(g.Config),
		OnBatch: func(f int64, _ time.Duration) { fuel += f },
	})
	if err != nil {
		b.Fatal(err)
	}
	_ = m.Close(context.Background()) // the pool holds its own reference
	defer p.Close(context.Background())
	recs := make([]runtime.Record, g.Records)
	for i := range recs {
		recs[i].Value = orders[i%len(orders)]
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := CPUTime()
	for i := 0; i < b.N; i++ {
		if _, err := p.Process(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := CPUTime() - cpu0
	per := float64(b.N * max(g.Records, 1))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/msg")
	b.ReportMetric(float64(cpu.Nanoseconds())/per, "cpu-ns/msg")
	b.ReportMetric(float64(fuel)/per, "fuel/msg")
}

// GCPause runs a guest that loops until its deadline while the main
// goroutine forces garbage collections, and returns the longest
// stop-the-world pause Go's runtime recorded meanwhile. A metered guest
// lets the GC stop it only at fuel check-ins, so the pause grows with the
// check-in interval. A nil loop measures the same GCs with no guest running.
func GCPause(loop []byte, checkIn int64, burn time.Duration) (time.Duration, error) {
	if loop == nil {
		before := pauseHistogram()
		forceGCs(burn * 3 / 4)
		return maxNewPause(before, pauseHistogram()), nil
	}
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.EngineConfig{FuelCheckIn: checkIn})
	if err != nil {
		return 0, err
	}
	defer e.Close(ctx)
	m, err := e.Load(ctx, loop)
	if err != nil {
		return 0, err
	}
	p, err := m.NewPool(ctx, runtime.PoolConfig{Timeout: burn, Fuel: 1 << 62})
	if err != nil {
		return 0, err
	}
	defer p.Close(ctx)
	done := make(chan error, 1)
	before := pauseHistogram()
	go func() {
		_, err := p.Process(ctx, make([]runtime.Record, 1))
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	forceGCs(burn * 3 / 4)
	if err := <-done; runtime.ClassOf(err) != runtime.ClassTimeout {
		return 0, fmt.Errorf("the burning guest should end at its deadline, got %v", err)
	}
	return maxNewPause(before, pauseHistogram()), nil
}

func forceGCs(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		goruntime.GC()
		time.Sleep(5 * time.Millisecond)
	}
}

const pauseMetric = "/sched/pauses/total/gc:seconds"

func pauseHistogram() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: pauseMetric}}
	metrics.Read(s)
	return s[0].Value.Float64Histogram()
}

// maxNewPause is the upper bound of the highest bucket that gained counts.
func maxNewPause(before, after *metrics.Float64Histogram) time.Duration {
	for i := len(after.Counts) - 1; i >= 0; i-- {
		if after.Counts[i] > before.Counts[i] {
			return time.Duration(after.Buckets[i+1] * float64(time.Second))
		}
	}
	return 0
}
