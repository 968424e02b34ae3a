package bench

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/bench/internal/scanmask"
)

// nativeMask is the reference masking (shared/data/README.md) written as a
// plain Go Benthos processor with encoding/json: the "native Go" baseline.
type nativeMask struct{}

func init() {
	err := service.RegisterProcessor("bench_native_mask", service.NewConfigSpec().Summary("Benchmark baseline: the reference masking in native Go."),
		func(*service.ParsedConfig, *service.Resources) (service.Processor, error) { return nativeMask{}, nil })
	if err != nil {
		panic(err)
	}
	err = service.RegisterBatchProcessor("bench_native_scan", service.NewConfigSpec().Summary("Benchmark floor: the reference masking as a hand-written byte scanner in native Go."),
		func(*service.ParsedConfig, *service.Resources) (service.BatchProcessor, error) {
			return nativeScan{}, nil
		})
	if err != nil {
		panic(err)
	}
	err = service.RegisterBatchProcessor("bench_noop", service.NewConfigSpec().Summary("Benchmark baseline: a batch processor that does nothing."),
		func(*service.ParsedConfig, *service.Resources) (service.BatchProcessor, error) { return noop{}, nil })
	if err != nil {
		panic(err)
	}
}

// noop is a batch processor that returns its batch: the floor of any
// processor in a Benthos pipeline (tracing spans, batch bookkeeping).
type noop struct{}

func (noop) ProcessBatch(_ context.Context, b service.MessageBatch) ([]service.MessageBatch, error) {
	return []service.MessageBatch{b}, nil
}

func (noop) Close(context.Context) error { return nil }

func (nativeMask) Process(_ context.Context, m *service.Message) (service.MessageBatch, error) {
	b, err := m.AsBytes()
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if c, ok := doc["customer"].(map[string]any); ok {
		if e, ok := c["email"].(string); ok {
			c["email"] = "***" + e[strings.IndexByte(e, '@'):]
		}
		if p, ok := c["phone"].(string); ok && len(p) >= 4 {
			c["phone"] = "***" + p[len(p)-4:]
		}
		if p, ok := c["card"].(string); ok && len(p) >= 4 {
			c["card"] = "************" + p[len(p)-4:]
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	m.SetBytes(out)
	return service.MessageBatch{m}, nil
}

func (nativeMask) Close(context.Context) error { return nil }

// nativeScan is the reference masking as a hand-written byte scanner
// (bench/internal/scanmask, no encoding/json) in a native batch processor:
// the floor a transform of this job can reach inside Benthos. The batch's
// outputs share one buffer.
type nativeScan struct{}

func (nativeScan) ProcessBatch(_ context.Context, batch service.MessageBatch) ([]service.MessageBatch, error) {
	size := 0
	docs := make([][]byte, len(batch))
	for i, m := range batch {
		b, err := m.AsBytes()
		if err != nil {
			return nil, err
		}
		docs[i], size = b, size+len(b)+16
	}
	arena := make([]byte, 0, size)
	for i, m := range batch {
		start := len(arena)
		arena = scanmask.Mask(arena, docs[i])
		m.SetBytes(arena[start:len(arena):len(arena)])
	}
	return []service.MessageBatch{batch}, nil
}

func (nativeScan) Close(context.Context) error { return nil }
