//go:build !wasip1

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
		case strings.HasSuffix(k, "-bad"):
			results[i] = runtime.KVResult{Status: runtime.KVFound, Value: []byte(` {"x":`)}
		case strings.HasSuffix(k, "-ws"):
			results[i] = runtime.KVResult{Status: runtime.KVFound, Value: []byte(" [1] \n")}
		default:
			results[i] = runtime.KVResult{Status: runtime.KVFound, Value: []byte(`{"key":"` + k + `"}`)}
		}
	}
}

func (s *countingStore) Set(context.Context, string, []byte, time.Duration) error {
	return errors.New("read only")
}

func kvPool(t *testing.T, store runtime.KVStore, mode runtime.KVStoreErrors) *runtime.Pool {
	return configPool(t, store, mode, `{"key":"id","target":"profile","on_miss":"flag"}`)
}

func configPool(t *testing.T, store runtime.KVStore, mode runtime.KVStoreErrors, config string, onBatch ...func(int64, time.Duration)) *runtime.Pool {
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close(ctx) })
	mod, err := e.Load(ctx, fixtures.Warm(t, fixtures.Go(t, "plugins/enrich")))
	require.NoError(t, err)
	cfg := runtime.PoolConfig{Size: 1, Config: []byte(config),
		Grants: []runtime.Grant{runtime.KVGrant{Namespaces: map[string]runtime.KVNamespace{"lookup": {Store: store}}, StoreErrors: mode}}}
	if len(onBatch) > 0 {
		cfg.OnBatch = onBatch[0]
	}
	p, err := mod.NewPool(ctx, cfg)
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

// TestProjectedIsFullValue: the projected path (the host finds the key and
// the target, and inserts it) gives what the full-value path (the guest
// scans each record; a schema-bound pipeline's) gives, record for record,
// for every config shape — but for a record that is not JSON, which the
// host fails as bad_input before the guest sees it.
func TestProjectedIsFullValue(t *testing.T) {
	docs := []string{
		`{"id":"c-1"}`, `{"id":"c-1","profile":{"old":1}}`, ` { } `, `{"id":7,"x":[1,{"y":2}]}`,
		`{"id":"c-\u0031","c":{"id":"c-2"},"c":{"id":"c-ws","risk":0},"c":[],"c":{}}`,
		`{"id":"c-miss"}`, `{"id":"c-bad"}`, `{"id":{"k":1}}`, `{"id":"a","id":"b"}`, `[1]`,
		`{"c":{"id":"c-1"}}`, `{"c":{"id":"c-1","risk":{}},"risk":1}`, `{"c":"s","id":"c-ws"}`,
		`{"id":"c-1","c":{"id":"c-1","risk":true,"risk":false}}`, `"text"`, `{"c":{"id":""}}`,
	}
	recs := make([]runtime.Record, len(docs))
	for i, d := range docs {
		recs[i].Value = []byte(d)
	}
	for _, cfg := range []string{
		`"key":"id","target":"profile"`,
		`"key":"id","target":"c.risk","on_miss":"flag"`,
		`"key":"c.id","target":"risk","on_miss":"route","miss_port":"m"`,
		`"key":"c.id","target":"c.risk"`,
	} {
		projected := configPool(t, &countingStore{}, runtime.KVStoreErrorsFailBatch, "{"+cfg+"}")
		full := configPool(t, &countingStore{}, runtime.KVStoreErrorsFailBatch, "{"+cfg+`,"weir_schema":{}}`)
		want, err := full.Process(context.Background(), recs)
		require.NoError(t, err)
		got, err := projected.Process(context.Background(), recs)
		require.NoError(t, err)
		for i := range recs {
			w, g := runtime.Verdicts(recs[i:i+1], want[i:i+1]), runtime.Verdicts(recs[i:i+1], got[i:i+1])
			if want[i].Err != nil && got[i].Err != nil {
				if runtime.ClassOf(got[i].Err) == runtime.ClassBadInput {
					continue // not JSON: the host's failure, not the guest's
				}
				require.Equal(t, want[i].Err.Error(), got[i].Err.Error(), "%s: %s", cfg, docs[i])
				continue
			}
			require.Equal(t, w, g, "%s: %s", cfg, docs[i])
		}
	}
}

// TestProjectedFuel: on the benchmark's orders (bench/testdata), the
// projected path burns a fraction of the fuel of the full-value one: the
// guest no longer scans each record. Fuel is an instruction count, the
// same on any machine and under any load; the figures are logged for
// docs/RATIONALE.md.
func TestProjectedFuel(t *testing.T) {
	orders, err := os.ReadFile(filepath.Join(fixtures.Root(), "bench/testdata/orders-1k.jsonl"))
	require.NoError(t, err)
	lines := bytes.Split(bytes.TrimSpace(orders), []byte("\n"))[:64]
	recs := make([]runtime.Record, len(lines))
	for i, l := range lines {
		recs[i].Value = l
	}
	fuel := func(config string) int64 {
		var used int64
		p := configPool(t, &countingStore{}, runtime.KVStoreErrorsFailBatch, config, func(f int64, _ time.Duration) { used = f })
		for range 3 { // the last batch's, warm
			out, err := p.Process(context.Background(), recs)
			require.NoError(t, err)
			require.Contains(t, string(out[0].Emits[0].Value), `"risk":{"key":"lookup:c-`)
		}
		return used / int64(len(recs))
	}
	projected := fuel(`{"key":"customer.id","target":"risk"}`)
	full := fuel(`{"key":"customer.id","target":"risk","weir_schema":{}}`)
	t.Logf("fuel per order: projected %d, full value %d", projected, full)
	require.Less(t, projected*4, full, "projected %d, full value %d fuel per order", projected, full)
}

// TestGoldenFixtures runs the fixtures the swap gate runs (fixtures.json,
// packed by make plugins), their kv contents served by the fixture run's
// in-memory store (runtime.Fixtures.FixtureGrants).
func TestGoldenFixtures(t *testing.T) {
	raw, err := os.ReadFile("fixtures.json")
	require.NoError(t, err)
	f, err := runtime.ParseFixtures(raw)
	require.NoError(t, err)
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close(ctx) })
	packed, err := runtime.PackFixtures(fixtures.Go(t, "plugins/enrich"), raw)
	require.NoError(t, err)
	mod, err := e.Load(ctx, packed)
	require.NoError(t, err)
	require.NoError(t, mod.CheckFixtures(ctx, mod.Fixtures))

	f.Cases[0].Want[0].Out[0].Value = `{"changed":true}`
	err = mod.CheckFixtures(ctx, f)
	require.ErrorContains(t, err, `fixture "a profile found is added, or replaces the one there": record 0`)
}
