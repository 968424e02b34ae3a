package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Delivery is one way the kafka input and output can run the same
// pipeline: at-least-once, or exactly-once with Batches input batches per
// transaction.
type Delivery struct {
	Name    string
	Batches int // 0: at-least-once
}

// Deliveries are the cases of the exactly-once table.
var Deliveries = []Delivery{
	{Name: "at-least-once", Batches: 0},
	{Name: "exactly-once, 1 batch per transaction", Batches: 1},
	{Name: "exactly-once, up to 8 batches per transaction", Batches: 8},
}

// KafkaDeliveryThroughput loads n orders into a topic of an in-process
// Kafka, then times kafka in → processor → kafka out with delivery d until
// every record is done: in the output topic (at-least-once), or in a
// committed transaction with its input offsets (exactly-once). It returns
// messages per second and the process's CPU time per message.
func KafkaDeliveryThroughput(processor string, d Delivery, orders [][]byte, n int) (rate, cpuNsPerMsg float64, err error) {
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
	stream, err := deliveryStream(broker, processor, d)
	if err != nil {
		return 0, 0, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	start, cpu0 := time.Now(), CPUTime()
	go func() { _ = stream.Run(runCtx) }()
	done := outputHolds(cl, n)
	if d.Batches > 0 {
		done = groupCommitted(cl)
	}
	for deadline := start.Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		ok, err := done(ctx)
		if err != nil {
			return 0, 0, err
		}
		if ok {
			elapsed, cpu := time.Since(start), CPUTime()-cpu0
			_ = stream.Stop(ctx)
			return float64(n) / elapsed.Seconds(), float64(cpu.Nanoseconds()) / float64(n), nil
		}
	}
	return 0, 0, fmt.Errorf("kafka %s: output incomplete after 5 minutes", d.Name)
}

func deliveryStream(broker, processor string, d Delivery) (*service.Stream, error) {
	inTxn, outTxn := "", ""
	if d.Batches > 0 {
		inTxn = fmt.Sprintf(", transaction: { id: bench-eos, max_batches: %d }", d.Batches)
		outTxn = ", transaction: { id: bench-eos }"
	}
	sb := service.NewStreamBuilder()
	if err := sb.SetLoggerYAML("level: warn"); err != nil {
		return nil, err
	}
	if err := sb.AddInputYAML(fmt.Sprintf("kafka: { seed_brokers: [%q], topics: [in], consumer_group: bench%s }", broker, inTxn)); err != nil {
		return nil, err
	}
	if err := sb.AddProcessorYAML(processor); err != nil {
		return nil, err
	}
	if err := sb.AddOutputYAML(fmt.Sprintf("kafka: { seed_brokers: [%q], topic: out, key: '${! @kafka_key }'%s }", broker, outTxn)); err != nil {
		return nil, err
	}
	return sb.Build()
}

// outputHolds reports whether topic out holds n records.
func outputHolds(cl *kgo.Client, n int) func(context.Context) (bool, error) {
	adm := kadm.NewClient(cl)
	return func(ctx context.Context) (bool, error) {
		ends, err := adm.ListEndOffsets(ctx, "out")
		if err != nil {
			return false, err
		}
		var total int64
		ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
		return total >= int64(n), nil
	}
}

// groupCommitted reports whether group bench committed topic in to its end.
func groupCommitted(cl *kgo.Client) func(context.Context) (bool, error) {
	adm := kadm.NewClient(cl)
	return func(ctx context.Context) (bool, error) {
		ends, err := adm.ListEndOffsets(ctx, "in")
		if err != nil {
			return false, err
		}
		offsets, err := adm.FetchOffsets(ctx, "bench")
		if errors.Is(err, kerr.GroupIDNotFound) {
			return false, nil // not joined yet
		}
		if err != nil {
			return false, err
		}
		all := true
		ends.Each(func(o kadm.ListedOffset) {
			c, ok := offsets.Lookup("in", o.Partition)
			all = all && ok && c.At == o.Offset
		})
		return all, nil
	}
}
