package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/tetratelabs/wazero/api"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// The metrics capability: counters, gauges and histograms a module
// declares by name and updates from its code, exported by the pool's
// MetricsSink (the host's: Benthos metrics, labelled with the transform's
// name and version). docs/abi.md, "Capability metrics".

// MetricsModule is the import module of the metrics capability's host functions.
const MetricsModule = "weir_metrics"

// MaxGuestMetrics caps the metrics one module declares.
const MaxGuestMetrics = 64

var metricsCapability = &capability{
	name:   "metrics",
	module: MetricsModule,
	funcs: map[string]hostFunc{
		"counter_add":       {sig: wasmbin.FuncType{Params: []byte{wasmbin.ValI32, wasmbin.ValI32, wasmbin.ValI64}}, fn: metricsHost(MetricCounter)},
		"gauge_set":         {sig: wasmbin.FuncType{Params: []byte{wasmbin.ValI32, wasmbin.ValI32, wasmbin.ValI64}}, fn: metricsHost(MetricGauge)},
		"histogram_observe": {sig: wasmbin.FuncType{Params: []byte{wasmbin.ValI32, wasmbin.ValI32, wasmbin.ValI64}}, fn: metricsHost(MetricHistogram)},
	},
	declare: declareMetrics,
	bind:    bindMetrics,
	hint:    func(any) string { return "metrics: {}\n" },
}

// MetricKind is a guest metric's kind.
type MetricKind string

// Metric kinds, as the manifest names their lists.
const (
	MetricCounter   MetricKind = "counters"
	MetricGauge     MetricKind = "gauges"
	MetricHistogram MetricKind = "histograms"
)

// metricName is what a guest metric may be called (Prometheus-safe).
var metricName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// metricsDecl is {"counters": [...], "gauges": [...], "histograms": [...]}.
type metricsDecl map[MetricKind][]string

func declareMetrics(raw json.RawMessage) (any, error) {
	var d metricsDecl
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf(`want {"counters": ["<name>", …], "gauges": […], "histograms": […]}: %w`, err)
	}
	seen, total := map[string]bool{}, 0
	for kind, names := range d {
		if kind != MetricCounter && kind != MetricGauge && kind != MetricHistogram {
			return nil, fmt.Errorf("unknown metric kind %q (want counters, gauges or histograms)", kind)
		}
		for _, n := range names {
			if !metricName.MatchString(n) {
				return nil, fmt.Errorf("%s: name %q: want a lower-case letter, then up to 63 of a-z 0-9 _", kind, n)
			}
			if seen[n] {
				return nil, fmt.Errorf("metric %q declared twice", n)
			}
			seen[n] = true
			total++
		}
	}
	if total > MaxGuestMetrics {
		return nil, fmt.Errorf("declares %d metrics, over the cap of %d", total, MaxGuestMetrics)
	}
	return d, nil
}

// MetricsGrant grants the metrics capability.
type MetricsGrant struct {
	// Sink makes the pool's metrics. Required.
	Sink MetricsSink
}

// Capability implements Grant.
func (MetricsGrant) Capability() string { return "metrics" }

// MetricsSink exports guest metrics.
type MetricsSink interface {
	// Metric returns the function updating the metric name of kind for
	// the transform version info: add to a counter, set a gauge, observe
	// a histogram value. It is called once per metric, when a pool starts.
	Metric(info BindInfo, kind MetricKind, name string) func(value int64)
}

// metricsBinding is a pool's guest metrics, by kind and name.
type metricsBinding map[MetricKind]map[string]func(int64)

func bindMetrics(decl any, grant Grant, info BindInfo) (any, error) {
	g, ok := grant.(MetricsGrant)
	if !ok || g.Sink == nil {
		return nil, fmt.Errorf("grant has no metrics sink")
	}
	b := metricsBinding{}
	for kind, names := range decl.(metricsDecl) {
		b[kind] = map[string]func(int64){}
		for _, n := range names {
			b[kind][n] = g.Sink.Metric(info, kind, n)
		}
	}
	return b, nil
}

// metricsHost is weir_metrics.<kind>(name_ptr, name_len, value i64): a
// name the manifest did not declare under kind, or a negative counter
// increment, fails the batch as bad_output.
func metricsHost(kind MetricKind) func(context.Context, *callState, api.Module, []uint64) {
	fn := "weir_metrics." + map[MetricKind]string{MetricCounter: "counter_add", MetricGauge: "gauge_set", MetricHistogram: "histogram_observe"}[kind]
	return func(_ context.Context, s *callState, mod api.Module, stack []uint64) {
		b, _ := s.binding("metrics").(metricsBinding)
		if b == nil {
			panic(hostFault(fn, "the pool grants no metrics capability"))
		}
		ptr, n, v := api.DecodeU32(stack[0]), api.DecodeU32(stack[1]), int64(stack[2])
		if n > 64 {
			panic(hostFault(fn, "metric name of %d bytes, over the cap of 64", n))
		}
		name, ok := mod.Memory().Read(ptr, n)
		if !ok {
			panic(hostFault(fn, "metric name [%d, +%d) is outside linear memory", ptr, n))
		}
		update, ok := b[kind][string(name)]
		if !ok {
			panic(hostFault(fn, "%s %q is not declared in the manifest's metrics (declared: %s)", strings.TrimSuffix(string(kind), "s"), guestText(name, 64), b.names(kind)))
		}
		if kind == MetricCounter && v < 0 {
			panic(hostFault(fn, "counter %q: negative increment %d (counters only go up; use a gauge)", name, v))
		}
		update(v)
	}
}

func (b metricsBinding) names(kind MetricKind) string {
	var names []string
	for n := range b[kind] {
		names = append(names, fmt.Sprintf("%q", n))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
