package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	_ "github.com/redpanda-data/benthos/v4/public/components/pure"

	_ "github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
)

// Case is one pipeline configuration under measurement.
type Case struct {
	Name       string
	Processors []string // one YAML document per processor
	Threads    int      // processing threads of the stream; 0 means 1
	Resources  string   // resources YAML (cache_resources, …) the processors use
}

// maskFields is the reference masking as weir mask plugin config.
const maskFields = `
    fields:
      - { path: customer.email, action: email }
      - { path: customer.phone, action: last, keep: 4, with: "***" }
      - { path: customer.card, action: last, keep: 4, with: "************" }`

// ordersSchema binds a wasm processor to shop.v1.Order, validation on.
var ordersSchema = `
  schema:
    proto_files: [orders.proto]
    import_paths: [` + filepath.Join(fixtures.Root(), "examples/orders-proto/proto") + `]
    input: shop.v1.Order`

// boundMask is the reference masking on a schema-bound JSON stream, as a
// user writes it: the mask's JSON paths. The stream projects: each record
// is validated against shop.v1.Order where it lies, the mask gets the three
// values, and only what it writes back is checked (docs/schemas.md,
// "Projected JSON streams").
var boundMask = "\n  config:" + maskFields + ordersSchema

// boundProtoMask is the same on the transcoding path: JSON decoded into
// shop.v1.Order and validated, masked as binary protobuf by the mask's
// protobuf plan, validated and encoded back to JSON.
var boundProtoMask = `
  config:
    format: protobuf
    fields:
      - { path: "3.3", action: email }
      - { path: "3.4", action: last, keep: 4, with: "***" }
      - { path: "3.5", action: last, keep: 4, with: "************" }` + ordersSchema

// Cases are the pipelines compared by `make bench`. modules maps a module
// name (echo, mask, echo-wat) to its .wasm path.
func Cases(modules map[string]string) []Case {
	wasm := func(name, extra string) []string {
		return []string{fmt.Sprintf("wasm:\n  module: %s\n  pool_size: 1%s", modules[name], extra)}
	}
	return []Case{
		{Name: "empty pipeline"},
		{Name: "no-op batch processor", Processors: []string{"bench_noop: {}"}},
		{Name: "bloblang mapping (mask)", Processors: []string{`
mapping: |
  root = this
  root.customer.email = "***" + this.customer.email.slice(this.customer.email.index_of("@"))
  root.customer.phone = "***" + this.customer.phone.slice(-4)
  root.customer.card = "************" + this.customer.card.slice(-4)`}},
		{Name: "native Go, encoding/json (mask)", Processors: []string{"bench_native_mask: {}"}},
		{Name: "wasm Go guest (mask)", Processors: wasm("mask", "\n  config:"+maskFields)},
		{Name: "wasm C guest (mask)", Processors: wasm("mask-c", "\n  config:"+maskFields)},
		{Name: "wasm AssemblyScript guest (mask)", Processors: wasm("mask-as", "\n  config:"+maskFields)},
		{Name: "wasm C raw scanner guest (mask)", Processors: wasm("mask-c-raw", "")},
		{Name: "wasm Rust guest (mask)", Processors: wasm("mask-rust", "\n  config:"+maskFields)},
		{Name: "wasm Go guest (mask), schema-bound", Processors: wasm("mask", boundMask)},
		{Name: "wasm Go guest (mask), schema-bound, protobuf plan", Processors: wasm("mask", boundProtoMask)},
		{Name: "wasm Go guest (echo)", Processors: wasm("echo", "")},
		{Name: "wasm WAT guest (echo)", Processors: wasm("echo-wat", "")},
	}
}

// Modules are the guests the cases run, by name, each built from source
// with internal/fixtures: "go:<package>", "c:<dir>", "rust:<dir>", "as:<dir>", "wat:<file>" or
// "redpanda:<example of the Redpanda SDK>". To
// measure another build of a case's guest, point its name elsewhere.
var Modules = map[string]string{
	"mask":         "go:plugins/mask",
	"echo":         "go:plugins/echo",
	"echo-wat":     "wat:runtime/testdata/guests/echo.wat",
	"mask-c":       "c:plugins/mask_c",
	"mask-c-raw":   "c:bench/guests/mask_c",
	"mask-rust":    "rust:plugins/mask_rust",
	"mask-as":      "as:plugins/mask_as",
	"connect-echo": "go:bench/guests/connect_echo",
	"connect-mask": "go:bench/guests/connect_mask",
	"extism-echo":  "go:bench/guests/extism_echo",
	"extism-mask":  "go:bench/guests/extism_mask",

	"redpanda-mirror": "redpanda:mirror", // the Redpanda SDK's own example, unmodified
}

