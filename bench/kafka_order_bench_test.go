package bench

import (
	"testing"
	"time"
)

// BenchmarkKafkaOrder compares the kafka output's ways to write (default
// pipeline threads, no-op processor): the order gate (the default), no gate
// (keep_order: false, per-key order lost) and one write at a time
// (max_in_flight: 1), each with big poll batches on a loopback broker and
// with small ones (max_poll_records: 20, a live stream's) against a broker
// that holds every produce request 2 ms (a network's round trip). Each
// round runs every variant, in a rotating order, so -count interleaves
// them:
//
//	go test -bench KafkaOrder -run XXX -benchtime 1x -count 6 ./bench
func BenchmarkKafkaOrder(b *testing.B) {
	orders, err := LoadOrders(OrdersPath())
	if err != nil {
		b.Fatal(err)
	}
	ways := []struct{ name, fields string }{
		{"keep_order", ""},
		{"unordered", "keep_order: false"},
		{"max_in_flight_1", "max_in_flight: 1"},
	}
	setups := []struct {
		name string
		v    KafkaVariant
		n    int
	}{
		{"loopback", KafkaVariant{}, 50_000},
		{"rtt2ms_poll20", KafkaVariant{InputFields: "max_poll_records: 20", ProduceDelay: 2 * time.Millisecond}, 10_000},
	}
	for i := 0; i < b.N; i++ {
		for _, s := range setups {
			for j := range ways {
				w := ways[(i+j)%len(ways)]
				v := s.v
				v.OutputFields = w.fields
				rate, cpu, err := KafkaThroughputWith("bench_noop: {}", v, orders, s.n)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(rate, s.name+"/"+w.name+"-msgs/s")
				b.ReportMetric(cpu, s.name+"/"+w.name+"-cpu-ns/msg")
			}
		}
	}
}
