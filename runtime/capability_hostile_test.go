package runtime_test

import (
	"context"
	"encoding/binary"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// hostile marks an argument kvproxy.wat uses as it is, not as an offset
// into the record's payload.
const hostile = 0x10000000

// Every argument a guest passes to weir_kv is untrusted: out-of-bounds
// pointers, lengths and counts that lie, buffers too small for the
// answer's table. Each fails the batch as bad_output, naming the
// argument, before anything is allocated for it; the store is never
// asked; the pool serves the next batch.
func TestKVHostileCalls(t *testing.T) {
	store := newMapStore()
	p := kvPool(t, grantBoth(store), runtime.PoolConfig{})
	le := binary.LittleEndian
	good := getMany("risk", []string{"a"}, 64)
	withArg := func(c kvCall, i int, v uint32) kvCall { c.args[i] = v; return c }
	withReq := func(req []byte) kvCall {
		payload := append(append([]byte("risk"), req...), make([]byte, 64)...)
		n := uint32(len(req))
		return kvCall{args: [6]uint32{0, 4, 4, n, 4 + n, 64}, payload: payload}
	}
	count := func(n uint32, rest ...byte) []byte { return append(le.AppendUint32(nil, n), rest...) }
	for _, tc := range []struct {
		name string
		call kvCall
		want string
	}{
		{"namespace out of memory", withArg(good, 0, hostile|0x0fff_fff0), "namespace [536870896, +4) is outside linear memory"},
		{"namespace huge", withArg(good, 1, 0xffff_ffff), "namespace of 4294967295 bytes, over the cap of 64"},
		{"request out of memory", withArg(good, 2, 0xffff_fff0), "request [4294967280, +9) is outside linear memory"},
		{"request length wraps", withArg(good, 3, 0xffff_ffff), "is outside linear memory"},
		{"answer out of memory", withArg(good, 4, 0xffff_fff0), "answer buffer [4294967280, +64) is outside linear memory"},
		{"answer cap past memory", withArg(good, 5, 0x7fff_ffff), "is outside linear memory"},
		{"answer too small for the table", withArg(good, 5, 7), "out_cap 7 cannot hold the answer's table for 1 keys"},
		{"no count", withReq([]byte{1, 2}), "request of 2 bytes has no key count"},
		{"count huge", withReq(count(0xffff_ffff)), "4294967295 keys in one call, over the cap of 1024"},
		{"count over the request", withReq(count(100)), "request of 4 bytes cannot hold 100 keys"},
		{"key length lies", withReq(count(1, 0xff, 0xff, 0xff, 0x7f, 'a')), "key 0: length 2147483647 runs past the request's end"},
		{"key length cut", withReq(count(2, 1, 0, 0, 0, 'a', 9, 9, 9)), "key 1: request ends before its length"},
		{"trailing bytes", withReq(count(1, 1, 0, 0, 0, 'a', 'z')), "1 bytes after the last key"},
		{"undeclared namespace", getMany("nope", []string{"a"}, 64), `namespace "nope" is not declared in the manifest`},
		{"set: key out of memory", withArg(setKey("risk", "k", "v", 0), 2, 0xffff_fff0), "key or value is outside linear memory"},
		{"set: value out of memory", withArg(setKey("risk", "k", "v", 0), 5, 0x7fff_ffff), "key or value is outside linear memory"},
		{"set: namespace huge", withArg(setKey("risk", "k", "v", 0), 1, 1<<20), "namespace of 1048576 bytes"},
	} {
		_, err := run1(t, p, tc.call)
		require.ErrorIs(t, err, runtime.ErrBadOutput, tc.name)
		assert.ErrorContains(t, err, tc.want, tc.name)
	}
	assert.Empty(t, store.asked, "no hostile call reached the store")
	emit, err := run1(t, p, good)
	require.NoError(t, err)
	assert.Equal(t, runtime.KVMiss, parseAnswer(t, emit, 1).status[0], "the pool still serves")
}

// A module that declared no write cannot write, whatever it imports.
func TestKVSetNeedsDeclaredWrite(t *testing.T) {
	readOnly, err := runtime.Pack(rawWAT(t, "kvproxy"), runtime.Manifest{ABI: 1, Name: "kvproxy", Version: "ro",
		Capabilities: runtime.Declarations{"kv": []byte(`{"namespaces": ["risk"]}`)}})
	require.NoError(t, err)
	store := newMapStore()
	e, _ := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, readOnly, runtime.PoolConfig{Grants: []runtime.Grant{runtime.KVGrant{Namespaces: map[string]runtime.KVNamespace{"risk": {Store: store, Write: true}}}}})
	_, err = run1(t, p, setKey("risk", "k", "v", 0))
	require.ErrorIs(t, err, runtime.ErrBadOutput)
	assert.ErrorContains(t, err, `weir_kv.set: the manifest's kv declaration has no "write": true`)
	assert.Empty(t, store.data)
}

