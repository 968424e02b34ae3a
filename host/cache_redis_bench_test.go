package host

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/weirstream/weir/internal/testredis"
	"github.com/weirstream/weir/runtime"
)

// BenchmarkRedisBatch is a batch of 64 lookups on a real loopback Redis,
// answered by weir_redis's one MGET or by 64 GETs (what any per-key cache
// costs): the A/B behind docs/RATIONALE.md, "Why does weir_redis answer a
// batch through the context?". Run interleaved:
//
//	go test -run XXX -bench RedisBatch -count 6 ./host
func BenchmarkRedisBatch(b *testing.B) {
	srv := testredis.Shared(b)
	c := &redisCache{client: redis.NewClient(&redis.Options{Addr: srv.Addr})}
	defer c.client.Close()
	ctx := context.Background()
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = fmt.Sprint("bench:", i)
		if err := c.client.Set(ctx, keys[i], `{"score":42,"tier":"gold"}`, 0).Err(); err != nil {
			b.Fatal(err)
		}
	}
	results := make([]runtime.KVResult, len(keys))
	b.Run("mget", func(b *testing.B) {
		for b.Loop() {
			c.getMany(ctx, &kvBatch{Keys: keys, Results: results})
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
	})
	b.Run("get-per-key", func(b *testing.B) {
		for b.Loop() {
			for _, k := range keys {
				if _, err := c.Get(ctx, k); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
	})
}
