// Command compilecost measures what wazero's CompileModule costs along each
// axis of a module (runtime/internal/wasmgen's bombs), one child process
// per case so peak RSS is the case's own:
//
//	go run ./runtime/internal/compilecost            # the whole table
//	go run ./runtime/internal/compilecost -case locals -a 1000 -b 5000
//
// Columns: case, parameters, module bytes, the cost measure weir's
// admission computes for it, wall time of CompileModule, Go bytes allocated
// during it, peak Go heap in use (sampled every 2 ms) and peak RSS.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/weirstream/weir/internal/wasmgen"
	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

var bombs = map[string]func(a, b int) *wasmgen.Module{
	"locals":        wasmgen.Locals,
	"locals-used":   wasmgen.LocalsUsed,
	"instructions":  wasmgen.Instructions,
	"arithmetic":    wasmgen.Arithmetic,
	"blocks":        func(a, _ int) *wasmgen.Module { return wasmgen.Blocks(a) },
	"seq-blocks":    func(a, _ int) *wasmgen.Module { return wasmgen.SeqBlocks(a) },
	"ifs":           func(a, _ int) *wasmgen.Module { return wasmgen.Ifs(a) },
	"loops":         wasmgen.Loops,
	"br-table":      func(a, _ int) *wasmgen.Module { return wasmgen.BrTable(a) },
	"stack":         func(a, _ int) *wasmgen.Module { return wasmgen.Stack(a) },
	"calls":         wasmgen.Calls,
	"call-indirect": wasmgen.CallIndirect,
	"loads":         wasmgen.Loads,
	"loads-locals":  wasmgen.LoadsAndLocals,
	"divs":          wasmgen.Divs,
	"simd":          wasmgen.SIMD,
	"params":        wasmgen.Params,
	"globals":       func(a, _ int) *wasmgen.Module { return wasmgen.Globals(a) },
	"data":          func(a, _ int) *wasmgen.Module { return wasmgen.DataSegments(a) },
	"elements":      func(a, _ int) *wasmgen.Module { return wasmgen.ElementSegments(a) },
}

// table is the default run: each axis at growing sizes.
var table = []struct {
	name string
	a, b int
}{
	{"locals", 100, 50_000}, {"locals", 1_000, 50_000}, {"locals", 4_000, 50_000},
	{"locals-used", 10, 5_000}, {"locals-used", 100, 5_000},
	{"instructions", 1, 100_000}, {"instructions", 1, 1_000_000}, {"instructions", 100, 10_000},
	{"arithmetic", 1, 100_000}, {"arithmetic", 1, 1_000_000},
	{"blocks", 10_000, 0}, {"blocks", 100_000, 0},
	{"loops", 1_000, 100}, {"loops", 1_000, 1_000},
	{"br-table", 100_000, 0}, {"br-table", 1_000_000, 0},
	{"stack", 10_000, 0}, {"stack", 100_000, 0},
	{"calls", 1, 100_000}, {"call-indirect", 1, 100_000},
	{"simd", 1, 100_000},
	{"params", 1_000, 1_000}, {"params", 10_000, 1_000},
	{"globals", 100_000, 0}, {"globals", 1_000_000, 0},
	{"data", 100_000, 0}, {"data", 1_000_000, 0},
	{"elements", 100_000, 0}, {"elements", 1_000_000, 0},
}

func main() {
	name := flag.String("case", "", "one case (default: the whole table)")
	file := flag.String("file", "", "measure a .wasm file instead of a bomb")
	a := flag.Int("a", 0, "first parameter")
	b := flag.Int("b", 0, "second parameter")
	interp := flag.Bool("interpreter", false, "compile with wazero's interpreter")
	costOnly := flag.Bool("cost", false, "print the module's cost figures without compiling")
	flag.Parse()
	if *name == "" && *file == "" {
		runTable(*interp)
		return
	}
	var wasm []byte
	var err error
	if *file != "" {
		wasm, err = os.ReadFile(*file)
	} else {
		wasm = bombs[*name](*a, *b).Bytes()
	}
	if err == nil && *costOnly {
		var c wasmbin.Cost
		if c, err = wasmbin.MeasureCost(wasm); err == nil {
			fmt.Printf("%+v\n", c)
		}
	} else if err == nil {
		err = measure(wasm, *interp)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func runTable(interp bool) {
	fmt.Println("| case | a | b | bytes | locals/instructions/depth | time | allocated | peak heap | peak RSS |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, c := range table {
		args := []string{"-case", c.name, "-a", fmt.Sprint(c.a), "-b", fmt.Sprint(c.b)}
		if interp {
			args = append(args, "-interpreter")
		}
		out, err := exec.Command(os.Args[0], args...).CombinedOutput()
		row := strings.TrimSpace(string(out))
		if err != nil {
			row = "error: " + strings.ReplaceAll(row, "\n", " ")
		}
		fmt.Printf("| %s | %d | %d | %s |\n", c.name, c.a, c.b, row)
	}
}

func measure(wasm []byte, interp bool) error {
	cost, err := wasmbin.MeasureCost(wasm)
	if err != nil {
		return err
	}
	ctx := context.Background()
	cfg := wazero.NewRuntimeConfigCompiler()
	if interp {
		cfg = wazero.NewRuntimeConfigInterpreter()
	}
	r := wazero.NewRuntimeWithConfig(ctx, cfg.WithCompilationCache(wazero.NewCompilationCache()))
	goruntime.GC()
	var before goruntime.MemStats
	goruntime.ReadMemStats(&before)
	stop, peak := samplePeak()
	start := time.Now()
	_, err = r.CompileModule(ctx, wasm)
	d := time.Since(start)
	stop()
	var after goruntime.MemStats
	goruntime.ReadMemStats(&after)
	if err != nil {
		return err
	}
	fmt.Printf("%d | %d/%d/%d | %s | %s | %s | %s", len(wasm), cost.Locals, cost.Instructions, cost.MaxDepth, d.Round(time.Millisecond),
		mib(after.TotalAlloc-before.TotalAlloc), mib(*peak-before.HeapAlloc), rss())
	return nil
}

// samplePeak samples the live heap every 2 ms until stop is called.
func samplePeak() (stop func(), peak *uint64) {
	var p uint64
	var done atomic.Bool
	finished := make(chan struct{})
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(finished)
		for !done.Load() {
			metrics.Read(s)
			p = max(p, s[0].Value.Uint64())
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return func() { done.Store(true); <-finished }, &p
}

func rss() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
