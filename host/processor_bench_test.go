package host

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/internal/fixtures"
)

// BenchmarkProcessorEcho is the processor-level cost of the echo guests:
// ProcessBatch called directly on batches of 64 orders, next to a batch
// processor that does nothing, in one process. Its sub-benchmarks run in
// turn, so -count interleaves them round by round:
//
//	go test -run XXX -bench ProcessorEcho -count 6 ./host | tee new.txt
//	benchstat -col /guest new.txt
//
// The meta variants give each message four metadata entries, as a Kafka
// input does. cpu-ns/msg is the process's CPU time (all threads: GC
// included) per message.
func BenchmarkProcessorEcho(b *testing.B) {
	batches := orderBatches(b, 64)
	withMeta := orderBatches(b, 64)
	for _, batch := range withMeta {
		for i, m := range batch {
			m.MetaSetMut("kafka_key", fmt.Sprintf("c-%05d", i))
			m.MetaSetMut("kafka_topic", "orders")
			m.MetaSetMut("kafka_partition", "3")
			m.MetaSetMut("kafka_offset", "123456")
		}
	}
	guests := []struct {
		name string
		proc func(testing.TB) service.BatchProcessor
		in   []service.MessageBatch
	}{
		{"noop", func(testing.TB) service.BatchProcessor { return noopProcessor{} }, batches},
		{"wat", benchProcessor("wat"), batches},
		{"go", benchProcessor("go"), batches},
		{"noop-meta", func(testing.TB) service.BatchProcessor { return noopProcessor{} }, withMeta},
		{"wat-meta", benchProcessor("wat"), withMeta},
	}
	for _, g := range guests {
		b.Run("guest="+g.name, func(b *testing.B) {
			p := g.proc(b)
			defer p.Close(context.Background())
			runProcessor(b, p, g.in)
		})
	}
}

// noopProcessor returns its batch: Benthos's no-op batch processor.
type noopProcessor struct{}

func (noopProcessor) ProcessBatch(_ context.Context, b service.MessageBatch) ([]service.MessageBatch, error) {
	return []service.MessageBatch{b}, nil
}

func (noopProcessor) Close(context.Context) error { return nil }

// benchProcessor makes a wasm processor of one instance serving an echo
// guest, "wat" or "go".
func benchProcessor(guest string) func(testing.TB) service.BatchProcessor {
	return func(tb testing.TB) service.BatchProcessor {
		var wasm []byte
		switch guest {
		case "wat":
			wasm = fixtures.WAT(tb, "runtime/testdata/guests/echo.wat")
		case "go":
			wasm = fixtures.Warm(tb, fixtures.Go(tb, "plugins/echo"))
		}
		path := filepath.Join(tb.TempDir(), guest+".wasm")
		if err := os.WriteFile(path, wasm, 0o644); err != nil {
			tb.Fatal(err)
		}
		conf, err := wasmProcessorSpec().ParseYAML(fmt.Sprintf("module: %s\npool_size: 1\ncache_dir: %s\n", path, fixtures.CacheDir(tb)), nil)
		if err != nil {
			tb.Fatal(err)
		}
		p, err := newWasmProcessor(conf, service.MockResources())
		if err != nil {
			tb.Fatal(err)
		}
		return p
	}
}

// runProcessor sends b.N batches, cycling through in, and reports the
// wall and CPU time per message.
func runProcessor(b *testing.B, p service.BatchProcessor, in []service.MessageBatch) {
	ctx := context.Background()
	for _, batch := range in { // warm the instance and the caches
		mustProcess(b, p, ctx, batch)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		mustProcess(b, p, ctx, in[i%len(in)])
	}
	cpu = cpuTime() - cpu
	b.StopTimer()
	msgs := float64(b.N * len(in[0]))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/msgs, "ns/msg")
	b.ReportMetric(float64(cpu.Nanoseconds())/msgs, "cpu-ns/msg")
}

func mustProcess(b *testing.B, p service.BatchProcessor, ctx context.Context, batch service.MessageBatch) {
	out, err := p.ProcessBatch(ctx, batch)
	if err != nil || len(out) != 1 || len(out[0]) != len(batch) {
		b.Fatalf("echo: got %d batches (err %v), want one of %d messages", len(out), err, len(batch))
	}
}

// orderBatches reads the benchmark orders into batches of n messages.
func orderBatches(tb testing.TB, n int) []service.MessageBatch {
	raw, err := os.ReadFile(filepath.Join(fixtures.Root(), "bench", "testdata", "orders-1k.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	var batches []service.MessageBatch
	var cur service.MessageBatch
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		cur = append(cur, service.NewMessage(append([]byte(nil), sc.Bytes()...)))
		if len(cur) == n {
			batches, cur = append(batches, cur), nil
		}
	}
	return batches
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
