//go:build !wasip1

package metrics

import "sync"

// Outside a wasm host (a transform's native tests) updates land in Native:
// counters summed, gauges and histograms' last value, by name.
var Native = struct {
	sync.Mutex
	Values map[string]int64
}{Values: map[string]int64{}}

func counterAdd(name string, v int64) {
	if v < 0 {
		panic("metrics: negative increment of counter " + name)
	}
	Native.Lock()
	defer Native.Unlock()
	Native.Values[name] += v
}

func gaugeSet(name string, v int64) { last(name, v) }

func histogramObserve(name string, v int64) { last(name, v) }

func last(name string, v int64) {
	Native.Lock()
	defer Native.Unlock()
	Native.Values[name] = v
}
