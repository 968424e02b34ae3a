package host_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/internal/fixtures"
)

func redpandaProc(t *testing.T, wasm []byte, extra string) string {
	return fmt.Sprintf("wasm:\n  module: %s\n  cache_dir: %s\n  pool_size: 2\n%s", writeModule(t, wasm), fixtures.CacheDir(t), extra)
}

// The Redpanda SDK's four examples, built unmodified from the module
// proxy, each doing in a Benthos pipeline what its documentation says.
func TestRedpandaExamplesInAPipeline(t *testing.T) {
	for _, tc := range []struct {
		example, config string
		in              []string
		want            []seen
	}{
		{"mirror", "", []string{"a", "", "c"}, []seen{{value: "a"}, {value: ""}, {value: "c"}}},
		{"regexp_filter", "  config: { env: { PATTERN: '^a', MATCH_VALUE: '1' } }\n", []string{"apple", "banana", "avocado"},
			[]seen{{value: "apple"}, {value: "avocado"}}},
		{"transcoding", "", []string{"k1,foo,1\nk2,bar,2", "k3,baz,x"},
			[]seen{{value: `{"a":"foo","b":1}`}, {value: `{"a":"bar","b":2}`}, {value: "k3,baz,x", class: "trap"}}},
		{"validation", "  config: { output_topics: [orders, invalid_json] }\n", []string{`{"ok":true}`, `{"ok":`},
			[]seen{{value: `{"ok":true}`}, {value: `{"ok":`, port: "invalid_json"}}},
	} {
		t.Run(tc.example, func(t *testing.T) {
			out := pipeline(t, redpandaProc(t, fixtures.Warm(t, fixtures.Redpanda(t, tc.example)), tc.config), batchOf(tc.in...))
			got := describe(t, out)
			for i := range got {
				got[i].errText = "" // the class is what is asserted; the text names the guest's panic
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// Kafka → a Redpanda transform → Kafka: keys and headers survive the
// module, a record whose transform traps or runs out of fuel lands in the
// dead-letter topic with its class, and the records after it flow.
func TestRedpandaKafkaRoundTripWithDeadLetters(t *testing.T) {
	brokers := startKafka(t, "in", "out", "dlq")
	var sent []*kgo.Record
	values := []string{"ok", "panic", "ok", "loop"}
	for i := 0; i < 40; i++ {
		sent = append(sent, &kgo.Record{Topic: "in", Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(values[i%4]),
			Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte(fmt.Sprint(i))}}})
	}
	require.NoError(t, kafkaClient(t, brokers).ProduceSync(context.Background(), sent...).FirstErr())

	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: warn"))
	require.NoError(t, b.AddInputYAML(fmt.Sprintf("kafka: { seed_brokers: [%q], topics: [in], consumer_group: weir-redpanda, max_poll_records: 10 }", brokers)))
	require.NoError(t, b.AddProcessorYAML(redpandaProc(t, fixtures.Warm(t, fixtures.RedpandaGuest(t, "runtime/testdata/guests/redpanda/poison")), "  fuel: 200000000\n")))
	require.NoError(t, b.AddOutputYAML(fmt.Sprintf(`
switch:
  cases:
    - check: errored()
      output:
        kafka: { seed_brokers: [%[1]q], topic: dlq, key: '${! @kafka_key }' }
    - output:
        kafka: { seed_brokers: [%[1]q], topic: out, key: '${! @kafka_key }' }
`, brokers)))
	stream, err := b.Build()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()
	got := consumeAll(t, brokers, 40, "out", "dlq")
	require.NoError(t, stream.Stop(context.Background()))
	cancel()
	<-done
	require.Len(t, got, 40, "every record arrives exactly once somewhere")

	classes := map[string]int{}
	for _, r := range got {
		headers := map[string]string{}
		for _, h := range r.Headers {
			headers[h.Key] = string(h.Value)
		}
		assert.NotEmpty(t, headers["trace"], "headers survive the module")
		assert.NotEmpty(t, r.Key, "keys survive the module")
		switch r.Topic {
		case "out":
			assert.Equal(t, "ok", string(r.Value))
			classes["kept"]++
		case "dlq":
			classes[headers["weir_error_class"]+":"+string(r.Value)]++
		}
	}
	assert.Equal(t, map[string]int{"kept": 20, "trap:panic": 10, "fuel_exhausted:loop": 10}, classes)
}

func values(t *testing.T, msgs service.MessageBatch) []string {
	var out []string
	for _, s := range describe(t, msgs) {
		out = append(out, s.value)
	}
	return out
}

// A pipeline following a registry tag swaps one unmodified Redpanda
// module for another between batches, as it swaps weir modules.
func TestRedpandaModulesHotSwap(t *testing.T) {
	r := newRig(t)
	r.push(fixtures.Warm(t, fixtures.Redpanda(t, "mirror")), "mirror")
	r.push(fixtures.Warm(t, fixtures.Redpanda(t, "regexp_filter")), "filter")
	s := r.serve("rpswap", "mirror", "", "  config: { env: { PATTERN: '^a', MATCH_VALUE: '1' } }")
	assert.Equal(t, []string{"apple", "banana"}, values(t, s.send(t, "apple", "banana")))
	r.move("filter")
	waitFor(t, "rpswap", "serving the filter", serving(r.digests["filter"]))
	assert.Equal(t, []string{"avocado"}, values(t, s.send(t, "avocado", "banana")), "the swapped-in filter drops what does not match")
}
