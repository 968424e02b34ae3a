//go:build wasip1

package metrics

import "unsafe"

//go:wasmimport weir_metrics counter_add
func hostCounterAdd(ptr, n uint32, v int64)

//go:wasmimport weir_metrics gauge_set
func hostGaugeSet(ptr, n uint32, v int64)

//go:wasmimport weir_metrics histogram_observe
func hostHistogramObserve(ptr, n uint32, v int64)

func counterAdd(name string, v int64)       { hostCounterAdd(strPtr(name), uint32(len(name)), v) }
func gaugeSet(name string, v int64)         { hostGaugeSet(strPtr(name), uint32(len(name)), v) }
func histogramObserve(name string, v int64) { hostHistogramObserve(strPtr(name), uint32(len(name)), v) }

func strPtr(s string) uint32 {
	if len(s) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.StringData(s))))
}
