package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/runtime"
)

// The kv grant: each namespace the transform declares is backed by a
// Benthos cache resource (memory, lru, ttlru, weir_redis, …).

const (
	fieldKVNamespaces  = "namespaces"
	fieldKVCache       = "cache"
	fieldKVPrefix      = "prefix"
	fieldKVWrite       = "write"
	fieldKVMaxTTL      = "max_ttl"
	fieldKVStoreErrors = "store_errors"
	fieldKVMaxKeys     = "max_keys_per_call"
	fieldKVMaxKeyBytes = "max_key_bytes"
	fieldKVMaxValue    = "max_value_bytes"
	fieldKVMaxResponse = "max_response_bytes"
)

var kvHostCapability = hostCapability{name: "kv", field: kvGrantField, grant: parseKVGrant}

func kvGrantField() *service.ConfigField {
	return service.NewObjectField("kv",
		service.NewObjectMapField(fieldKVNamespaces,
			service.NewStringField(fieldKVCache).
				Description("The label of the `cache_resources` entry holding the namespace's keys."),
			service.NewStringField(fieldKVPrefix).
				Description("Put before every key the transform passes, so it cannot reach keys outside its namespace. Namespaces on the same cache must have prefixes none of which begins another. Default: `<namespace>:`.").
				Default(""),
			service.NewBoolField(fieldKVWrite).
				Description("Whether the transform may write (`weir_kv.set`). A module declaring writes is refused on a read-only namespace.").
				Default(false),
			service.NewDurationField(fieldKVMaxTTL).
				Description("Bound on a write's time to live: a write asking none, or more, gets this. Default: none, the transform's TTL as asked.").
				Default("0s"),
		).Description("The namespaces granted, by the name the module's manifest declares."),
		service.NewStringAnnotatedEnumField(fieldKVStoreErrors, map[string]string{
			"nack":  "A store failure fails the batch as `host_error`: it goes back to the input and is delivered again (nothing reaches the dead-letter output). The transform never sees the failure.",
			"guest": "A store failure is answered `store_error` for each key it concerns, and the transform decides (keep the record unenriched, flag it, route it).",
		}).Description("What a failing cache lookup or write does. A store outage is not the records' fault, hence the default.").Default("nack"),
		service.NewIntField(fieldKVMaxKeys).Description("Cap on the keys of one lookup call; more fails the batch as `bad_output`.").Default(1024).Advanced(),
		service.NewIntField(fieldKVMaxKeyBytes).Description("Cap on a key as the transform gives it; a longer (or empty) key is answered `invalid_key`.").Default(1024).Advanced(),
		service.NewIntField(fieldKVMaxValue).Description("Cap on a value handed to the transform or written by it; a larger one is answered `too_large`.").Default(1<<20).Advanced(),
		service.NewIntField(fieldKVMaxResponse).Description("Cap on the value bytes one lookup call hands over; values past it are answered `no_room`, to be asked again.").Default(16<<20).Advanced(),
	).Description("Key-value lookups, batched, in cache resources.")
}

func parseKVGrant(conf *service.ParsedConfig, mgr *service.Resources) (runtime.Grant, error) {
	g := runtime.KVGrant{Namespaces: map[string]runtime.KVNamespace{}}
	nss, err := conf.FieldObjectMap(fieldKVNamespaces)
	if err != nil || len(nss) == 0 {
		return nil, err // no namespace: the defaults alone, no grant
	}
	stores := map[string]*cacheStore{} // one per cache: namespaces on one cache share it, so their prefixes are checked
	for name, nsConf := range nss {
		ns, err := parseKVNamespace(nsConf, mgr, stores)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", fieldKVNamespaces, name, err)
		}
		g.Namespaces[name] = ns
	}
	mode, err := conf.FieldString(fieldKVStoreErrors)
	if err != nil {
		return nil, err
	}
	if mode == "guest" {
		g.StoreErrors = runtime.KVStoreErrorsToGuest
	}
	for name, dst := range map[string]*int{fieldKVMaxKeys: &g.MaxKeysPerCall, fieldKVMaxKeyBytes: &g.MaxKeyBytes,
		fieldKVMaxValue: &g.MaxValueBytes, fieldKVMaxResponse: &g.MaxResponseBytes} {
		if *dst, err = conf.FieldInt(name); err != nil {
			return nil, err
		}
		if *dst < 1 {
			return nil, fmt.Errorf("%s: must be >= 1, got %d", name, *dst)
		}
	}
	return g, nil
}

