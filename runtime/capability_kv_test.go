package runtime_test

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// mapStore is a KVStore in a map, recording the keys asked, with a fault
// to inject: every call fails with err, or waits for its context.
type mapStore struct {
	mu    sync.Mutex
	data  map[string]string
	ttls  map[string]time.Duration
	asked []string
	err   error
	block bool
}

func newMapStore() *mapStore {
	return &mapStore{data: map[string]string{}, ttls: map[string]time.Duration{}}
}

func (s *mapStore) GetMany(ctx context.Context, keys []string, results []runtime.KVResult) {
	s.mu.Lock()
	block, fail := s.block, s.err
	s.asked = append(s.asked, keys...)
	s.mu.Unlock()
	if block {
		<-ctx.Done()
		fail = ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, k := range keys {
		v, ok := s.data[k]
		switch {
		case fail != nil:
			results[i] = runtime.KVResult{Status: runtime.KVStoreError, Err: fail}
		case ok:
			results[i] = runtime.KVResult{Status: runtime.KVFound, Value: []byte(v)}
		default:
			results[i] = runtime.KVResult{Status: runtime.KVMiss}
		}
	}
}

func (s *mapStore) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.data[key], s.ttls[key] = string(value), ttl
	return nil
}

// kvCall is one call kvproxy.wat makes: op 0 get_many, 1 set; a pointer
// under 0x10000000 is an offset into payload.
type kvCall struct {
	op      uint32
	args    [6]uint32
	ttl     int64
	payload []byte
}

func (c kvCall) record() runtime.Record {
	b := make([]byte, 40, 40+len(c.payload))
	le := binary.LittleEndian
	le.PutUint32(b, c.op)
	for i, a := range c.args {
		le.PutUint32(b[4+4*i:], a)
	}
	le.PutUint64(b[32:], uint64(c.ttl))
	return runtime.Record{Value: append(b, c.payload...)}
}

// getMany is a well-formed get_many of keys in ns with an answer buffer of outCap.
func getMany(ns string, keys []string, outCap int) kvCall {
	req := binary.LittleEndian.AppendUint32(nil, uint32(len(keys)))
	for _, k := range keys {
		req = binary.LittleEndian.AppendUint32(req, uint32(len(k)))
		req = append(req, k...)
	}
	payload := append(append([]byte(ns), req...), make([]byte, outCap)...)
	nsLen, reqLen := uint32(len(ns)), uint32(len(req))
	return kvCall{op: 0, args: [6]uint32{0, nsLen, nsLen, reqLen, nsLen + reqLen, uint32(outCap)}, payload: payload}
}

func setKey(ns, key, value string, ttl int64) kvCall {
	payload := ns + key + value
	n, k := uint32(len(ns)), uint32(len(key))
	return kvCall{op: 1, args: [6]uint32{0, n, n, k, n + k, uint32(len(value))}, ttl: ttl, payload: []byte(payload)}
}

// kvAnswer is a get_many answer: the result, and per key status and value.
type kvAnswer struct {
	result int64
	status []runtime.KVStatus
	sizes  []uint32
	values []string
}

func parseAnswer(t *testing.T, emit []byte, keys int) kvAnswer {
	t.Helper()
	le := binary.LittleEndian
	a := kvAnswer{result: int64(le.Uint64(emit))}
	body := emit[8:]
	pos := keys * 8
	for i := 0; i < keys; i++ {
		st, n := runtime.KVStatus(le.Uint32(body[i*8:])), le.Uint32(body[i*8+4:])
		a.status, a.sizes = append(a.status, st), append(a.sizes, n)
		v := ""
		if st == runtime.KVFound {
			v = string(body[pos : pos+int(n)])
			pos += int(n)
		}
		a.values = append(a.values, v)
	}
	require.Equal(t, len(body), pos, "answer length")
	return a
}

func kvPool(t testing.TB, g runtime.KVGrant, cfg runtime.PoolConfig) *runtime.Pool {
	e, _ := newEngine(t, runtime.EngineConfig{})
	cfg.Grants = []runtime.Grant{g}
	return newPool(t, e, wat(t, "kvproxy"), cfg)
}

