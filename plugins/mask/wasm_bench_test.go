//go:build !wasip1

package main

import (
	"context"
	"encoding/binary"
	"runtime"
	"syscall"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/weirstream/weir/internal/fixtures"
)

// BenchmarkMaskWasm is the guest's side of one batch of 64 orders in the
// built plugin, whole value (weir_process) against projected
// (weir_process_fields), called straight through wazero with no metering.
// The projected batches are encoded before the timer, as the host's scan
// is host time (benchmarked with the runtime); both copy their batch into
// the guest per call, as the host does.
func BenchmarkMaskWasm(b *testing.B) {
	ctx := context.Background()
	cache, err := wazero.NewCompilationCacheWithDir(fixtures.CacheDir(b))
	if err != nil {
		b.Fatal(err)
	}
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache))
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	_, err = r.NewHostModuleBuilder("weir").NewFunctionBuilder().
		WithFunc(func(uint32, uint32, uint32) {}).Export("log").Instantiate(ctx)
	if err != nil {
		b.Fatal(err)
	}
	code, err := r.CompileModule(ctx, fixtures.Go(b, "plugins/mask"))
	if err != nil {
		b.Fatal(err)
	}
	lines := benchOrders(b)
	for _, c := range benchConfigs {
		m, err := newMasker([]byte(c.config))
		if err != nil {
			b.Fatal(err)
		}
		g := newGuest(b, r, code, c.config)
		var whole, fields [][]byte
		for i := 0; i+64 <= len(lines); i += 64 {
			whole = append(whole, wholeBatch(lines[i:i+64]))
			fields = append(fields, fieldsBatch(b, m, lines[i:i+64]))
		}
		b.Run("whole/"+c.name, func(b *testing.B) { g.run(b, "weir_process", whole) })
		b.Run("fields/"+c.name, func(b *testing.B) { g.run(b, "weir_process_fields", fields) })
	}
}

type guest struct {
	mod api.Module
	ptr uint32
}

func newGuest(b *testing.B, r wazero.Runtime, code wazero.CompiledModule, config string) *guest {
	ctx := context.Background()
	mod, err := r.InstantiateModule(ctx, code, wazero.NewModuleConfig().WithName("").
		WithSysWalltime().WithSysNanotime().WithStartFunctions("_initialize"))
	if err != nil {
		b.Fatal(err)
	}
	g := &guest{mod: mod}
	g.ptr = uint32(g.call(b, "weir_buffer", 1<<20))
	g.mod.Memory().Write(g.ptr, []byte(config))
	if res := g.call(b, "weir_init", uint64(len(config))); res != 0 {
		b.Fatalf("weir_init: %d", res)
	}
	if g.call(b, "weir_fields") == 0 {
		b.Fatal("the mask does not project")
	}
	return g
}

func (g *guest) call(b *testing.B, name string, args ...uint64) uint64 {
	res, err := g.mod.ExportedFunction(name).Call(context.Background(), args...)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return res[0]
}

func (g *guest) run(b *testing.B, export string, batches [][]byte) {
	ctx := context.Background()
	fn := g.mod.ExportedFunction(export)
	mem := g.mod.Memory()
	runtime.LockOSThread() // the thread's CPU time is the calls' CPU time
	defer runtime.UnlockOSThread()
	cpu := threadCPU(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in := batches[i%len(batches)]
		mem.Write(g.ptr, in)
		if _, err := fn.Call(ctx, uint64(len(in))); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(threadCPU(b)-cpu)/float64(b.N*64), "cpu-ns/msg")
}

// threadCPU is the CPU time the calling OS thread has used, in ns.
func threadCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

const rusageThread = 1 // RUSAGE_THREAD (Linux)

// wholeBatch is docs as the host sends them to weir_process (docs/abi.md §4).
func wholeBatch(docs [][]byte) []byte {
	le := binary.LittleEndian
	out := le.AppendUint32(nil, uint32(len(docs)))
	for _, d := range docs {
		out = append(le.AppendUint32(out, uint32(len(d))), d...)
		out = le.AppendUint32(out, 0) // no metadata
	}
	return out
}

// fieldsBatch is docs as the host sends them to weir_process_fields
// (docs/abi.md §4b): each record's values at the mask's paths.
func fieldsBatch(b *testing.B, m *masker, docs [][]byte) []byte {
	le := binary.LittleEndian
	out := le.AppendUint32(nil, uint32(len(docs)))
	for _, d := range docs {
		fs := hostFields(b, m, d)
		out = le.AppendUint32(out, uint32(len(fs)))
		for _, f := range fs {
			out = append(le.AppendUint32(out, uint32(f.path)), byte(f.typ))
			out = append(le.AppendUint32(out, uint32(len(f.value))), f.value...)
		}
		out = le.AppendUint32(out, 0) // no metadata
	}
	return out
}
