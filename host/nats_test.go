package host_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testnats"
)

// startNATS runs an embedded JetStream server with a stream holding orders.>.
func startNATS(t *testing.T) (string, jetstream.JetStream) {
	return testnats.Start(t, "ORDERS", "orders.>")
}

func TestNATSJetStreamRoundTripWithRoutingAndDeadLetters(t *testing.T) {
	url, js := startNATS(t)
	ctx := context.Background()
	commands := []string{"keep", "route:a", "error:bad", "set:x"}
	for i := 0; i < 100; i++ {
		msg := nats.NewMsg("orders.in")
		msg.Data = []byte(commands[i%4])
		msg.Header.Set("trace", fmt.Sprint(i))
		_, err := js.PublishMsg(ctx, msg)
		require.NoError(t, err)
	}
	module := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "sdk/go/internal/conformance")))
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: warn"))
	require.NoError(t, b.AddInputYAML(fmt.Sprintf(`
nats_jetstream: { urls: [%q], stream: ORDERS, filter_subjects: [orders.in], durable: weir, batch_size: 32 }
`, url)))
	require.NoError(t, b.AddProcessorYAML("wasm: { module: "+module+", cache_dir: "+fixtures.CacheDir(t)+" }"))
	require.NoError(t, b.AddOutputYAML(fmt.Sprintf(`
switch:
  cases:
    - check: errored()
      output:
        nats_jetstream: { urls: [%[1]q], subject: orders.dlq }
    - output:
        nats_jetstream: { urls: [%[1]q], subject: 'orders.out.${! @weir_port.or("default") }' }
`, url)))
	stream, err := b.Build()
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- stream.Run(runCtx) }()

	check, err := js.CreateOrUpdateConsumer(ctx, "ORDERS", jetstream.ConsumerConfig{
		Durable: "check", FilterSubjects: []string{"orders.out.>", "orders.dlq"}, AckPolicy: jetstream.AckExplicitPolicy})
	require.NoError(t, err)
	bySubject := map[string]int{}
	traces := map[string]bool{}
	patient := fixtures.Patient(t)
	for n := 0; n < 100 && patient.Err() == nil; {
		batch, err := check.Fetch(100, jetstream.FetchMaxWait(time.Second))
		require.NoError(t, err)
		for m := range batch.Messages() {
			bySubject[m.Subject()]++
			traces[m.Headers().Get("trace")] = true
			if m.Subject() == "orders.dlq" {
				assert.Equal(t, "guest_error", m.Headers().Get("weir_error_class"))
			}
			require.NoError(t, m.Ack())
			n++
		}
	}
	require.NoError(t, stream.Stop(ctx))
	cancel()
	<-done
	assert.Equal(t, map[string]int{"orders.out.default": 50, "orders.out.a": 25, "orders.dlq": 25}, bySubject)
	assert.Len(t, traces, 100, "headers survive")

	cons, err := js.Consumer(ctx, "ORDERS", "weir")
	require.NoError(t, err)
	info, err := cons.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, info.NumAckPending, "every input message was acknowledged")
	assert.Equal(t, uint64(0), info.NumPending)
}
