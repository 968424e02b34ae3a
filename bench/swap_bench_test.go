package bench

import "testing"

// BenchmarkSwap reports a cached Go module's tag-moved-to-serving time.
func BenchmarkSwap(b *testing.B) {
	orders, err := LoadOrders(OrdersPath())
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		res, err := Swap(orders, 10)
		if err != nil {
			b.Fatal(err)
		}
		med, worst := Percentiles(res.TagToServing)
		b.ReportMetric(float64(med.Microseconds())/1000, "ms-tag-to-serving")
		b.ReportMetric(float64(worst.Microseconds())/1000, "ms-tag-to-serving-max")
		b.ReportMetric(float64(res.WorstBatch.Microseconds())/1000, "ms-worst-batch-during-swap")
		b.ReportMetric(float64(res.WorstSteady.Microseconds())/1000, "ms-worst-batch-steady")
	}
}
