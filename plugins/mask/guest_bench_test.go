//go:build !wasip1

package main

import (
	"context"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// BenchmarkMaskFuelSplit says where a Go guest's instructions go: the
// fuel (≈ executed wasm instructions, which the machine's load does not
// change) per record, through the runtime at batch 64, split by who runs
// it — sdk/go, the transform (package main), Go's runtime (memmove,
// growslice, ...) and the rest of the standard library — read from the
// fuel counter at every guest call and return (a wazero function
// listener). The guests: the shipped mask, projecting and on the whole
// value; the reference mask written straight on the projection ABI, with
// no SDK (testdata/rawfloor: the floor for Go on this ABI); the echo.
//
//	go test -run XXX -bench MaskFuelSplit -benchtime 20x ./plugins/mask
func BenchmarkMaskFuelSplit(b *testing.B) {
	for _, g := range []struct{ name, pkg, config string }{
		{"mask-projected", "plugins/mask", refConfig},
		{"mask-whole", "plugins/mask", strings.Replace(refConfig, "{", `{"projection":false,`, 1)},
		{"rawfloor", "plugins/mask/testdata/rawfloor", ""},
		{"echo", "plugins/echo", ""},
	} {
		b.Run(g.name, func(b *testing.B) { fuelSplit(b, fixtures.Go(b, g.pkg), g.config) })
	}
}

// fuelSplit runs b.N batches of 64 orders with a listener that charges
// each function's exclusive fuel to its package group.
func fuelSplit(b *testing.B, wasm []byte, config string) {
	p := &fuelProfile{by: map[string]int64{}}
	ctx := experimental.WithFunctionListenerFactory(context.Background(), p)
	// One slice of fuel per batch: a check-in refills the counter, which
	// would be charged to the function it interrupts.
	e, err := runtime.NewEngine(ctx, runtime.EngineConfig{FuelCheckIn: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	mod, err := e.Load(ctx, wasm)
	if err != nil {
		b.Fatal(err)
	}
	pool, err := mod.NewPool(ctx, runtime.PoolConfig{Config: []byte(config)})
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close(ctx)
	recs := batchOf64(b)[0]
	for range 20 { // the guest's heap and buffers grown
		if _, err := pool.Process(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	p.on = true
	b.ResetTimer()
	for range b.N {
		if _, err := pool.Process(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	per := float64(b.N * 64)
	var total int64
	for group, fuel := range p.by {
		total += fuel
		b.ReportMetric(float64(fuel)/per, group+"-fuel/msg")
	}
	b.ReportMetric(float64(total)/per, "fuel/msg")
}

// fuelProfile is the listener: a stack of the fuel counter at each call,
// so that a function's exclusive fuel is its inclusive fuel less its
// callees'.
type fuelProfile struct {
	on    bool
	fuel  api.Global
	stack []fuelFrame
	by    map[string]int64 // exclusive fuel by package group
}

type fuelFrame struct {
	at, callees int64
}

type fuelListener struct {
	p     *fuelProfile
	group string
}

func (p *fuelProfile) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	if def.GoFunction() != nil {
		return nil // host functions burn no fuel
	}
	return &fuelListener{p: p, group: packageGroup(def.DebugName())}
}

// packageGroup sorts a Go guest's function by the package it is in.
func packageGroup(name string) string {
	switch {
	case strings.HasPrefix(name, ".github.com_weirstream_weir_sdk_go"):
		return "sdk"
	case strings.HasPrefix(name, ".main."):
		return "transform"
	case strings.HasPrefix(name, ".runtime."), strings.HasPrefix(name, ".internal_"):
		return "goruntime"
	}
	return "stdlib"
}

func (p *fuelProfile) counter(mod api.Module) int64 {
	if p.fuel == nil {
		p.fuel = mod.ExportedGlobal("weir_fuel")
	}
	return int64(p.fuel.Get())
}

func (l *fuelListener) Before(_ context.Context, mod api.Module, _ api.FunctionDefinition, _ []uint64, _ experimental.StackIterator) {
	l.p.stack = append(l.p.stack, fuelFrame{at: l.p.counter(mod)})
}

func (l *fuelListener) After(_ context.Context, mod api.Module, _ api.FunctionDefinition, _ []uint64) {
	p := l.p
	n := len(p.stack) - 1
	f := p.stack[n]
	p.stack = p.stack[:n]
	inclusive := f.at - p.counter(mod) // the counter counts down
	if n > 0 {
		p.stack[n-1].callees += inclusive
	}
	if p.on {
		p.by[l.group] += inclusive - f.callees
	}
}

func (l *fuelListener) Abort(context.Context, api.Module, api.FunctionDefinition, error) {
	l.p.stack = l.p.stack[:len(l.p.stack)-1]
}

// BenchmarkGuestAB compares builds of a guest through the runtime
// (metered, batch 64, the reference mask's config unless WEIR_AB_CONFIG
// says otherwise), interleaved: every round runs each build in turn for
// the same batches, so a burst of load moves all of them. It reports each
// build's median CPU time (the process's, GC included) and fuel per
// record, and its median per-round ratio to the first build. WEIR_AB
// names the builds, raw wasm as `go build` leaves it; without it, the
// shipped mask against the raw floor:
//
//	WEIR_AB=before=/tmp/before.wasm,after=/tmp/after.wasm \
//	  go test -run XXX -bench GuestAB -benchtime 1x ./plugins/mask
func BenchmarkGuestAB(b *testing.B) {
	config := os.Getenv("WEIR_AB_CONFIG")
	if config == "" {
		config = refConfig
	}
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.EngineConfig{CacheDir: fixtures.CacheDir(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	builds := abBuilds(b)
	for _, x := range builds {
		x.pool = abPool(b, e, x, config)
		defer x.pool.Close(ctx)
	}
	batches := batchOf64(b)
	const rounds, perRound = 15, 200
	for r := range rounds + 1 {
		for _, x := range builds {
			cpu, fuel := x.round(b, batches, perRound)
			if r > 0 { // round 0 warms
				x.cpu, x.fuel = append(x.cpu, cpu), append(x.fuel, fuel)
			}
		}
	}
	for _, x := range builds {
		var ratios []float64
		for r := range x.cpu {
			ratios = append(ratios, x.cpu[r]/builds[0].cpu[r])
		}
		b.ReportMetric(median(x.cpu), x.name+"-cpu-ns/msg")
		b.ReportMetric(median(x.fuel), x.name+"-fuel/msg")
		b.ReportMetric(median(ratios), x.name+"/"+builds[0].name)
	}
	b.Logf("load %s", strings.TrimSpace(readLoad()))
}

type abBuild struct {
	name      string
	wasm      []byte
	pool      *runtime.Pool
	used      int64 // fuel of the current round
	cpu, fuel []float64
}

func abBuilds(b *testing.B) []*abBuild {
	spec := os.Getenv("WEIR_AB")
	if spec == "" {
		return []*abBuild{
			{name: "mask", wasm: fixtures.Go(b, "plugins/mask")},
			{name: "rawfloor", wasm: fixtures.Go(b, "plugins/mask/testdata/rawfloor")},
		}
	}
	var out []*abBuild
	for _, kv := range strings.Split(spec, ",") {
		name, path, _ := strings.Cut(kv, "=")
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		packed, err := runtime.Pack(raw, runtime.Manifest{ABI: runtime.ABIVersion, Name: name, Version: "0.0.0"})
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, &abBuild{name: name, wasm: packed})
	}
	return out
}

func abPool(b *testing.B, e *runtime.Engine, x *abBuild, config string) *runtime.Pool {
	ctx := context.Background()
	m, err := e.Load(ctx, x.wasm)
	if err != nil {
		b.Fatal(err)
	}
	p, err := m.NewPool(ctx, runtime.PoolConfig{Config: []byte(config), OnBatch: func(f int64, _ time.Duration) { x.used += f }})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// round runs n batches and returns the CPU time and fuel per record.
func (x *abBuild) round(b *testing.B, batches [][]runtime.Record, n int) (cpu, fuel float64) {
	x.used = 0
	start := processCPU()
	for i := range n {
		if _, err := x.pool.Process(context.Background(), batches[i%len(batches)]); err != nil {
			b.Fatal(err)
		}
	}
	per := float64(n * 64)
	return float64(processCPU()-start) / per, float64(x.used) / per
}

// batchOf64 is the orders in batches of 64 records.
func batchOf64(tb testing.TB) [][]runtime.Record {
	lines := orderLines(tb)
	var out [][]runtime.Record
	for i := 0; i+64 <= len(lines); i += 64 {
		var batch []runtime.Record
		for _, doc := range lines[i : i+64] {
			batch = append(batch, runtime.Record{Value: doc})
		}
		out = append(out, batch)
	}
	return out
}

// processCPU is the CPU time this process has used, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func median(x []float64) float64 {
	y := append([]float64(nil), x...)
	sort.Float64s(y)
	return y[len(y)/2]
}

func readLoad() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return string(b)
}
