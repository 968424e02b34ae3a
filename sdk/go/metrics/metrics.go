// Package metrics is the guest side of weir's metrics capability:
// counters, gauges and histograms a transform declares in its manifest
// and updates from its code; the host exports them through the
// pipeline's metrics as weir_guest_<name>, labelled with the transform's
// name and version (docs/abi.md, "Capability metrics").
//
//	var enriched = metrics.Counter("enriched")
//	enriched.Add(1)
//
// with, in the manifest:
//
//	"capabilities": {"metrics": {"counters": ["enriched"]}}
//
// Updating a metric the manifest does not declare fails the batch.
package metrics

// Counter is a declared counter: it only goes up.
type Counter string

// Add adds n (>= 0: a negative n fails the batch) to the counter.
func (c Counter) Add(n int64) { counterAdd(string(c), n) }

// Gauge is a declared gauge.
type Gauge string

// Set sets the gauge to v.
func (g Gauge) Set(v int64) { gaugeSet(string(g), v) }

// Histogram is a declared histogram. The host records its values as
// Benthos timings: nanoseconds, for the exporters that convert them.
type Histogram string

// Observe records v.
func (h Histogram) Observe(v int64) { histogramObserve(string(h), v) }