func grantBoth(store runtime.KVStore) runtime.KVGrant {
	return runtime.KVGrant{Namespaces: map[string]runtime.KVNamespace{
		"risk":  {Store: store, Write: true},
		"other": {Store: store, Write: true, Prefix: "o/"},
	}}
}

func run1(t *testing.T, p *runtime.Pool, c kvCall) ([]byte, error) {
	t.Helper()
	out, err := p.Process(context.Background(), []runtime.Record{c.record()})
	if err != nil {
		return nil, err
	}
	require.Len(t, out, 1)
	require.NoError(t, out[0].Err)
	require.Len(t, out[0].Emits, 1)
	return out[0].Emits[0].Value, nil
}

// One call answers every key, each with its own distinct result.
func TestKVGetManyAnswersEveryKey(t *testing.T) {
	store := newMapStore()
	store.data["risk:c1"], store.data["risk:c2"], store.data["risk:big"] = `{"score":9}`, "", strings.Repeat("x", 2<<20)
	p := kvPool(t, grantBoth(store), runtime.PoolConfig{})
	keys := []string{"c1", "nope", "", strings.Repeat("k", 1025), "c2", "big"}
	emit, err := run1(t, p, getMany("risk", keys, 4096))
	require.NoError(t, err)
	a := parseAnswer(t, emit, len(keys))
	assert.Equal(t, []runtime.KVStatus{runtime.KVFound, runtime.KVMiss, runtime.KVInvalidKey, runtime.KVInvalidKey, runtime.KVFound, runtime.KVTooLarge}, a.status)
	assert.Equal(t, []string{`{"score":9}`, "", "", "", "", ""}, a.values)
	assert.Equal(t, uint32(2<<20), a.sizes[5], "too_large says the value's size")
	assert.Equal(t, []string{"risk:c1", "risk:nope", "risk:c2", "risk:big"}, store.asked, "invalid keys never reach the store, in one call")
}

// A value that does not fit the guest's buffer is answered no_room with
// its length: the guest asks again with room for it.
func TestKVGetManyNoRoom(t *testing.T) {
	store := newMapStore()
	store.data["risk:a"], store.data["risk:b"] = "12345678", "xy"
	p := kvPool(t, grantBoth(store), runtime.PoolConfig{})
	emit, err := run1(t, p, getMany("risk", []string{"a", "b"}, 16+4))
	require.NoError(t, err)
	a := parseAnswer(t, emit, 2)
	assert.Equal(t, []runtime.KVStatus{runtime.KVNoRoom, runtime.KVFound}, a.status)
	assert.Equal(t, uint32(8), a.sizes[0])
	assert.Equal(t, "xy", a.values[1])
}

// A guest cannot reach keys outside its namespace: whatever it passes is
// put after the namespace's prefix, and a namespace it did not declare is
// refused.
func TestKVNamespaceCannotBeEscaped(t *testing.T) {
	store := newMapStore()
	store.data["o/secret"], store.data["secret"] = "other's", "outside"
	p := kvPool(t, grantBoth(store), runtime.PoolConfig{})
	keys := []string{"../secret", "/secret", "o/secret", ":secret", "\x00secret", "risk:../o/secret", "..\\secret"}
	emit, err := run1(t, p, getMany("risk", keys, 1024))
	require.NoError(t, err)
	a := parseAnswer(t, emit, len(keys))
	for i, st := range a.status {
		assert.Equal(t, runtime.KVMiss, st, keys[i])
	}
	for _, k := range store.asked {
		assert.True(t, strings.HasPrefix(k, "risk:"), "the store was asked %q", k)
	}
	for _, ns := range []string{"", "risk:", "../other", "RISK", "secret", strings.Repeat("r", 65)} {
		_, err := run1(t, p, getMany(ns, []string{"secret"}, 64))
		require.ErrorIs(t, err, runtime.ErrBadOutput, ns)
	}
	emit, err = run1(t, p, getMany("other", []string{"secret"}, 64))
	require.NoError(t, err)
	assert.Equal(t, "other's", parseAnswer(t, emit, 1).values[0], "a declared namespace reads its own keys")
}

