package host_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/internal/fixtures"
)

// startKafka runs a real Kafka protocol implementation on loopback.
func startKafka(t *testing.T, topics ...string) string {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topics...))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return strings.Join(c.ListenAddrs(), ",")
}

func kafkaClient(t *testing.T, brokers string, opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(brokers, ",")...)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	return cl
}

// consumeAll reads topics until n records arrived or fixtures.Patience
// passed.
func consumeAll(t *testing.T, brokers string, n int, topics ...string) []*kgo.Record {
	cl := kafkaClient(t, brokers, kgo.ConsumeTopics(topics...), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx := fixtures.Patient(t)
	var out []*kgo.Record
	for len(out) < n && ctx.Err() == nil {
		out = append(out, cl.PollFetches(ctx).Records()...)
	}
	return out
}

// TestKafkaRoundTripWithRoutingAndDeadLetters: records in a topic go through
// a wasm transform; route ports map to topics, failures to a dead-letter
// topic; keys and headers survive; every offset is committed.
func TestKafkaRoundTripWithRoutingAndDeadLetters(t *testing.T) {
	brokers := startKafka(t, "in", "out-default", "out-a", "dlq")
	var sent []*kgo.Record
	commands := []string{"keep", "route:a", "error:bad", "set:x"}
	for i := 0; i < 200; i++ {
		sent = append(sent, &kgo.Record{Topic: "in", Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(commands[i%4]),
			Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte(fmt.Sprint(i))}}})
	}
	require.NoError(t, kafkaClient(t, brokers).ProduceSync(context.Background(), sent...).FirstErr())

	module := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "sdk/go/internal/conformance")))
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: warn"))
	require.NoError(t, b.AddInputYAML(fmt.Sprintf(`
kafka:
  seed_brokers: [%q]
  topics: [in]
  consumer_group: weir-test
  max_poll_records: 50
`, brokers)))
	require.NoError(t, b.AddProcessorYAML("wasm: { module: "+module+", cache_dir: "+fixtures.CacheDir(t)+" }"))
	require.NoError(t, b.AddOutputYAML(fmt.Sprintf(`
switch:
  cases:
    - check: errored()
      output:
        kafka: { seed_brokers: [%[1]q], topic: dlq, key: '${! @kafka_key }' }
    - output:
        kafka: { seed_brokers: [%[1]q], topic: 'out-${! @weir_port.or("default") }', key: '${! @kafka_key }' }
`, brokers)))
	stream, err := b.Build()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()

	got := consumeAll(t, brokers, 200, "out-default", "out-a", "dlq")
	require.NoError(t, stream.Stop(context.Background()))
	cancel()
	<-done
	require.Len(t, got, 200, "every record arrives exactly once somewhere")

	byTopic := map[string]int{}
	keys := map[string]bool{}
	for _, r := range got {
		byTopic[r.Topic]++
		keys[string(r.Key)] = true
		headers := map[string]string{}
		for _, h := range r.Headers {
			headers[h.Key] = string(h.Value)
		}
		assert.NotEmpty(t, headers["trace"], "headers survive the pipeline")
		if r.Topic == "dlq" {
			assert.Equal(t, "guest_error", headers["weir_error_class"])
		}
	}
	assert.Equal(t, map[string]int{"out-default": 100, "out-a": 50, "dlq": 50}, byTopic)
	assert.Len(t, keys, 200)

	// every partition's committed offset reached its end
	adm := kadm.NewClient(kafkaClient(t, brokers))
	offsets, err := adm.FetchOffsets(context.Background(), "weir-test")
	require.NoError(t, err)
	ends, err := adm.ListEndOffsets(context.Background(), "in")
	require.NoError(t, err)
	ends.Each(func(o kadm.ListedOffset) {
		c, ok := offsets.Lookup("in", o.Partition)
		require.True(t, ok, "partition %d committed", o.Partition)
		assert.Equal(t, o.Offset, c.At, "partition %d committed up to its end", o.Partition)
	})
}
