package host

import (
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/runtime"
)

// The metrics grant: a transform's declared counters, gauges and
// histograms become the pipeline's metrics, named weir_guest_<name> and
// labelled with the transform's name and version.

var metricsHostCapability = hostCapability{name: "metrics", field: metricsGrantField, grant: parseMetricsGrant}

// guestMetricPrefix starts the name of every guest metric, so a guest
// cannot shadow the host's (weir_records_in, …) or another component's.
const guestMetricPrefix = "weir_guest_"

func metricsGrantField() *service.ConfigField {
	return service.NewObjectField("metrics").
		Description("Guest metrics: the counters, gauges and histograms the module's manifest declares, exported through the pipeline's metrics as `weir_guest_<name>` with labels `transform` and `version`. Histograms are Benthos timers: the guest's values are taken as nanoseconds.")
}

func parseMetricsGrant(_ *service.ParsedConfig, mgr *service.Resources) (runtime.Grant, error) {
	return runtime.MetricsGrant{Sink: benthosMetrics{mgr.Metrics()}}, nil
}

// benthosMetrics exports guest metrics through Benthos's metrics.
type benthosMetrics struct{ m *service.Metrics }

// Metric makes the Benthos metric of a guest's; its label values are one
// slice, made once (passed one by one they would be a slice per update).
func (b benthosMetrics) Metric(info runtime.BindInfo, kind runtime.MetricKind, name string) func(int64) {
	labels := []string{info.Manifest.Name, info.Manifest.Version}
	name = guestMetricPrefix + name
	switch kind {
	case runtime.MetricCounter:
		c := b.m.NewCounter(name, "transform", "version")
		return func(v int64) { c.Incr(v, labels...) }
	case runtime.MetricGauge:
		g := b.m.NewGauge(name, "transform", "version")
		return func(v int64) { g.Set(v, labels...) }
	}
	t := b.m.NewTimer(name, "transform", "version")
	return func(v int64) { t.Timing(v, labels...) }
}