// A lookup still running at the batch's deadline fails the batch as
// timeout; the pool serves the next batch.
func TestKVLookupPastDeadlineTimesOut(t *testing.T) {
	store := newMapStore()
	store.block = true
	p := kvPool(t, grantBoth(store), runtime.PoolConfig{Timeout: 300 * time.Millisecond})
	_, err := run1(t, p, getMany("risk", []string{"a"}, 64))
	require.ErrorIs(t, err, runtime.ErrTimeout)
	assert.ErrorContains(t, err, "weir_process")
	store.mu.Lock()
	store.block = false
	store.mu.Unlock()
	_, err = run1(t, p, getMany("risk", []string{"a"}, 64))
	require.NoError(t, err)
}

// A store failure fails the batch as host_error (the input redelivers it)
// by default, or is answered store_error per key when the grant says so.
func TestKVStoreErrors(t *testing.T) {
	store := newMapStore()
	store.err = errors.New("connection refused")
	p := kvPool(t, grantBoth(store), runtime.PoolConfig{})
	_, err := run1(t, p, getMany("risk", []string{"a", "b"}, 64))
	require.ErrorIs(t, err, runtime.ErrHost)
	assert.ErrorContains(t, err, "the store failed, the batch goes back to the input")
	assert.ErrorContains(t, err, "connection refused")
	assert.False(t, errors.Is(err, runtime.ErrBadOutput))

	g := grantBoth(store)
	g.StoreErrors = runtime.KVStoreErrorsToGuest
	p = kvPool(t, g, runtime.PoolConfig{})
	emit, err := run1(t, p, getMany("risk", []string{"a", ""}, 64))
	require.NoError(t, err)
	assert.Equal(t, []runtime.KVStatus{runtime.KVStoreError, runtime.KVInvalidKey}, parseAnswer(t, emit, 2).status)
	emit, err = run1(t, p, setKey("risk", "a", "v", 0))
	require.NoError(t, err)
	assert.Equal(t, int64(2), int64(binary.LittleEndian.Uint64(emit)), "set answers store_error")
}

// Writes go under the namespace's prefix with the grant's TTL bound.
func TestKVSet(t *testing.T) {
	store := newMapStore()
	g := grantBoth(store)
	ns := g.Namespaces["other"]
	ns.MaxTTL = time.Minute
	g.Namespaces["other"] = ns
	g.MaxValueBytes = 8
	p := kvPool(t, g, runtime.PoolConfig{})
	for _, tc := range []struct {
		call kvCall
		want int64
	}{
		{setKey("risk", "k", "v1", 1500), 0},
		{setKey("other", "k", "v2", 0), 0},
		{setKey("other", "j", "v3", 3_600_000), 0},
		{setKey("risk", "", "v", 0), 4},
		{setKey("risk", "k", "123456789", 0), 5},
		{setKey("risk", "h", "v", -5), 0},
		{setKey("risk", "m", "v", 1<<62), 0},
	} {
		emit, err := run1(t, p, tc.call)
		require.NoError(t, err)
		assert.Equal(t, tc.want, int64(binary.LittleEndian.Uint64(emit)))
	}
	assert.Equal(t, map[string]string{"risk:k": "v1", "o/k": "v2", "o/j": "v3", "risk:h": "v", "risk:m": "v"}, store.data)
	assert.Equal(t, 1500*time.Millisecond, store.ttls["risk:k"])
	assert.Equal(t, time.Minute, store.ttls["o/k"], "no TTL asked: the grant's bound")
	assert.Equal(t, time.Minute, store.ttls["o/j"], "more than the bound: the bound")
	assert.Equal(t, time.Duration(0), store.ttls["risk:h"], "negative: none")
	assert.Greater(t, store.ttls["risk:m"], time.Duration(0), "huge: no overflow to a negative TTL")
}
