package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// KafkaThroughput loads n orders into a topic of an in-process Kafka
// (kfake), then times a Benthos stream kafka in → processor → kafka out
// until all n reached the output topic. It returns messages per second and
// the process's CPU time per message over the same stretch (the in-process
// broker's included).
func KafkaThroughput(processor string, orders [][]byte, n int) (rate, cpuNsPerMsg float64, err error) {
	return KafkaThroughputWith(processor, KafkaVariant{}, orders, n)
}

// KafkaVariant changes KafkaThroughput's stream and broker.
type KafkaVariant struct {
	InputFields, OutputFields string        // extra kafka input and output fields, flow-style YAML ("max_in_flight: 1")
	ProduceDelay              time.Duration // the broker holds each produce request this long (a network's round trip)
}

// KafkaThroughputWith is KafkaThroughput with a variant.
func KafkaThroughputWith(processor string, v KafkaVariant, orders [][]byte, n int) (rate, cpuNsPerMsg float64, err error) {
	inputFields, outputFields := "", ""
	if v.InputFields != "" {
		inputFields = ", " + v.InputFields
	}
	if v.OutputFields != "" {
		outputFields = ", " + v.OutputFields
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "in", "out"))
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	broker := strings.Join(c.ListenAddrs(), ",")
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		return 0, 0, err
	}
	defer cl.Close()
	ctx := context.Background()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: "in", Key: []byte(fmt.Sprint(i % 100)), Value: orders[i%len(orders)]}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return 0, 0, err
	}
	if v.ProduceDelay > 0 {
		c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			c.SleepControl(func() { time.Sleep(v.ProduceDelay) })
			return nil, nil, false
		})
	}
	sb := service.NewStreamBuilder()
	if err := sb.SetLoggerYAML("level: warn"); err != nil {
		return 0, 0, err
	}
	if err := sb.AddInputYAML(fmt.Sprintf("kafka: { seed_brokers: [%q], topics: [in], consumer_group: bench%s }", broker, inputFields)); err != nil {
		return 0, 0, err
	}
	if err := sb.AddProcessorYAML(processor); err != nil {
		return 0, 0, err
	}
	if err := sb.AddOutputYAML(fmt.Sprintf("kafka: { seed_brokers: [%q], topic: out, key: '${! @kafka_key }'%s }", broker, outputFields)); err != nil {
		return 0, 0, err
	}
	stream, err := sb.Build()
	if err != nil {
		return 0, 0, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	start, cpu0 := time.Now(), CPUTime()
	go func() { _ = stream.Run(runCtx) }()
	adm := kadm.NewClient(cl)
	for deadline := start.Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		ends, err := adm.ListEndOffsets(ctx, "out")
		if err != nil {
			return 0, 0, err
		}
		var total int64
		ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
		if total >= int64(n) {
			elapsed, cpu := time.Since(start), CPUTime()-cpu0
			_ = stream.Stop(ctx)
			return float64(n) / elapsed.Seconds(), float64(cpu.Nanoseconds()) / float64(n), nil
		}
	}
	return 0, 0, fmt.Errorf("kafka throughput: output incomplete after 5 minutes")
}
