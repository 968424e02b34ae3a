package runtime

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// FixtureGrants are the grants a fixture run gives a module that declares
// capabilities: never a real store, network or exporter. Each kv
// namespace the module declares is served by an in-memory store holding
// the fixtures' kv contents for it (Fixtures.KV: guest keys, under the
// default prefix "<namespace>:"), which the run's writes change and which
// is dropped after it; metrics are counted nowhere. A module declaring
// http (or a capability added later) has no fixture grant: its fixture
// run fails at pool start, naming the capability, as an ungranted
// pipeline does — test it in a pipeline instead. Fixtures naming a
// namespace the module does not declare are refused.
func (f Fixtures) FixtureGrants(m Manifest) ([]Grant, error) {
	for ns := range f.KV {
		if !declaresNamespace(m, ns) {
			return nil, fmt.Errorf("fixtures: kv names namespace %q, which the manifest does not declare", ns)
		}
	}
	var grants []Grant
	names := make([]string, 0, len(m.Capabilities))
	for name := range m.Capabilities {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch name {
		case "kv":
			grants = append(grants, f.kvGrant(m))
		case "metrics":
			grants = append(grants, MetricsGrant{Sink: discardMetrics{}})
		}
	}
	return grants, nil
}

func declaresNamespace(m Manifest, ns string) bool {
	d, err := declareKV(m.Capabilities["kv"])
	if err != nil {
		return false
	}
	for _, n := range d.(kvDecl).Namespaces {
		if n == ns {
			return true
		}
	}
	return false
}

// kvGrant grants every declared namespace a fixture store of its own.
func (f Fixtures) kvGrant(m Manifest) KVGrant {
	d, _ := declareKV(m.Capabilities["kv"]) // checked at load
	decl, _ := d.(kvDecl)
	g := KVGrant{Namespaces: map[string]KVNamespace{}}
	for _, ns := range decl.Namespaces {
		s := &fixtureStore{data: map[string][]byte{}}
		for k, v := range f.KV[ns] {
			s.data[ns+":"+k] = []byte(v)
		}
		g.Namespaces[ns] = KVNamespace{Store: s, Write: decl.Write}
	}
	return g
}

// fixtureStore is a fixture run's in-memory KVStore.
type fixtureStore struct {
	mu   sync.Mutex
	data map[string][]byte
}

func (s *fixtureStore) GetMany(_ context.Context, keys []string, results []KVResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, k := range keys {
		if v, ok := s.data[k]; ok {
			results[i] = KVResult{Status: KVFound, Value: v}
		} else {
			results[i] = KVResult{Status: KVMiss}
		}
	}
}

func (s *fixtureStore) Set(_ context.Context, key string, value []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[key] = value
	return nil
}

// discardMetrics is a fixture run's MetricsSink: updates go nowhere.
type discardMetrics struct{}

func (discardMetrics) Metric(BindInfo, MetricKind, string) func(int64) { return func(int64) {} }
