package host_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/bench/ledger"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testnats"
)

// orderRecords is the ledger size of the order tests: enough small batches
// (orderBatch records each) that the output's 64 concurrent writers
// overtake each other many times when nothing orders them.
const (
	orderRecords = 20_000
	orderBatch   = 20
)

// runOrderStream runs a stream of one processing thread until the test ends.
func runOrderStream(t *testing.T, input, output string) {
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: warn"))
	b.SetThreads(1)
	require.NoError(t, b.AddInputYAML(input))
	require.NoError(t, b.AddOutputYAML(output))
	stream, err := b.Build()
	require.NoError(t, err)
	go func() { _ = stream.Run(context.Background()) }()
	t.Cleanup(func() { require.NoError(t, stream.Stop(fixtures.Patient(t))) })
}

// TestKafkaKeepsPerKeyOrderWithDefaultInFlight: kafka in → kafka out with
// the output's defaults (max_in_flight 64) and one processing thread: no
// record of a key may overtake an older one, at least once or exactly once
// with several batches in a transaction (read committed).
func TestKafkaKeepsPerKeyOrderWithDefaultInFlight(t *testing.T) {
	for _, c := range []struct{ name, in, out string }{
		{"at least once", "", ""},
		{"exactly once, 8 batches a transaction", ", transaction: { id: order-txn, max_batches: 8 }", ", transaction: { id: order-txn }"},
	} {
		t.Run(c.name, func(t *testing.T) {
			brokers := startKafka(t, "in", "out", "dlq")
			require.NoError(t, ledger.Write(context.Background(), kafkaClient(t, brokers), "in", orderRecords, 50))
			runOrderStream(t,
				fmt.Sprintf("kafka: { seed_brokers: [%q], topics: [in], consumer_group: order, max_poll_records: %d%s }", brokers, orderBatch, c.in),
				fmt.Sprintf("kafka: { seed_brokers: [%q], topic: out, key: '${! @kafka_key }'%s }", brokers, c.out))
			reader := kafkaClient(t, brokers, kgo.ConsumeTopics("out"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
			rep, err := ledger.Check(fixtures.Patient(t), reader, "out", "dlq", orderRecords, time.Minute)
			require.NoError(t, err)
			t.Logf("kafka, default max_in_flight: %s", rep)
			assert.Zero(t, rep.Missing, "missing, first: %v", rep.FirstMissing)
			assert.Zero(t, rep.Inversions, "per-key order inversions")
		})
	}
}

// TestNATSKeepsPerKeyOrderWithDefaultInFlight is the same through NATS
// JetStream (publish-async, ack futures).
func TestNATSKeepsPerKeyOrderWithDefaultInFlight(t *testing.T) {
	url, js := testnats.Start(t, "ORDER", "order.>")
	ctx := context.Background()
	const n = orderRecords / 2 // JetStream is slower here; half still shows the inversions without the gate
	require.NoError(t, ledger.WriteJetStream(ctx, js, "order.in", n, 50))
	runOrderStream(t,
		fmt.Sprintf("nats_jetstream: { urls: [%q], stream: ORDER, filter_subjects: [order.in], durable: order, batch_size: %d }", url, orderBatch),
		fmt.Sprintf("nats_jetstream: { urls: [%q], subject: order.out }", url))
	rep, err := ledger.CheckJetStream(fixtures.Patient(t), js, "ORDER", "order.out", "order.dlq", n, time.Minute)
	require.NoError(t, err)
	t.Logf("nats, default max_in_flight: %s", rep)
	assert.Zero(t, rep.Missing, "missing, first: %v", rep.FirstMissing)
	assert.Zero(t, rep.Inversions, "per-key order inversions")
}
