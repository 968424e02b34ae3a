package host_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testredis"
)

func redisResource(url string) string {
	return fmt.Sprintf("cache_resources:\n  - label: risk\n    weir_redis: { url: %s }\n", url)
}

const redisGrant = `
  capabilities:
    kv:
      namespaces:
        risk: { cache: risk, write: true }
    metrics: {}
`

// A batch of 64 lookups costs Redis one MGET, not 64 GETs, counted by the
// server itself.
func TestRedisBatchIsOneRoundTrip(t *testing.T) {
	srv := testredis.Shared(t)
	ctx := context.Background()
	c := srv.Client()
	defer c.Close()
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = fmt.Sprint("rt", i)
		if i%4 != 3 { // every fourth is a miss
			require.NoError(t, c.Set(ctx, "risk:"+keys[i], fmt.Sprintf(`{"score":%d}`, i), 0).Err())
		}
	}
	h := startKV(t, redisResource(srv.URL()), redisGrant)
	h.send(batchOf("warm")) // the instance's start-up and the connection's
	require.NoError(t, srv.ResetStats(ctx))
	h.send(batchOf(keys...))
	calls, err := srv.Calls(ctx)
	require.NoError(t, err)
	out := h.stop()
	assert.Equal(t, int64(1), calls["mget"], "one round trip for the batch")
	assert.Zero(t, calls["get"])
	require.Len(t, out, 65)
	for i, s := range out[1:] {
		if i%4 == 3 {
			assert.Equal(t, kvSeen{value: keys[i], kv: "miss"}, s)
		} else {
			assert.Equal(t, kvSeen{value: fmt.Sprintf(`{"score":%d}`, i)}, s)
		}
	}
}

// Writes go to Redis under the namespace's prefix with the TTL the guest
// asked (an hour); Benthos's own cache operators work on weir_redis too.
func TestRedisWritesAndCacheOperators(t *testing.T) {
	srv := testredis.Shared(t)
	ctx := context.Background()
	c := srv.Client()
	defer c.Close()
	kvStream(t, redisResource(srv.URL()), redisGrant, batchOf("set:w1=v1"))
	v, err := c.Get(ctx, "risk:w1").Result()
	require.NoError(t, err)
	assert.Equal(t, "v1", v)
	ttl, err := c.PTTL(ctx, "risk:w1").Result()
	require.NoError(t, err)
	assert.True(t, ttl > 59*time.Minute && ttl <= time.Hour, "ttl %s", ttl)

	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: none"))
	require.NoError(t, b.AddResourcesYAML(redisResource(srv.URL())))
	for _, value := range []string{"first", "second"} {
		require.NoError(t, b.AddProcessorYAML("cache: { resource: risk, operator: add, key: 'op:${! content() }', value: "+value+" }"))
	}
	produce, err := b.AddBatchProducerFunc()
	require.NoError(t, err)
	var flagged []string
	require.NoError(t, b.AddBatchConsumerFunc(func(_ context.Context, batch service.MessageBatch) error {
		for _, m := range batch {
			if m.GetError() != nil {
				flagged = append(flagged, m.GetError().Error())
			}
		}
		return nil
	}))
	stream, err := b.Build()
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- stream.Run(fixtures.Patient(t)) }()
	require.NoError(t, produce(fixtures.Patient(t), batchOf("a")))
	require.NoError(t, stream.Stop(fixtures.Patient(t)))
	require.NoError(t, <-done)
	v, err = c.Get(ctx, "op:a").Result()
	require.NoError(t, err)
	assert.Equal(t, "first", v, "add does not overwrite")
	require.Len(t, flagged, 1)
	assert.Contains(t, flagged[0], "key already exists")
}

// Redis going down mid-stream loses nothing. By default (store_errors:
// nack) the batch waits and is retried — never flagged, never dead-
// lettered — and completes once Redis is back; with store_errors: guest
// each record gets the guest's store_error verdict, and the next batch
// after recovery is served.
func TestRedisOutage(t *testing.T) {
	srv := testredis.Start(t) // its own: the test stops it
	ctx := context.Background()
	seed := func() {
		c := srv.Client()
		defer c.Close()
		require.NoError(t, c.Set(ctx, "risk:a", "A", 0).Err())
		require.NoError(t, c.Set(ctx, "risk:b", "B", 0).Err())
	}
	seed()

	h := startKV(t, redisResource(srv.URL()), redisGrant)
	h.send(batchOf("a"))
	srv.Stop()
	sent := make(chan struct{})
	go func() { h.send(batchOf("a", "b")); close(sent) }()
	retried := "weir_batches_retried[lookup root.pipeline.processors.0]"
	before, _ := guestMetricsSeen.get(retried)
	fixtures.WaitUntil(t, "the batch is retried while Redis is down", func() bool {
		n, _ := guestMetricsSeen.get(retried)
		return n >= before+2
	})
	require.NoError(t, srv.Start()) // with its data: a durable Redis back from an outage
	<-sent
	assert.Equal(t, []kvSeen{{value: "A"}, {value: "A"}, {value: "B"}}, h.stop(), "nothing lost, nothing flagged")

	h = startKV(t, redisResource(srv.URL()), strings.Replace(redisGrant, "    metrics: {}", "      store_errors: guest\n    metrics: {}", 1))
	srv.Stop()
	h.send(batchOf("a", "b"))
	require.NoError(t, srv.Start())
	h.send(batchOf("b"))
	out := h.stop()
	require.Len(t, out, 3)
	for _, s := range out[:2] {
		assert.Equal(t, "guest_error", s.class)
		assert.Contains(t, s.errText, "kv store_error")
	}
	assert.Equal(t, kvSeen{value: "B"}, out[2], "served again once Redis is back")
}

// A lookup Redis does not answer before the batch's deadline fails the
// batch as timeout (CLIENT PAUSE holds every command on the real server);
// the next batch, after the pause, is served.
func TestRedisLookupPastDeadlineTimesOut(t *testing.T) {
	srv := testredis.Start(t) // its own: the test pauses it
	ctx := context.Background()
	c := srv.Client()
	defer c.Close()
	require.NoError(t, c.Set(ctx, "risk:a", "A", 0).Err())
	h := startKV(t, redisResource(srv.URL()), "  timeout: 1s\n"+redisGrant)
	h.send(batchOf("a"))
	require.NoError(t, c.Do(ctx, "CLIENT", "PAUSE", 10000, "ALL").Err())
	h.send(batchOf("a", "b"))
	require.NoError(t, c.Do(ctx, "CLIENT", "UNPAUSE").Err())
	h.send(batchOf("a"))
	out := h.stop()
	require.Len(t, out, 4)
	assert.Equal(t, kvSeen{value: "A"}, out[0])
	for _, s := range out[1:3] {
		assert.Equal(t, "timeout", s.class)
	}
	assert.Equal(t, kvSeen{value: "A"}, out[3])
}