func parseKVNamespace(conf *service.ParsedConfig, mgr *service.Resources, stores map[string]*cacheStore) (runtime.KVNamespace, error) {
	var ns runtime.KVNamespace
	cache, err := conf.FieldString(fieldKVCache)
	if err != nil {
		return ns, err
	}
	if !mgr.HasCache(cache) {
		return ns, fmt.Errorf("%s: no cache resource %q: declare it under cache_resources (memory, lru, ttlru, weir_redis, …)", fieldKVCache, cache)
	}
	if stores[cache] == nil {
		stores[cache] = newCacheStore(mgr, cache)
	}
	ns.Store = stores[cache]
	if ns.Prefix, err = conf.FieldString(fieldKVPrefix); err != nil {
		return ns, err
	}
	if ns.Write, err = conf.FieldBool(fieldKVWrite); err != nil {
		return ns, err
	}
	if ns.MaxTTL, err = conf.FieldDuration(fieldKVMaxTTL); err != nil {
		return ns, err
	}
	if ns.MaxTTL < 0 {
		return ns, fmt.Errorf("%s: must be >= 0, got %s", fieldKVMaxTTL, ns.MaxTTL)
	}
	return ns, nil
}

// cacheStore is a Benthos cache resource as a runtime.KVStore.
type cacheStore struct {
	mgr     *service.Resources
	name    string
	lookups *service.MetricCounter // weir_kv_lookups{cache, result}: found, miss, store_error
	writes  *service.MetricCounter // weir_kv_writes{cache, result}: ok, store_error
}

func newCacheStore(mgr *service.Resources, name string) *cacheStore {
	m := mgr.Metrics()
	return &cacheStore{mgr: mgr, name: name,
		lookups: m.NewCounter("weir_kv_lookups", "cache", "result"),
		writes:  m.NewCounter("weir_kv_writes", "cache", "result")}
}

// count adds each key's result to weir_kv_lookups.
func (c *cacheStore) count(results []runtime.KVResult) {
	var found, miss, failed int64
	for _, r := range results {
		switch r.Status {
		case runtime.KVFound:
			found++
		case runtime.KVMiss:
			miss++
		default:
			failed++
		}
	}
	for result, n := range map[string]int64{"found": found, "miss": miss, "store_error": failed} {
		if n > 0 {
			c.lookups.Incr(n, c.name, result)
		}
	}
}

// GetMany asks a batch-aware cache (kvBatch) for every key in one call,
// any other key by key.
func (c *cacheStore) GetMany(ctx context.Context, keys []string, results []runtime.KVResult) {
	defer c.count(results)
	err := c.mgr.AccessCache(ctx, c.name, func(cache service.Cache) {
		batch := &kvBatch{Keys: keys, Results: results}
		v, err := cache.Get(withKVBatch(ctx, batch), keys[0])
		if batch.Answered {
			return
		}
		results[0] = cacheResult(v, err)
		for i := 1; i < len(keys); i++ {
			results[i] = cacheResult(cache.Get(ctx, keys[i]))
		}
	})
	if err != nil {
		for i := range results {
			results[i] = runtime.KVResult{Status: runtime.KVStoreError, Err: fmt.Errorf("cache %q: %w", c.name, err)}
		}
	}
}

func cacheResult(v []byte, err error) runtime.KVResult {
	switch {
	case err == nil:
		return runtime.KVResult{Status: runtime.KVFound, Value: v}
	case errors.Is(err, service.ErrKeyNotFound):
		return runtime.KVResult{Status: runtime.KVMiss}
	}
	return runtime.KVResult{Status: runtime.KVStoreError, Err: err}
}

// Set writes through the cache, with ttl unless 0.
func (c *cacheStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	var setErr error
	err := c.mgr.AccessCache(ctx, c.name, func(cache service.Cache) {
		var t *time.Duration
		if ttl > 0 {
			t = &ttl
		}
		setErr = cache.Set(ctx, key, value, t)
	})
	if err == nil {
		err = setErr
	} else {
		err = fmt.Errorf("cache %q: %w", c.name, err)
	}
	result := "ok"
	if err != nil {
		result = "store_error"
	}
	c.writes.Incr(1, c.name, result)
	return err
}

// kvBatch is a batch of lookups a cache may answer in one round trip.
// Benthos's cache interface gets one key at a time: the kv capability
// asks for the first key with the batch in the context (withKVBatch), and
// a cache that knows it (weir_redis) answers every key at once, filling
// Results and setting Answered; any other cache answers the one key and
// is asked for the rest in turn.
type kvBatch struct {
	Keys     []string
	Results  []runtime.KVResult // len(Keys), to fill
	Answered bool
}

type kvBatchKey struct{}

// withKVBatch carries batch to the cache.
func withKVBatch(ctx context.Context, batch *kvBatch) context.Context {
	return context.WithValue(ctx, kvBatchKey{}, batch)
}

// kvBatchOf is the batch a lookup's context carries, or nil.
func kvBatchOf(ctx context.Context) *kvBatch {
	b, _ := ctx.Value(kvBatchKey{}).(*kvBatch)
	return b
}
