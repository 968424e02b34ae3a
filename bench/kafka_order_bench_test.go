package bench

import "testing"

// BenchmarkKafkaOrder compares the kafka output's ways to write (default
// pipeline threads, no-op processor): the order gate (the default), no gate
// (keep_order: false, per-key order lost) and one write at a time
// (max_in_flight: 1). Interleave the rounds:
//
//	go test -bench KafkaOrder -run XXX -benchtime 1x -count 6 ./bench
func BenchmarkKafkaOrder(b *testing.B) {
	orders, err := LoadOrders(OrdersPath())
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, fields string }{
		{"keep_order", ""},
		{"unordered", "keep_order: false"},
		{"max_in_flight_1", "max_in_flight: 1"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				rate, cpu, err := KafkaThroughputWith("bench_noop: {}", c.fields, orders, 50_000)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(rate, "msgs/s")
				b.ReportMetric(cpu, "cpu-ns/msg")
			}
		})
	}
}
