package sdktest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// mapStore is a runtime.KVStore in a map, counting its calls.
type mapStore struct {
	mu    sync.Mutex
	data  map[string]string
	calls int
}

func (s *mapStore) GetMany(_ context.Context, keys []string, results []runtime.KVResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	for i, k := range keys {
		if v, ok := s.data[k]; ok {
			results[i] = runtime.KVResult{Status: runtime.KVFound, Value: []byte(v)}
		} else {
			results[i] = runtime.KVResult{Status: runtime.KVMiss}
		}
	}
}

func (s *mapStore) Set(_ context.Context, key string, value []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[key] = string(value)
	return nil
}

type sink struct {
	mu     sync.Mutex
	values map[string]int64
}

func (s *sink) Metric(info runtime.BindInfo, kind runtime.MetricKind, name string) func(int64) {
	return func(v int64) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if kind == runtime.MetricCounter {
			v += s.values[name]
		}
		s.values[name] = v
	}
}

// The C and Go SDKs' kvlookup guests give the same verdicts on the same
// store: one lookup call per batch, a value over the SDKs' first answer
// buffer asked again with room, writes under the namespace.
func TestKVGuestsAgree(t *testing.T) {
	big := strings.Repeat("B", 100<<10)
	for _, guest := range []struct {
		name string
		wasm func(testing.TB) []byte
	}{
		{"c", func(tb testing.TB) []byte { return fixtures.C(tb, "sdk/c/sdktest/kvlookup") }},
		{"go", func(tb testing.TB) []byte { return fixtures.Warm(tb, fixtures.Go(tb, "sdk/go/internal/kvlookup")) }},
	} {
		t.Run(guest.name, func(t *testing.T) {
			store := &mapStore{data: map[string]string{"risk:c1": `{"score":9}`, "risk:big": big}}
			metrics := &sink{values: map[string]int64{}}
			e, err := sharedEngine()
			require.NoError(t, err)
			m, err := e.Load(context.Background(), guest.wasm(t))
			require.NoError(t, err)
			defer m.Close(context.Background())
			p, err := m.NewPool(context.Background(), runtime.PoolConfig{Grants: []runtime.Grant{
				runtime.KVGrant{Namespaces: map[string]runtime.KVNamespace{"risk": {Store: store, Write: true}}},
				runtime.MetricsGrant{Sink: metrics},
			}})
			require.NoError(t, err)
			defer p.Close(context.Background())

			got := process(t, p, nil, "c1", "nope", "", "big", "set:w=v")
			assert.Equal(t, `{"score":9}`, string(got[0].Out[0].Value))
			assert.Equal(t, map[string]string{"kv": "miss"}, got[1].Out[0].Meta)
			assert.Equal(t, outcome{Class: runtime.ClassGuest, Error: "kv invalid_key"}, got[2])
			assert.Equal(t, big, string(got[3].Out[0].Value), "asked again with room")
			assert.Equal(t, "v", store.data["risk:w"])
			assert.Equal(t, 2, store.calls, "one call for the batch, one more for the value over the buffer")
			assert.Equal(t, map[string]int64{"lookups": 5, "hits": 2, "batch_size": 5}, metrics.values)
		})
	}
}