// BuildModule builds one entry of Modules.
func BuildModule(source string) ([]byte, error) {
	kind, src, _ := strings.Cut(source, ":")
	switch kind {
	case "go":
		return fixtures.BuildGo(src)
	case "c":
		return fixtures.BuildC(src)
	case "wat":
		return fixtures.BuildWAT(src)
	case "rust":
		return fixtures.BuildRust(src)
	case "as":
		return fixtures.BuildAS(src)
	case "redpanda":
		return fixtures.BuildRedpanda(src)
	}
	return nil, fmt.Errorf("bench: module source %q: want go:, c:, rust:, as:, wat: or redpanda:", source)
}

// ModulePaths builds Modules from source into dir and returns their paths
// by name.
func ModulePaths(dir string) (map[string]string, error) {
	paths := map[string]string{}
	var errs []error
	for name, source := range Modules {
		wasm, err := BuildModule(source)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		paths[name] = filepath.Join(dir, name+".wasm")
		errs = append(errs, os.WriteFile(paths[name], wasm, 0o644))
	}
	return paths, errors.Join(errs...)
}

// KafkaCases are the processors compared through Kafka.
func KafkaCases(modules map[string]string) []Case {
	var out []Case
	for _, c := range Cases(modules) {
		switch c.Name {
		case "no-op batch processor", "wasm Go guest (mask)", "wasm C guest (mask)":
			out = append(out, c)
		}
	}
	return out
}

// LoadOrders reads the shared benchmark workload.
func LoadOrders(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var orders [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		orders = append(orders, append([]byte(nil), sc.Bytes()...))
	}
	return orders, sc.Err()
}

// OrdersPath finds testdata/orders-1k.jsonl from the repository root or bench/.
func OrdersPath() string {
	for _, p := range []string{"bench/testdata/orders-1k.jsonl", "testdata/orders-1k.jsonl"} {
		if _, err := os.Stat(p); err == nil {
			abs, _ := filepath.Abs(p)
			return abs
		}
	}
	return "bench/testdata/orders-1k.jsonl"
}

// Run pushes b.N messages in batches of batchSize through the case's
// pipeline (one thread, one instance) and reports ns/msg, msgs/s and the
// process's CPU time per message (cpu-ns/msg).
// Producing blocks until the batch reached the output, so this measures
// the full per-message cost on one core.
func Run(b *testing.B, c Case, batchSize int, orders [][]byte) {
	b.ReportAllocs()
	var cpu0 time.Duration
	err := Push(c, batchSize, b.N, orders, func() { b.ResetTimer(); cpu0 = CPUTime() })
	b.StopTimer()
	cpu := CPUTime() - cpu0
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/msg")
}

// Push sends n messages through a fresh pipeline for the case, calling
// started once the pipeline has processed a first, untimed batch. A failed
// message is an error.
func Push(c Case, batchSize, n int, orders [][]byte, started func()) error {
	stream, produce, failed, err := build(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()
	// one batch first, untimed: the processors' start (a guest's compile
	// and first instance) is not a per-message cost
	warm := make(service.MessageBatch, min(batchSize, len(orders)))
	for i := range warm {
		warm[i] = service.NewMessage(orders[i])
	}
	err = produce(ctx, warm)
	started()
	for sent := 0; sent < n && err == nil; sent += batchSize {
		batch := make(service.MessageBatch, min(batchSize, n-sent))
		for i := range batch {
			batch[i] = service.NewMessage(orders[(sent+i)%len(orders)])
		}
		err = produce(ctx, batch)
	}
	_ = stream.Stop(ctx)
	<-done
	if err == nil {
		err = failed()
	}
	return err
}

func build(c Case) (*service.Stream, service.MessageBatchHandlerFunc, func() error, error) {
	sb := service.NewStreamBuilder()
	sb.SetThreads(max(c.Threads, 1))
	if err := sb.SetLoggerYAML("level: warn"); err != nil {
		return nil, nil, nil, err
	}
	if c.Resources != "" {
		if err := sb.AddResourcesYAML(c.Resources); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	for _, p := range c.Processors {
		if err := sb.AddProcessorYAML(p); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	produce, err := sb.AddBatchProducerFunc()
	if err != nil {
		return nil, nil, nil, err
	}
	var mu sync.Mutex
	var failed error
	err = sb.AddBatchConsumerFunc(func(_ context.Context, batch service.MessageBatch) error {
		for _, m := range batch {
			if e := m.GetError(); e != nil {
				mu.Lock()
				failed = fmt.Errorf("%s: message failed: %w", c.Name, e)
				mu.Unlock()
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	stream, err := sb.Build()
	return stream, produce, func() error { mu.Lock(); defer mu.Unlock(); return failed }, err
}
