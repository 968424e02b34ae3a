package runtime_test

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// setMany is a set_many of entries (key, value) in ns with an answer
// buffer of outCap.
func setMany(ns string, entries [][2]string, outCap int, ttl int64) kvCall {
	le := binary.LittleEndian
	req := le.AppendUint32(nil, uint32(len(entries)))
	for _, e := range entries {
		req = append(le.AppendUint32(req, uint32(len(e[0]))), e[0]...)
		req = append(le.AppendUint32(req, uint32(len(e[1]))), e[1]...)
	}
	return setManyRaw(ns, req, outCap, ttl)
}

func setManyRaw(ns string, req []byte, outCap int, ttl int64) kvCall {
	payload := append(append([]byte(ns), req...), make([]byte, outCap)...)
	n, r := uint32(len(ns)), uint32(len(req))
	return kvCall{op: 2, args: [6]uint32{0, n, n, r, n + r, uint32(outCap)}, ttl: ttl, payload: payload}
}

// statuses reads set_many's emitted answer: result, then a status each.
func statuses(t *testing.T, emit []byte) []uint32 {
	t.Helper()
	le := binary.LittleEndian
	n := int(le.Uint64(emit))
	require.Len(t, emit, 8+n)
	var st []uint32
	for i := 8; i < len(emit); i += 4 {
		st = append(st, le.Uint32(emit[i:]))
	}
	return st
}

// batchStore is a mapStore that writes many keys in one call.
type batchStore struct {
	*mapStore
	calls int
}

func (s *batchStore) SetMany(ctx context.Context, keys []string, values [][]byte, ttl time.Duration, errs []error) {
	s.calls++
	for i, k := range keys {
		errs[i] = s.Set(ctx, k, values[i], ttl)
	}
}

// One set_many writes every valid entry under the namespace's prefix with
// the grant's TTL bound, answering each entry; a store that writes many
// keys at once is called once.
func TestKVSetMany(t *testing.T) {
	store := &batchStore{mapStore: newMapStore()}
	g := grantBoth(store)
	ns := g.Namespaces["other"]
	ns.MaxTTL = time.Minute
	g.Namespaces["other"] = ns
	g.MaxValueBytes = 8
	p := kvPool(t, g, runtime.PoolConfig{})
	emit, err := run1(t, p, setMany("other", [][2]string{{"a", "1"}, {"", "x"}, {"b", "123456789"}, {"c", ""}}, 16, 0))
	require.NoError(t, err)
	assert.Equal(t, []uint32{0, 4, 5, 0}, statuses(t, emit))
	assert.Equal(t, map[string]string{"o/a": "1", "o/c": ""}, store.data)
	assert.Equal(t, time.Minute, store.ttls["o/a"], "no TTL asked: the grant's bound")
	assert.Equal(t, 1, store.calls)

	emit, err = run1(t, p, setMany("risk", [][2]string{{"k", "v"}}, 4, 1500))
	require.NoError(t, err)
	assert.Equal(t, []uint32{0}, statuses(t, emit))
	assert.Equal(t, 1500*time.Millisecond, store.ttls["risk:k"])

	emit, err = run1(t, p, setMany("risk", nil, 0, 0))
	require.NoError(t, err)
	assert.Empty(t, statuses(t, emit))
	assert.Equal(t, 2, store.calls, "nothing to write: no store call")
}

// A store that writes key by key is asked for each; a failing store
// fails the batch as host_error, or answers store_error when granted so.
func TestKVSetManyStoreErrors(t *testing.T) {
	store := newMapStore()
	p := kvPool(t, grantBoth(store), runtime.PoolConfig{})
	emit, err := run1(t, p, setMany("risk", [][2]string{{"a", "1"}, {"b", "2"}}, 8, 0))
	require.NoError(t, err)
	assert.Equal(t, []uint32{0, 0}, statuses(t, emit))
	assert.Equal(t, map[string]string{"risk:a": "1", "risk:b": "2"}, store.data)

	store.err = errors.New("connection refused")
	_, err = run1(t, p, setMany("risk", [][2]string{{"a", "1"}}, 4, 0))
	require.ErrorIs(t, err, runtime.ErrHost)
	assert.ErrorContains(t, err, "connection refused")

	g := grantBoth(store)
	g.StoreErrors = runtime.KVStoreErrorsToGuest
	emit, err = run1(t, kvPool(t, g, runtime.PoolConfig{}), setMany("risk", [][2]string{{"a", "1"}, {"", "2"}}, 8, 0))
	require.NoError(t, err)
	assert.Equal(t, []uint32{2, 4}, statuses(t, emit))
}

// Every count and length a guest passes is checked before anything is
// allocated for it: a malformed set_many fails the batch as bad_output,
// naming what is wrong, and writes nothing.
func TestKVSetManyHostile(t *testing.T) {
	le := binary.LittleEndian
	store := newMapStore()
	g := grantBoth(store)
	g.MaxKeysPerCall, g.MaxResponseBytes = 4, 10
	p := kvPool(t, g, runtime.PoolConfig{})
	huge := le.AppendUint32(nil, 0xffffffff)
	past := append(le.AppendUint32(le.AppendUint32(nil, 1), 1), 'k')
	past = le.AppendUint32(past, 0xfffffff0)
	for want, c := range map[string]kvCall{
		"4294967295 keys in one call, over the cap of 4":     setManyRaw("risk", huge, 0, 0),
		"request of 4 bytes cannot hold 3 keys":              setManyRaw("risk", le.AppendUint32(nil, 3), 64, 0),
		"entry 0: value length 4294967280 runs past":         setManyRaw("risk", past, 4, 0),
		"1 bytes after the last value":                       setManyRaw("risk", append(setMany("risk", [][2]string{{"k", "v"}}, 0, 0).payload[4:], 0), 4, 0),
		"out_cap 4 cannot hold the answer for 2 keys":        setMany("risk", [][2]string{{"a", "1"}, {"b", "2"}}, 4, 0),
		"values of more than 10 bytes in one call":           setMany("risk", [][2]string{{"a", "123456"}, {"b", "123456"}}, 8, 0),
		"namespace \"nope\" is not declared in the manifest": setMany("nope", nil, 0, 0),
	} {
		_, err := run1(t, p, c)
		require.ErrorIs(t, err, runtime.ErrBadOutput, want)
		assert.ErrorContains(t, err, "weir_kv.set_many: "+want)
		assert.True(t, strings.Contains(err.Error(), want))
	}
	assert.Empty(t, store.data)
}
