package host_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// guestMetrics is a metrics exporter keeping every metric's last state by
// name and label values: counters summed, gauges and timings last set.
type guestMetrics struct {
	mu sync.Mutex
	m  map[string]int64
}

var guestMetricsSeen = &guestMetrics{m: map[string]int64{}}

func init() {
	err := service.RegisterMetricsExporter("weir_test_guest_metrics", service.NewConfigSpec(),
		func(*service.ParsedConfig, *service.Logger) (service.MetricsExporter, error) {
			return guestMetricsSeen, nil
		})
	if err != nil {
		panic(err)
	}
}

func (g *guestMetrics) get(key string) (int64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	v, ok := g.m[key]
	return v, ok
}

type guestMetric struct {
	g   *guestMetrics
	key string
	sum bool
}

func (m guestMetric) Incr(n int64)      { m.update(n) }
func (m guestMetric) Timing(n int64)    { m.update(n) }
func (m guestMetric) Set(n int64)       { m.update(n) }
func (guestMetric) IncrFloat64(float64) {}
func (guestMetric) SetFloat64(float64)  {}

func (m guestMetric) update(n int64) {
	m.g.mu.Lock()
	defer m.g.mu.Unlock()
	if m.sum {
		n += m.g.m[m.key]
	}
	m.g.m[m.key] = n
}

func (g *guestMetrics) NewCounterCtor(name string, _ ...string) service.MetricsExporterCounterCtor {
	return func(labels ...string) service.MetricsExporterCounter {
		return guestMetric{g, fmt.Sprint(name, labels), true}
	}
}

func (g *guestMetrics) NewTimerCtor(name string, _ ...string) service.MetricsExporterTimerCtor {
	return func(labels ...string) service.MetricsExporterTimer {
		return guestMetric{g, fmt.Sprint(name, labels), false}
	}
}

func (g *guestMetrics) NewGaugeCtor(name string, _ ...string) service.MetricsExporterGaugeCtor {
	return func(labels ...string) service.MetricsExporterGauge {
		return guestMetric{g, fmt.Sprint(name, labels), false}
	}
}

func (g *guestMetrics) Close(context.Context) error { return nil }

// kvHarness is a running stream of the kvlookup guest under grants, with
// resources declared.
type kvHarness struct {
	t       *testing.T
	produce func(context.Context, service.MessageBatch) error
	stream  *service.Stream
	done    chan error
	mu      sync.Mutex
	out     service.MessageBatch
}

func startKV(t *testing.T, resources, grants string) *kvHarness {
	t.Helper()
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: none"))
	require.NoError(t, b.SetMetricsYAML("weir_test_guest_metrics: {}"))
	if resources != "" {
		require.NoError(t, b.AddResourcesYAML(resources))
	}
	require.NoError(t, b.AddProcessorYAML(kvProc(t, grants)))
	h := &kvHarness{t: t, done: make(chan error, 1)}
	var err error
	h.produce, err = b.AddBatchProducerFunc()
	require.NoError(t, err)
	require.NoError(t, b.AddBatchConsumerFunc(func(_ context.Context, batch service.MessageBatch) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.out = append(h.out, batch.DeepCopy()...)
		return nil
	}))
	h.stream, err = b.Build()
	require.NoError(t, err)
	go func() { h.done <- h.stream.Run(fixtures.Patient(t)) }()
	return h
}

// send produces a batch and waits for it to be acknowledged.
func (h *kvHarness) send(batch service.MessageBatch) {
	h.t.Helper()
	require.NoError(h.t, h.produce(fixtures.Patient(h.t), batch))
}

// stop stops the stream and returns what reached its output, in order.
func (h *kvHarness) stop() []kvSeen {
	h.t.Helper()
	require.NoError(h.t, h.stream.Stop(fixtures.Patient(h.t)))
	require.NoError(h.t, <-h.done)
	h.mu.Lock()
	defer h.mu.Unlock()
	return describeKV(h.t, h.out)
}

// kvStream runs the batches through a kvHarness and returns its output.
func kvStream(t *testing.T, resources, grants string, batches ...service.MessageBatch) []kvSeen {
	t.Helper()
	h := startKV(t, resources, grants)
	for _, b := range batches {
		h.send(b)
	}
	return h.stop()
}

