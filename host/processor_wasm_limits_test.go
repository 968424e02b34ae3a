package host_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// command is the one 16-byte message the fanout and logflood guests obey
// (runtime/testdata/guests/README.md).
func command(args ...uint32) string {
	v := make([]byte, 16)
	for i, a := range args {
		binary.LittleEndian.PutUint32(v[4*i:], a)
	}
	return string(v)
}

func TestFanOutPastTheCapFlagsTheBatchAndTheNextFlows(t *testing.T) {
	fanout := writeModule(t, fixtures.WAT(t, "runtime/testdata/guests/fanout.wat"))
	proc := fmt.Sprintf("wasm: { module: %s, cache_dir: none, max_emits_per_record: 10 }\n", fanout)
	out := pipeline(t, proc, batchOf(command(11)), batchOf(command(10)))
	got := describe(t, out)
	require.Len(t, got, 1+10, "the bomb's input flagged, then ten copies")
	assert.Equal(t, "bad_output", got[0].class)
	assert.Contains(t, got[0].errText, "record 0: more than 10 emits, the cap per record: raise max_emits_per_record")
	for _, s := range got[1:] {
		assert.Empty(t, s.class)
	}
}

func TestLimitFieldsMustBePositive(t *testing.T) {
	for _, field := range []string{"max_emits_per_record", "max_emits_per_batch", "max_expanded_bytes",
		"max_metadata_per_batch", "guest_log_lines_per_second", "guest_log_bytes_per_second"} {
		err := buildErr(t, fmt.Sprintf("wasm:\n  module: x.wasm\n  %s: 0\n", field))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "field "+field+": must be >= 1, got 0")
	}
}

// counters is a metrics exporter that keeps counter totals by name and labels.
type counters struct {
	mu sync.Mutex
	m  map[string]int64
}

var testMetrics = &counters{m: map[string]int64{}}

func init() {
	err := service.RegisterMetricsExporter("weir_test_counters", service.NewConfigSpec(),
		func(*service.ParsedConfig, *service.Logger) (service.MetricsExporter, error) { return testMetrics, nil })
	if err != nil {
		panic(err)
	}
}

func (c *counters) get(key string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

type counter struct {
	c   *counters
	key string
}

func (k counter) Incr(n int64) {
	k.c.mu.Lock()
	defer k.c.mu.Unlock()
	k.c.m[k.key] += n
}

func (k counter) IncrFloat64(float64) {}
func (k counter) Timing(int64)        {}
func (k counter) Set(int64)           {}
func (k counter) SetFloat64(float64)  {}

func (c *counters) NewCounterCtor(name string, _ ...string) service.MetricsExporterCounterCtor {
	return func(labels ...string) service.MetricsExporterCounter { return counter{c, fmt.Sprint(name, labels)} }
}

func (c *counters) NewTimerCtor(name string, _ ...string) service.MetricsExporterTimerCtor {
	return func(labels ...string) service.MetricsExporterTimer { return counter{c, fmt.Sprint(name, labels)} }
}

func (c *counters) NewGaugeCtor(name string, _ ...string) service.MetricsExporterGaugeCtor {
	return func(labels ...string) service.MetricsExporterGauge { return counter{c, fmt.Sprint(name, labels)} }
}

func (c *counters) Close(context.Context) error { return nil }

// TestDroppedGuestLogsAreAMetric: at one line a second the burst is ten
// lines, so a thousand from one batch drop 990 (the clock's drift over
// the batch is far below one line).
func TestDroppedGuestLogsAreAMetric(t *testing.T) {
	flood := writeModule(t, fixtures.WAT(t, "runtime/testdata/guests/logflood.wat"))
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: none"))
	require.NoError(t, b.SetMetricsYAML("weir_test_counters: {}"))
	require.NoError(t, b.AddProcessorYAML(fmt.Sprintf("wasm: { module: %s, cache_dir: none, pool_size: 1, guest_log_lines_per_second: 1 }", flood)))
	produce, err := b.AddBatchProducerFunc()
	require.NoError(t, err)
	require.NoError(t, b.AddBatchConsumerFunc(func(context.Context, service.MessageBatch) error { return nil }))
	stream, err := b.Build()
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- stream.Run(context.Background()) }()
	require.NoError(t, produce(context.Background(), batchOf(command(1000, 0, 14))))
	require.NoError(t, stream.StopWithin(60e9))
	require.NoError(t, <-done)
	labels := "[ root.pipeline.processors.0 logflood 0.0.0]" // label, path, transform, version
	lines := testMetrics.get("weir_guest_log_dropped" + labels)
	assert.InDelta(t, 990, lines, 1, "one line of drift at most, whatever the machine's speed")
	assert.Equal(t, 14*lines, testMetrics.get("weir_guest_log_dropped_bytes"+labels))
}
