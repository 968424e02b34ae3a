package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/runtime"
)

// The weir_redis cache: a Benthos cache on Redis (github.com/redis/go-redis)
// that answers a kv capability's batch of lookups with one MGET, one
// round trip however many keys (kvBatch). Named weir_redis, not redis, so
// it never clashes with another distribution's redis cache.

const (
	fieldRedisURL        = "url"
	fieldRedisDefaultTTL = "default_ttl"
	fieldRedisTimeout    = "timeout"
)

func redisCacheSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Summary("A cache on Redis that answers a weir transform's batch of kv lookups in one round trip (MGET).").
		Description("Use it as a `cache_resources` entry and grant it to a transform's kv namespace. A batch of lookups from the `wasm` processor's kv capability costs one MGET; other users (the `cache` processor, …) get one GET per key. Keys are used as given: the kv capability has already put the namespace's prefix before them.").
		Field(service.NewStringField(fieldRedisURL).
			Description("The server's URL: `redis://[user:password@]host:port/db` or `rediss://…` for TLS. Credentials here never appear in errors or logs.").
			Example("redis://127.0.0.1:6379/0")).
		Field(service.NewDurationField(fieldRedisDefaultTTL).
			Description("Time to live of a write that asks none. Default: none, the key stays until Redis evicts it.").
			Default("0s")).
		Field(service.NewDurationField(fieldRedisTimeout).
			Description("Bound on one round trip (dial, read, write), within the caller's own deadline (a transform's batch deadline).").
			Default("1s")).
		Example("A risk profile cache", "", `
cache_resources:
  - label: risk
    weir_redis:
      url: redis://127.0.0.1:6379/0
`)
}

func init() {
	err := service.RegisterCache("weir_redis", redisCacheSpec(),
		func(conf *service.ParsedConfig, mgr *service.Resources) (service.Cache, error) {
			return newRedisCache(conf)
		})
	if err != nil {
		panic(err)
	}
}

// redisCache is the weir_redis cache.
type redisCache struct {
	client     *redis.Client
	defaultTTL time.Duration
}

func newRedisCache(conf *service.ParsedConfig) (*redisCache, error) {
	url, err := conf.FieldString(fieldRedisURL)
	if err != nil {
		return nil, err
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("field %s: not a redis:// or rediss:// URL (want redis://host:port/db)", fieldRedisURL) // the URL may hold a password: not quoted
	}
	timeout, err := conf.FieldDuration(fieldRedisTimeout)
	if err != nil {
		return nil, err
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = timeout, timeout, timeout
	opts.ContextTimeoutEnabled = true // the caller's deadline (a batch's) bounds the round trip too
	opts.MaxRetries = -1              // a failed round trip is the caller's to retry (the kv capability nacks the batch)
	c := &redisCache{client: redis.NewClient(opts)}
	if c.defaultTTL, err = conf.FieldDuration(fieldRedisDefaultTTL); err != nil {
		return nil, err
	}
	return c, nil
}

// Get answers a kv batch (whose first key this is) with one MGET, and any
// other lookup with one GET.
func (c *redisCache) Get(ctx context.Context, key string) ([]byte, error) {
	if b := kvBatchOf(ctx); b != nil && len(b.Keys) > 0 && b.Keys[0] == key {
		c.getMany(ctx, b)
		r := b.Results[0]
		switch r.Status {
		case runtime.KVFound:
			return r.Value, nil
		case runtime.KVMiss:
			return nil, service.ErrKeyNotFound
		}
		return nil, r.Err
	}
	v, err := c.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, service.ErrKeyNotFound
	}
	return v, redisError(err)
}

// getMany resolves the batch in one MGET round trip.
func (c *redisCache) getMany(ctx context.Context, b *kvBatch) {
	b.Answered = true
	values, err := c.client.MGet(ctx, b.Keys...).Result()
	if err == nil && len(values) != len(b.Keys) {
		err = fmt.Errorf("MGET of %d keys answered %d values", len(b.Keys), len(values))
	}
	for i := range b.Results {
		switch v := valueAt(values, i); {
		case err != nil:
			b.Results[i] = runtime.KVResult{Status: runtime.KVStoreError, Err: redisError(err)}
		case v == nil:
			b.Results[i] = runtime.KVResult{Status: runtime.KVMiss}
		default:
			b.Results[i] = runtime.KVResult{Status: runtime.KVFound, Value: v}
		}
	}
}

// valueAt is MGET's i-th value as bytes, nil for a missing key.
func valueAt(values []any, i int) []byte {
	if i >= len(values) {
		return nil
	}
	if s, ok := values[i].(string); ok {
		return []byte(s)
	}
	return nil
}

func (c *redisCache) ttl(ttl *time.Duration) time.Duration {
	if ttl != nil {
		return *ttl
	}
	return c.defaultTTL
}

// Set writes value under key (SET … PX ttl).
func (c *redisCache) Set(ctx context.Context, key string, value []byte, ttl *time.Duration) error {
	return redisError(c.client.Set(ctx, key, value, c.ttl(ttl)).Err())
}

// Add writes value under key unless it exists (SET … NX).
func (c *redisCache) Add(ctx context.Context, key string, value []byte, ttl *time.Duration) error {
	ok, err := c.client.SetNX(ctx, key, value, c.ttl(ttl)).Result()
	if err == nil && !ok {
		return service.ErrKeyAlreadyExists
	}
	return redisError(err)
}

// Delete removes key.
func (c *redisCache) Delete(ctx context.Context, key string) error {
	return redisError(c.client.Del(ctx, key).Err())
}

// Close closes the connections.
func (c *redisCache) Close(context.Context) error { return c.client.Close() }

// redisError names the store in an error, so a transform's flagged record
// or the host's log says where it failed.
func redisError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("weir_redis: %w", err)
}
