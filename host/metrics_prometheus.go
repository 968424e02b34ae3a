package host

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redpanda-data/benthos/v4/public/service"
)

// The prometheus metrics exporter: Benthos v4's core ships none (only
// logger and none), so weir registers its own, and with it being
// registered Benthos makes it the default of every config without a
// metrics section. It serves the Prometheus text format at /metrics (and
// /stats) of Benthos's HTTP server; docs/metrics.md lists what weir emits.

func init() {
	err := service.RegisterMetricsExporter("prometheus", prometheusSpec(),
		func(_ *service.ParsedConfig, log *service.Logger) (service.MetricsExporter, error) {
			return newPrometheusExporter(log), nil
		})
	if err != nil {
		panic(err)
	}
}

func prometheusSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Summary("Exposes the pipeline's metrics in Prometheus's text format at `/metrics` of the HTTP server.").
		Description("Counters and gauges are Prometheus counters and gauges; timers are histograms of nanoseconds " +
			"(buckets from 1 µs, ×4 each, to about 4 s). Each metric keeps the labels it was made with; a name made " +
			"again with other labels or of another kind is not exported the second time, and that is logged. " +
			"docs/metrics.md lists every metric weir emits.")
}

// latencyBucketsNs are the timers' histogram buckets: 1 µs × 4^k.
var latencyBucketsNs = prometheus.ExponentialBuckets(1e3, 4, 12)

type prometheusExporter struct {
	reg *prometheus.Registry
	log *service.Logger

	mu   sync.Mutex
	vecs map[string]promVec // by exported name
}

// promVec is one exported metric family: its kind and label names, to
// check the next maker of the same name against.
type promVec struct {
	kind   string
	labels string
	vec    any // *prometheus.CounterVec, GaugeVec or HistogramVec
}

func newPrometheusExporter(log *service.Logger) *prometheusExporter {
	return &prometheusExporter{reg: prometheus.NewRegistry(), log: log, vecs: map[string]promVec{}}
}

// family returns the family name, creating it with make on first use;
// nil when the name is taken by another kind or other labels.
func (e *prometheusExporter) family(kind, name string, labels []string, make func(name string) prometheus.Collector) any {
	name = promName(name)
	key := strings.Join(labels, ",")
	e.mu.Lock()
	defer e.mu.Unlock()
	if f, ok := e.vecs[name]; ok {
		if f.kind == kind && f.labels == key {
			return f.vec
		}
		e.log.Warnf("weir: prometheus: metric %s made as a %s with labels [%s], already a %s with labels [%s]: not exported again", name, kind, key, f.kind, f.labels)
		return nil
	}
	c := make(name)
	if err := e.reg.Register(c); err != nil {
		e.log.Warnf("weir: prometheus: metric %s: %v", name, err)
		return nil
	}
	e.vecs[name] = promVec{kind: kind, labels: key, vec: c}
	return c
}

func (e *prometheusExporter) NewCounterCtor(name string, labels ...string) service.MetricsExporterCounterCtor {
	vec, _ := e.family("counter", name, labels, func(n string) prometheus.Collector {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: n, Help: "Benthos counter " + n}, labels)
	}).(*prometheus.CounterVec)
	return func(values ...string) service.MetricsExporterCounter {
		if vec == nil {
			return noMetric{}
		}
		c, err := vec.GetMetricWithLabelValues(values...)
		if err != nil {
			return noMetric{}
		}
		return promCounter{c}
	}
}

func (e *prometheusExporter) NewTimerCtor(name string, labels ...string) service.MetricsExporterTimerCtor {
	vec, _ := e.family("timer", name, labels, func(n string) prometheus.Collector {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: n, Help: "Benthos timer " + n + " (nanoseconds)", Buckets: latencyBucketsNs}, labels)
	}).(*prometheus.HistogramVec)
	return func(values ...string) service.MetricsExporterTimer {
		if vec == nil {
			return noMetric{}
		}
		h, err := vec.GetMetricWithLabelValues(values...)
		if err != nil {
			return noMetric{}
		}
		return promTimer{h}
	}
}

func (e *prometheusExporter) NewGaugeCtor(name string, labels ...string) service.MetricsExporterGaugeCtor {
	vec, _ := e.family("gauge", name, labels, func(n string) prometheus.Collector {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: n, Help: "Benthos gauge " + n}, labels)
	}).(*prometheus.GaugeVec)
	return func(values ...string) service.MetricsExporterGauge {
		if vec == nil {
			return noMetric{}
		}
		g, err := vec.GetMetricWithLabelValues(values...)
		if err != nil {
			return noMetric{}
		}
		return promGauge{g}
	}
}

// HandlerFunc serves the metrics; Benthos mounts it at /metrics and /stats.
func (e *prometheusExporter) HandlerFunc() http.HandlerFunc {
	return promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{}).ServeHTTP
}

func (e *prometheusExporter) Close(context.Context) error { return nil }

// promName is name with what Prometheus does not allow in a name made _.
func promName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, name)
}

type promCounter struct{ c prometheus.Counter }

func (p promCounter) Incr(n int64)          { p.c.Add(float64(n)) }
func (p promCounter) IncrFloat64(n float64) { p.c.Add(n) }

type promGauge struct{ g prometheus.Gauge }

func (p promGauge) Set(v int64)          { p.g.Set(float64(v)) }
func (p promGauge) SetFloat64(v float64) { p.g.Set(v) }

type promTimer struct{ h prometheus.Observer }

func (p promTimer) Timing(ns int64) { p.h.Observe(float64(ns)) }

// noMetric stands for a metric that could not be exported.
type noMetric struct{}

func (noMetric) Incr(int64)   {}
func (noMetric) Set(int64)    {}
func (noMetric) Timing(int64) {}
