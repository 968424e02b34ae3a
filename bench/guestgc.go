package bench

import (
	"context"
	goruntime "runtime"
	"slices"
	"time"

	"github.com/weirstream/weir/runtime"
)

// BatchTrace is one batch through a guest at the runtime level: the fuel
// it used (wasm instructions executed, the same whatever the machine's
// load) and its thread's CPU time.
type BatchTrace struct {
	Fuel int64
	CPU  time.Duration
}

// TraceGuest runs n batches of the guest's batch size of orders through a
// fresh pool of it, one after another on one locked thread, and traces each.
// A Go guest's own garbage collector runs inside its calls, so the batches
// it runs in use more fuel than the others: FuelBursts finds them.
func TraceGuest(e *runtime.Engine, g Guest, n int, orders [][]byte) ([]BatchTrace, error) {
	ctx := context.Background()
	m, err := e.Load(ctx, g.Wasm)
	if err != nil {
		return nil, err
	}
	defer m.Close(ctx)
	var fuel int64
	p, err := m.NewPool(ctx, runtime.PoolConfig{Config: []byte(g.Config), OnBatch: func(f int64, _ time.Duration) { fuel = f }})
	if err != nil {
		return nil, err
	}
	defer p.Close(ctx)
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	out := make([]BatchTrace, n)
	recs := make([]runtime.Record, max(g.Records, 1))
	for i := range out {
		for j := range recs {
			recs[j] = runtime.Record{Value: orders[(i*len(recs)+j)%len(orders)]}
		}
		c0 := threadCPU()
		if _, err := p.Process(ctx, recs); err != nil {
			return nil, err
		}
		out[i] = BatchTrace{Fuel: fuel, CPU: threadCPU() - c0}
	}
	return out, nil
}

// FuelBurst is a run of consecutive batches each over 1.1× the median
// fuel (one batch under it does not end the run).
type FuelBurst struct {
	First, Batches int           // the first batch's index, the batches in it
	MaxRatio       float64       // the highest batch's fuel over the median
	Extra          time.Duration // CPU time over the median batch's, summed over the burst
}

// FuelBursts finds the bursts of a trace, and returns them with the median
// batch's fuel and CPU time.
func FuelBursts(t []BatchTrace) (bursts []FuelBurst, medFuel int64, medCPU time.Duration) {
	fuels, cpus := make([]int64, len(t)), make([]time.Duration, len(t))
	for i, b := range t {
		fuels[i], cpus[i] = b.Fuel, b.CPU
	}
	slices.Sort(fuels)
	medFuel, medCPU = fuels[len(fuels)/2], Percentile(cpus, 0.5)
	last := -10
	for i, b := range t {
		if b.Fuel <= medFuel*11/10 {
			continue
		}
		if i-last > 2 {
			bursts = append(bursts, FuelBurst{First: i})
		}
		cur := &bursts[len(bursts)-1]
		cur.Batches = i - cur.First + 1
		cur.MaxRatio = max(cur.MaxRatio, float64(b.Fuel)/float64(medFuel))
		cur.Extra += max(0, b.CPU-medCPU)
		last = i
	}
	return bursts, medFuel, medCPU
}
