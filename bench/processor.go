package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// ProcCase is one processor measured on its own, called directly as
// Benthos calls a pipeline's processor (ProcessBatch of the processor
// Benthos builds from the config, tracing and all), without a stream.
type ProcCase struct {
	Name string
	YAML string // one processor's config, as in a pipeline's processors list
}

// Names of the processor cases the targets are stated in.
const (
	ProcNoop          = "Benthos no-op processor"
	ProcBloblang      = "bloblang mapping (mask)"
	ProcNativeScan    = "native Go, byte scanner (mask): the floor"
	ProcNativeJSON    = "native Go, encoding/json (mask)"
	ProcWATEcho       = "weir WAT echo"
	ProcGoEcho        = "weir Go echo"
	ProcGoMask        = "weir Go mask (plugins/mask)"
	ProcCMask         = "weir C mask (plugins/mask_c)"
	ProcCMaskRaw      = "weir C raw scanner guest (bench/guests/mask_c)"
	ProcGoMaskBound   = "weir Go mask, schema-bound" // a bound JSON stream, projecting
	ProcGoMaskBoundPB = "weir Go mask, schema-bound, protobuf plan"
	ProcConnectEcho   = "Connect-style ABI, Go echo"
	ProcConnectMask   = "Connect-style ABI, Go mask"
	ProcExtismEcho    = "Extism, Go echo"
	ProcExtismMask    = "Extism, Go mask"
	ProcKernelEcho    = "weir's Extism kernel, Go echo" // the Extism plugins above, on weir (runtime/extism*.go)
	ProcKernelMask    = "weir's Extism kernel, Go mask"

	ProcRedpandaMirror = "Redpanda ABI, the SDK's mirror example" // the same echo on Redpanda's Data Transforms ABI
)

// ProcCases are the processors compared at the processor level, modules
// as from ModulePaths.
func ProcCases(modules map[string]string) []ProcCase {
	byName := map[string]string{}
	for _, c := range Cases(modules) {
		if len(c.Processors) == 1 {
			byName[c.Name] = c.Processors[0]
		}
	}
	peer := func(kind, module, fn string) string {
		return fmt.Sprintf("%s:\n  module: %s\n  function: %s", kind, modules[module], fn)
	}
	return []ProcCase{
		{ProcNoop, byName["no-op batch processor"]},
		{ProcBloblang, byName["bloblang mapping (mask)"]},
		{ProcNativeScan, "bench_native_scan: {}"},
		{ProcNativeJSON, byName["native Go, encoding/json (mask)"]},
		{ProcWATEcho, byName["wasm WAT guest (echo)"]},
		{ProcGoEcho, byName["wasm Go guest (echo)"]},
		{ProcGoMask, byName["wasm Go guest (mask)"]},
		{ProcCMask, byName["wasm C guest (mask)"]},
		{ProcCMaskRaw, byName["wasm C raw scanner guest (mask)"]},
		{ProcGoMaskBound, byName["wasm Go guest (mask), schema-bound"]},
		{ProcGoMaskBoundPB, byName["wasm Go guest (mask), schema-bound, protobuf plan"]},
		{ProcConnectEcho, peer("bench_connect_wasm", "connect-echo", "process")},
		{ProcConnectMask, peer("bench_connect_wasm", "connect-mask", "process")},
		{ProcExtismEcho, peer("bench_extism", "extism-echo", "echo")},
		{ProcExtismMask, peer("bench_extism", "extism-mask", "mask")},
		{ProcKernelEcho, peer("wasm", "extism-echo", "echo") + "\n  pool_size: 1"},
		{ProcKernelMask, peer("wasm", "extism-mask", "mask") + "\n  pool_size: 1"},
		{ProcRedpandaMirror, fmt.Sprintf("wasm:\n  module: %s\n  pool_size: 1", modules["redpanda-mirror"])},
	}
}

// NewProcessor builds the processor a pipeline would from yaml, with the
// global environment (every registered plugin) and resources of its own.
func NewProcessor(yaml string) (*service.OwnedProcessor, error) {
	spec := service.NewConfigSpec().Field(service.NewProcessorField("p"))
	conf, err := spec.ParseYAML("p:\n  "+strings.ReplaceAll(strings.TrimSpace(yaml), "\n", "\n  "), nil)
	if err != nil {
		return nil, err
	}
	return conf.FieldProcessor("p")
}

// Cost is what a message cost: wall time and the process's CPU time, in
// ns per message.
type Cost struct{ Wall, CPU float64 }

// chunk is how many batches run between two readings of the clocks; the
// messages of a chunk are built before it, outside the timed sections.
const chunk = 16

// MeasureProcessor sends batches of size orders through p for about d of
// timed work (after one chunk of warm-up) and returns the cost per
// message. A message that comes out with an error is an error.
func MeasureProcessor(ctx context.Context, p *service.OwnedProcessor, orders [][]byte, size int, d time.Duration) (Cost, error) {
	if _, err := runChunk(ctx, p, orders, size, 0); err != nil {
		return Cost{}, err
	}
	var wall, cpu time.Duration
	n := 0
	for next := chunk * size; wall < d; next += chunk * size {
		batches := makeBatches(orders, size, next)
		c0, t0 := CPUTime(), time.Now()
		if err := processAll(ctx, p, batches); err != nil {
			return Cost{}, err
		}
		wall, cpu, n = wall+time.Since(t0), cpu+CPUTime()-c0, n+chunk*size
	}
	return Cost{Wall: float64(wall.Nanoseconds()) / float64(n), CPU: float64(cpu.Nanoseconds()) / float64(n)}, nil
}

func runChunk(ctx context.Context, p *service.OwnedProcessor, orders [][]byte, size, from int) ([]service.MessageBatch, error) {
	batches := makeBatches(orders, size, from)
	return batches, processAll(ctx, p, batches)
}

// makeBatches builds one chunk of batches, from the orders' from-th on.
func makeBatches(orders [][]byte, size, from int) []service.MessageBatch {
	batches := make([]service.MessageBatch, chunk)
	for b := range batches {
		batches[b] = make(service.MessageBatch, size)
		for i := range batches[b] {
			batches[b][i] = service.NewMessage(orders[(from+b*size+i)%len(orders)])
		}
	}
	return batches
}

// processAll runs each batch through p, leaving its output in its place.
func processAll(ctx context.Context, p *service.OwnedProcessor, batches []service.MessageBatch) error {
	for i, b := range batches {
		out, err := p.ProcessBatch(ctx, b)
		if err != nil {
			return err
		}
		if len(out) != 1 || len(out[0]) != len(b) {
			return fmt.Errorf("processor returned %d batches for one of %d messages", len(out), len(b))
		}
		for _, m := range out[0] {
			if err := m.GetError(); err != nil {
				return fmt.Errorf("message failed: %w", err)
			}
		}
		batches[i] = out[0]
	}
	return nil
}

// ProcessOnce runs one batch of size orders through the processor of yaml
// and returns the output messages' bytes: for tests that compare outputs.
func ProcessOnce(yaml string, orders [][]byte, size int) ([][]byte, error) {
	p, err := NewProcessor(yaml)
	if err != nil {
		return nil, err
	}
	defer p.Close(context.Background())
	batches, err := runChunk(context.Background(), p, orders, size, 0)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, m := range batches[0] {
		b, err := m.AsBytes()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}
