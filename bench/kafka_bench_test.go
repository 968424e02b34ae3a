package bench

import (
	"testing"
)

// BenchmarkKafka reports msgs/s through kafka in → processor → kafka out:
//
//	go test -bench Kafka -run XXX -benchtime 1x ./bench
func BenchmarkKafka(b *testing.B) {
	orders, err := LoadOrders(OrdersPath())
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range KafkaCases(modules(b)) {
		b.Run(c.Name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				rate, cpu, err := KafkaThroughput(c.Processors[0], orders, 50_000)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(rate, "msgs/s")
				b.ReportMetric(cpu, "cpu-ns/msg")
			}
		})
	}
}