// FuzzKVGetMany throws arbitrary arguments and requests at get_many: the
// host answers or fails the batch as bad_output, never anything else, and
// never asks the store for a key outside the namespace.
func FuzzKVGetMany(f *testing.F) {
	f.Add(uint32(0), uint32(4), uint32(4), uint32(13), uint32(17), uint32(64), getMany("risk", []string{"a", "b"}, 0).payload)
	f.Add(uint32(0), uint32(4), uint32(4), uint32(4), uint32(8), uint32(0), []byte("risk\x00\x00\x00\x00"))
	f.Add(uint32(hostile), uint32(0xffffffff), uint32(0), uint32(8), uint32(0), uint32(8), []byte("risk\x01\x00\x00\x00\x00\x00\x00\x00"))
	store := newMapStore()
	store.data["risk:a"] = "found"
	p := kvPool(f, grantBoth(store), runtime.PoolConfig{})
	f.Fuzz(func(t *testing.T, a0, a1, a2, a3, a4, a5 uint32, payload []byte) {
		if len(payload) > 64<<10 {
			return
		}
		call := kvCall{args: [6]uint32{a0, a1, a2, a3, a4, a5}, payload: payload}
		out, err := p.Process(context.Background(), []runtime.Record{call.record()})
		if err != nil {
			require.ErrorIs(t, err, runtime.ErrBadOutput)
			return
		}
		require.Len(t, out, 1)
		store.mu.Lock()
		defer store.mu.Unlock()
		for _, k := range store.asked {
			require.True(t, strings.HasPrefix(k, "risk:") || strings.HasPrefix(k, "o/"), k)
		}
	})
}

// metricsSink records every guest metric update by kind, name and labels.
type metricsSink struct {
	mu     sync.Mutex
	values map[string]int64
}

func (s *metricsSink) Metric(info runtime.BindInfo, kind runtime.MetricKind, name string) func(int64) {
	key := string(kind) + "/" + name + "/" + info.Manifest.ID()
	return func(v int64) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if kind == runtime.MetricCounter {
			v += s.values[key]
		}
		s.values[key] = v
	}
}

// metricCall is one update metricsproxy.wat makes.
func metricCall(op uint32, name string, v int64) runtime.Record {
	b := make([]byte, 24, 24+len(name))
	binary.LittleEndian.PutUint32(b, op)
	binary.LittleEndian.PutUint32(b[8:], uint32(len(name)))
	binary.LittleEndian.PutUint64(b[16:], uint64(v))
	return runtime.Record{Value: append(b, name...)}
}

// Guest metrics reach the sink by kind and name, labelled with the
// transform; an undeclared name, a negative counter increment or a name
// outside memory fails the batch as bad_output, updating nothing.
func TestGuestMetrics(t *testing.T) {
	sink := &metricsSink{values: map[string]int64{}}
	e, _ := newEngine(t, runtime.EngineConfig{})
	_, err := newPoolErr(e, wat(t, "metricsproxy"), runtime.PoolConfig{})
	require.ErrorIs(t, err, runtime.ErrAdmission)
	assert.ErrorContains(t, err, "capabilities:\n    metrics: {}")

	p := newPool(t, e, wat(t, "metricsproxy"), runtime.PoolConfig{Grants: []runtime.Grant{runtime.MetricsGrant{Sink: sink}}})
	_, err = p.Process(context.Background(), []runtime.Record{
		metricCall(0, "enriched", 2), metricCall(0, "enriched", 3), metricCall(1, "backlog", 7), metricCall(1, "backlog", -4), metricCall(2, "lookup_ns", 1500),
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"counters/enriched/metricsproxy@0.2.0": 5, "gauges/backlog/metricsproxy@0.2.0": -4, "histograms/lookup_ns/metricsproxy@0.2.0": 1500}, sink.values)

	hostileName := metricCall(0, "", 1)
	binary.LittleEndian.PutUint32(hostileName.Value[4:], 0xffff_fff0)
	binary.LittleEndian.PutUint32(hostileName.Value[8:], 16)
	for _, tc := range []struct {
		rec  runtime.Record
		want string
	}{
		{metricCall(0, "backlog", 1), `weir_metrics.counter_add: counter "backlog" is not declared in the manifest's metrics (declared: "enriched")`},
		{metricCall(2, "enriched", 1), `histogram "enriched" is not declared`},
		{metricCall(0, "enriched", -1), "negative increment -1"},
		{metricCall(1, strings.Repeat("x", 65), 1), "metric name of 65 bytes, over the cap of 64"},
		{hostileName, "metric name [4294967280, +16) is outside linear memory"},
	} {
		_, err := p.Process(context.Background(), []runtime.Record{tc.rec})
		require.ErrorIs(t, err, runtime.ErrBadOutput, tc.want)
		assert.ErrorContains(t, err, tc.want)
	}
	assert.Equal(t, int64(5), sink.values["counters/enriched/metricsproxy@0.2.0"], "a refused update changes nothing")
}

func newPoolErr(e *runtime.Engine, wasm []byte, cfg runtime.PoolConfig) (*runtime.Pool, error) {
	m, err := e.Load(context.Background(), wasm)
	if err != nil {
		return nil, err
	}
	defer m.Close(context.Background())
	return m.NewPool(context.Background(), cfg)
}