// kvSeen is what the test sees of an output message: its value, the kv
// metadata the guest sets on a miss, and its failure if flagged.
type kvSeen struct {
	value, kv, errText, class string
}

func describeKV(t *testing.T, msgs service.MessageBatch) []kvSeen {
	var out []kvSeen
	for i, s := range describe(t, msgs) {
		k, _ := msgs[i].MetaGet("kv")
		out = append(out, kvSeen{value: s.value, kv: k, errText: s.errText, class: s.class})
	}
	return out
}

func kvProc(t *testing.T, grants string) string {
	module := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "sdk/go/internal/kvlookup")))
	return fmt.Sprintf("label: lookup\nwasm:\n  module: %s\n  cache_dir: %s\n  pool_size: 1\n%s", module, fixtures.CacheDir(t), grants)
}

const kvGrant = `
  capabilities:
    kv:
      namespaces:
        risk: { cache: risk }
    metrics: {}
`

// A granted kv capability looks keys up in a Benthos cache resource of
// every embedded kind, and writes where granted; the guest's metrics
// arrive through Benthos's metrics labelled with the transform.
func TestKVLookupsInBenthosCaches(t *testing.T) {
	for _, cache := range []string{"memory: { init_values: { 'risk:c1': '{\"score\":7}' } }", "lru: {}", "ttlru: {}"} {
		grant := `
  capabilities:
    kv:
      namespaces:
        risk: { cache: risk, write: true }
    metrics: {}
`
		out := kvStream(t, "cache_resources:\n  - label: risk\n    "+cache+"\n", grant,
			batchOf("set:c1={\"score\":7}", "set:c2=low"), batchOf("c1", "nope", "c2", ""))
		assert.Equal(t, []kvSeen{
			{value: `set:c1={"score":7}`}, {value: "set:c2=low"},
			{value: `{"score":7}`}, {value: "nope", kv: "miss"}, {value: "low"},
			{value: "", errText: "guest_error: kv invalid_key", class: "guest_error"},
		}, out, cache)
	}
	labels := "[lookup root.pipeline.processors.0 kvlookup 0.3.0]"
	lookups, ok := guestMetricsSeen.get("weir_guest_lookups" + labels)
	require.True(t, ok, "the guest's counter is exported with the transform's labels")
	assert.Equal(t, int64(3*6), lookups)
	hits, _ := guestMetricsSeen.get("weir_guest_hits" + labels)
	assert.Equal(t, int64(3*2), hits)
	size, _ := guestMetricsSeen.get("weir_guest_batch_size" + labels)
	assert.Equal(t, int64(4), size, "the gauge holds the last batch's size")
}

// A module declaring capabilities the pipeline does not grant, or grants
// on a cache that does not exist, is refused at start, saying what to
// grant.
func TestUngrantedCapabilitiesRefuseTheProcessor(t *testing.T) {
	for _, tc := range []struct{ resources, grants, want string }{
		{"", "", "declares capability \"kv\", which this pipeline does not grant; grant it in the wasm processor's config:\n  capabilities:\n    kv:\n      namespaces:\n        risk:\n          cache: <a cache_resources label>\n          write: true"},
		{"cache_resources:\n  - label: risk\n    memory: {}\n", "  capabilities:\n    kv:\n      namespaces:\n        risk: { cache: risk, write: true }\n",
			`declares capability "metrics", which this pipeline does not grant`},
		{"cache_resources:\n  - label: risk\n    memory: {}\n", kvGrant, `the module writes, and namespace "risk" is granted read-only`},
		{"", kvGrant, `field capabilities.kv: namespaces.risk: cache: no cache resource "risk": declare it under cache_resources`},
	} {
		b := service.NewStreamBuilder()
		require.NoError(t, b.SetLoggerYAML("level: none"))
		if tc.resources != "" {
			require.NoError(t, b.AddResourcesYAML(tc.resources))
		}
		require.NoError(t, b.AddProcessorYAML(kvProc(t, tc.grants)))
		_, err := b.AddBatchProducerFunc()
		require.NoError(t, err)
		require.NoError(t, b.AddBatchConsumerFunc(func(context.Context, service.MessageBatch) error { return nil }))
		stream, err := b.Build()
		if err == nil {
			err = stream.Run(fixtures.Patient(t))
		}
		require.Error(t, err, tc.grants)
		assert.Contains(t, err.Error(), tc.want)
	}
}
