//go:build !wasip1

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// countingStore answers every key with a profile, counting the calls the
// host makes, and fails while down.
type countingStore struct {
	mu    sync.Mutex
	calls int
	keys  int
	down  bool
}

func (s *countingStore) GetMany(_ context.Context, keys []string, results []runtime.KVResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.keys += len(keys)
	for i, k := range keys {
		switch {
		case s.down:
			results[i] = runtime.KVResult{Status: runtime.KVStoreError, Err: errors.New("connection refused")}
		case strings.HasSuffix(k, "-miss"):
			results[i] = runtime.KVResult{Status: runtime.KVMiss}
		default:
			results[i] = runtime.KVResult{Status: runtime.KVFound, Value: []byte(`{"key":"` + k + `"}`)}
		}
	}
}

func (s *countingStore) Set(context.Context, string, []byte, time.Duration) error {
	return errors.New("read only")
}

func kvPool(t *testing.T, store runtime.KVStore, mode runtime.KVStoreErrors) *runtime.Pool {
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close(ctx) })
	mod, err := e.Load(ctx, fixtures.Warm(t, fixtures.Go(t, "plugins/enrich")))
	require.NoError(t, err)
	p, err := mod.NewPool(ctx, runtime.PoolConfig{Size: 1, Config: []byte(`{"key":"id","target":"profile","on_miss":"flag"}`),
		Grants: []runtime.Grant{runtime.KVGrant{Namespaces: map[string]runtime.KVNamespace{"lookup": {Store: store}}, StoreErrors: mode}}})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close(ctx) })
	return p
}

func records(n int, id func(i int) string) []runtime.Record {
	recs := make([]runtime.Record, n)
	for i := range recs {
		recs[i].Value = []byte(fmt.Sprintf(`{"id":%q}`, id(i)))
	}
	return recs
}

// TestOneLookupPerBatch: a batch of 64 records is one call to the store
// with all 64 keys (one round trip for weir_redis), and each record gets
// its own key's value.
func TestOneLookupPerBatch(t *testing.T) {
	store := &countingStore{}
	p := kvPool(t, store, runtime.KVStoreErrorsFailBatch)
	for range 3 {
		out, err := p.Process(context.Background(), records(64, func(i int) string { return fmt.Sprintf("c-%d", i) }))
		require.NoError(t, err)
		for i, o := range out {
			require.NoError(t, o.Err)
			require.Equal(t, fmt.Sprintf(`{"id":"c-%d","profile":{"key":"lookup:c-%d"}}`, i, i), string(o.Emits[0].Value))
		}
	}
	require.Equal(t, 3, store.calls)
	require.Equal(t, 3*64, store.keys)
}

// TestStoreDown: by default a store failure fails the batch as host_error
// (it goes back to the input, not to the dead-letter output); granted
// store_errors guest, each record is flagged naming the failure, a miss
// stays a miss, and once the store is back the records are enriched.
func TestStoreDown(t *testing.T) {
	store := &countingStore{down: true}
	_, err := kvPool(t, store, runtime.KVStoreErrorsFailBatch).Process(context.Background(), records(2, func(int) string { return "c-1" }))
	require.Equal(t, runtime.ClassHost, runtime.ClassOf(err), "%v", err)

	p := kvPool(t, store, runtime.KVStoreErrorsToGuest)
	in := records(2, func(i int) string { return []string{"c-1", "c-miss"}[i] })
	out, err := p.Process(context.Background(), in)
	require.NoError(t, err)
	require.ErrorContains(t, out[0].Err, `enrich: key "c-1": lookup failed: store_error`)
	require.ErrorContains(t, out[1].Err, `enrich: key "c-miss": lookup failed: store_error`)

	store.mu.Lock()
	store.down = false
	store.mu.Unlock()
	out, err = p.Process(context.Background(), in)
	require.NoError(t, err)
	require.NoError(t, out[0].Err)
	require.Equal(t, `{"id":"c-1","profile":{"key":"lookup:c-1"}}`, string(out[0].Emits[0].Value))
	require.ErrorContains(t, out[1].Err, `no value for key "c-miss"`)
}

// TestConfigErrors: the guest's own refusals, naming the field.
func TestConfigErrors(t *testing.T) {
	for cfg, want := range map[string]string{
		`{"target":"x"}`:                              `enrich: config: key "": want the JSON path`,
		`{"key":"a..b","target":"x"}`:                 `enrich: config: key "a..b"`,
		`{"key":"id"}`:                                `enrich: config: target "": want the dotted path`,
		`{"key":"id","target":"a.*"}`:                 `enrich: config: target "a.*": keys only`,
		`{"key":"id","target":"x","on_miss":"drop"}`:  `enrich: config: on_miss "drop": want "keep", "flag" or "route"`,
		`{"key":"id","target":"x","on_miss":"route"}`: `enrich: config: miss_port "": on_miss route wants a port name`,
		`{"key":"id","target":"x","miss_port":"p"}`:   `enrich: config: miss_port "p" is only for on_miss "route"`,
		`{"key":"id","target":"x","keys":1}`:          `enrich: config: json: unknown field "keys"`,
	} {
		_, err := newEnricher([]byte(cfg))
		require.ErrorContains(t, err, want, cfg)
	}
}
