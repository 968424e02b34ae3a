package runtime

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// errNotAnswered is the error of a key the store left unanswered.
var errNotAnswered = errors.New("the store gave no answer for the key")

// kvEntryBytes is the size of one key's entry in get_many's answer:
// status u32, length u32.
const kvEntryBytes = 8

// maxNamespaceBytes caps the namespace name a guest passes.
const maxNamespaceBytes = 64

// hostKVGetMany is weir_kv.get_many(ns_ptr, ns_len, req_ptr, req_len,
// out_ptr, out_cap) -> i64 (docs/abi.md, "Capability kv"). The request is
// count u32, then count × (len u32, key bytes); the answer written at out
// is count × (status u32, len u32), then the found values in key order.
// It returns the answer's length. A malformed call fails the batch as
// bad_output; a store outage fails it as host_error (or, under
// KVStoreErrorsToGuest, answers store_error); a lookup past the batch's
// deadline fails it as timeout.
func hostKVGetMany(ctx context.Context, s *callState, mod api.Module, stack []uint64) {
	const fn = "weir_kv.get_many"
	b, ns := kvNamespace(fn, s, mod, stack[0], stack[1])
	mem := mod.Memory()
	req, ok := mem.Read(api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
	if !ok {
		panic(misuse(fn, "request [%d, +%d) is outside linear memory of %d bytes", api.DecodeU32(stack[2]), api.DecodeU32(stack[3]), mem.Size()))
	}
	keys, valid := parseKVRequest(fn, req, ns.Prefix, b.grant)
	outPtr, outCap := api.DecodeU32(stack[4]), api.DecodeU32(stack[5])
	if uint64(len(keys))*kvEntryBytes > uint64(outCap) {
		panic(misuse(fn, "out_cap %d cannot hold the answer's table for %d keys (%d bytes each)", outCap, len(keys), kvEntryBytes))
	}
	out, ok := mem.Read(outPtr, outCap)
	if !ok {
		panic(misuse(fn, "answer buffer [%d, +%d) is outside linear memory of %d bytes", outPtr, outCap, mem.Size()))
	}
	results := make([]KVResult, len(keys))
	lookup(ctx, s, ns.Store, keys, valid, results)
	checkStoreErrors(fn, b, results)
	stack[0] = uint64(writeKVAnswer(out, results, valid, b.grant))
}

// kvNamespace is the binding and the granted namespace a call names.
func kvNamespace(fn string, s *callState, mod api.Module, ptr, n uint64) (*kvBinding, KVNamespace) {
	b, _ := s.binding("kv").(*kvBinding)
	if b == nil {
		panic(misuse(fn, "the pool grants no kv capability"))
	}
	if uint32(n) > maxNamespaceBytes {
		panic(misuse(fn, "namespace of %d bytes, over the cap of %d", uint32(n), maxNamespaceBytes))
	}
	name, ok := mod.Memory().Read(api.DecodeU32(ptr), api.DecodeU32(n))
	if !ok {
		panic(misuse(fn, "namespace [%d, +%d) is outside linear memory", api.DecodeU32(ptr), api.DecodeU32(n)))
	}
	ns, ok := b.namespaces[string(name)]
	if !ok {
		panic(misuse(fn, "namespace %q is not declared in the manifest (declared: %s)", guestText(name, maxNamespaceBytes), b.declared()))
	}
	return b, ns
}

func (b *kvBinding) declared() string {
	s := ""
	for n := range b.namespaces {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%q", n)
	}
	return s
}

// parseKVRequest decodes the request into store keys (the namespace's
// prefix + the guest's key) and which of them are valid (not empty, not
// over MaxKeyBytes). Every count and length is checked against what is
// left of the request before anything is allocated for it.
func parseKVRequest(fn string, req []byte, prefix string, g KVGrant) ([]string, []bool) {
	if len(req) < 4 {
		panic(misuse(fn, "request of %d bytes has no key count", len(req)))
	}
	count := binary.LittleEndian.Uint32(req)
	if uint64(count) > uint64(g.MaxKeysPerCall) {
		panic(misuse(fn, "%d keys in one call, over the cap of %d: ask in several calls", count, g.MaxKeysPerCall))
	}
	if uint64(count)*4 > uint64(len(req)-4) {
		panic(misuse(fn, "request of %d bytes cannot hold %d keys", len(req), count))
	}
	keys, valid := make([]string, count), make([]bool, count)
	pos := 4
	for i := range keys {
		if len(req)-pos < 4 {
			panic(misuse(fn, "key %d: request ends before its length", i))
		}
		n := binary.LittleEndian.Uint32(req[pos:])
		pos += 4
		if uint64(n) > uint64(len(req)-pos) {
			panic(misuse(fn, "key %d: length %d runs past the request's end", i, n))
		}
		key := req[pos : pos+int(n)]
		pos += int(n)
		if valid[i] = n > 0 && int(n) <= g.MaxKeyBytes; valid[i] {
			keys[i] = prefix + string(key)
		}
	}
	if pos != len(req) {
		panic(misuse(fn, "%d bytes after the last key", len(req)-pos))
	}
	return keys, valid
}

// lookup asks the store for the valid keys under the batch's deadline; a
// lookup that ends past it fails the batch as timeout.
func lookup(ctx context.Context, s *callState, store KVStore, keys []string, valid []bool, results []KVResult) {
	ask, at := make([]string, 0, len(keys)), make([]int, 0, len(keys))
	for i, k := range keys {
		if valid[i] {
			ask, at = append(ask, k), append(at, i)
		}
	}
	if len(ask) == 0 {
		return
	}
	answers := make([]KVResult, len(ask))
	for i := range answers {
		answers[i] = KVResult{Status: KVStoreError, Err: errNotAnswered}
	}
	withDeadline(ctx, s, func(ctx context.Context) { store.GetMany(ctx, ask, answers) })
	for j, i := range at {
		results[i] = answers[j]
	}
}

// withDeadline runs a store call under the batch's deadline.
func withDeadline(ctx context.Context, s *callState, call func(context.Context)) {
	if !s.hostDeadline.IsZero() {
		if time.Now().After(s.hostDeadline) {
			panic(errDeadline)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, s.hostDeadline)
		defer cancel()
	}
	call(ctx)
	if !s.hostDeadline.IsZero() && time.Now().After(s.hostDeadline) {
		panic(errDeadline)
	}
}

// checkStoreErrors fails the batch as host_error on a store failure,
// unless the grant hands store errors to the guest.
func checkStoreErrors(fn string, b *kvBinding, results []KVResult) {
	if b.grant.StoreErrors == KVStoreErrorsToGuest {
		return
	}
	for _, r := range results {
		if r.Status == KVStoreError {
			panic(&Error{Class: ClassHost, Msg: fn + ": the store failed, the batch goes back to the input", Cause: r.Err})
		}
	}
}

// writeKVAnswer writes the entries and, after them, the found values that
// fit in out and under MaxResponseBytes; it returns the bytes written.
func writeKVAnswer(out []byte, results []KVResult, valid []bool, g KVGrant) uint32 {
	le := binary.LittleEndian
	pos, handed := len(results)*kvEntryBytes, 0
	for i, r := range results {
		status, n := r.Status, uint32(len(r.Value))
		switch {
		case !valid[i]:
			status, n = KVInvalidKey, 0
		case status != KVFound:
			n = 0
		case len(r.Value) > g.MaxValueBytes:
			status = KVTooLarge
		case len(r.Value) > len(out)-pos || handed+len(r.Value) > g.MaxResponseBytes:
			status = KVNoRoom
		default:
			pos += copy(out[pos:], r.Value)
			handed += len(r.Value)
		}
		le.PutUint32(out[i*kvEntryBytes:], uint32(status))
		le.PutUint32(out[i*kvEntryBytes+4:], n)
	}
	return uint32(pos)
}

// Results of weir_kv.set.
const (
	kvSetOK         = 0
	kvSetStoreError = 2 // as KVStoreError, only under KVStoreErrorsToGuest
	kvSetInvalidKey = 4
	kvSetTooLarge   = 5
)

// hostKVSet is weir_kv.set(ns_ptr, ns_len, key_ptr, key_len, val_ptr,
// val_len, ttl_ms i64) -> i32: 0 written, 2 store_error, 4 invalid_key,
// 5 too_large. A module that did not declare "write" fails the batch.
func hostKVSet(ctx context.Context, s *callState, mod api.Module, stack []uint64) {
	const fn = "weir_kv.set"
	b, ns := kvNamespace(fn, s, mod, stack[0], stack[1])
	if !b.write {
		panic(misuse(fn, "the manifest's kv declaration has no \"write\": true"))
	}
	mem := mod.Memory()
	key, okKey := mem.Read(api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
	val, okVal := mem.Read(api.DecodeU32(stack[4]), api.DecodeU32(stack[5]))
	if !okKey || !okVal {
		panic(misuse(fn, "key or value is outside linear memory of %d bytes", mem.Size()))
	}
	switch {
	case len(key) == 0 || len(key) > b.grant.MaxKeyBytes:
		stack[0] = kvSetInvalidKey
		return
	case len(val) > b.grant.MaxValueBytes:
		stack[0] = kvSetTooLarge
		return
	}
	ttl := kvTTL(int64(stack[6]), ns.MaxTTL)
	var err error
	storeKey, value := ns.Prefix+string(key), append([]byte(nil), val...) // the store may keep the value: not guest memory
	withDeadline(ctx, s, func(ctx context.Context) { err = ns.Store.Set(ctx, storeKey, value, ttl) })
	if err != nil {
		checkStoreErrors(fn, b, []KVResult{{Status: KVStoreError, Err: err}})
		stack[0] = kvSetStoreError
		return
	}
	stack[0] = kvSetOK
}

// kvTTL is the TTL of a write: the guest's (ms; 0 or negative is none),
// bounded by the grant's MaxTTL.
func kvTTL(ms int64, maxTTL time.Duration) time.Duration {
	ttl := time.Duration(0)
	switch {
	case ms >= int64(math.MaxInt64)/int64(time.Millisecond):
		ttl = math.MaxInt64
	case ms > 0:
		ttl = time.Duration(ms) * time.Millisecond
	}
	if maxTTL > 0 && (ttl == 0 || ttl > maxTTL) {
		ttl = maxTTL
	}
	return ttl
}

// KVSetManyStore is a KVStore that writes many keys in one call (one
// round trip); weir_kv.set_many asks any other store key by key.
type KVSetManyStore interface {
	// SetMany writes values[i] under keys[i], all with ttl (0: none),
	// setting errs[i] for each write that failed. It returns by ctx's
	// deadline.
	SetMany(ctx context.Context, keys []string, values [][]byte, ttl time.Duration, errs []error)
}

// kvStatusBytes is the size of one key's status in set_many's answer.
const kvStatusBytes = 4

// hostKVSetMany is weir_kv.set_many(ns_ptr, ns_len, req_ptr, req_len,
// out_ptr, out_cap, ttl_ms i64) -> i64 (docs/abi.md, "Capability kv"):
// the request is count u32, then count × (key len u32, key, value len
// u32, value); the answer written at out is count × status u32 (as
// set's results); the result is the answer's length. The values of one
// call are copied out of guest memory (a store may keep them), at most
// MaxResponseBytes together: over it the batch fails as bad_output.
func hostKVSetMany(ctx context.Context, s *callState, mod api.Module, stack []uint64) {
	const fn = "weir_kv.set_many"
	b, ns := kvNamespace(fn, s, mod, stack[0], stack[1])
	if !b.write {
		panic(misuse(fn, "the manifest's kv declaration has no \"write\": true"))
	}
	mem := mod.Memory()
	req, ok := mem.Read(api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
	if !ok {
		panic(misuse(fn, "request [%d, +%d) is outside linear memory of %d bytes", api.DecodeU32(stack[2]), api.DecodeU32(stack[3]), mem.Size()))
	}
	w := parseKVWrites(fn, req, ns.Prefix, b.grant)
	outPtr, outCap := api.DecodeU32(stack[4]), api.DecodeU32(stack[5])
	if uint64(len(w.status))*kvStatusBytes > uint64(outCap) {
		panic(misuse(fn, "out_cap %d cannot hold the answer for %d keys (%d bytes each)", outCap, len(w.status), kvStatusBytes))
	}
	out, ok := mem.Read(outPtr, outCap)
	if !ok {
		panic(misuse(fn, "answer buffer [%d, +%d) is outside linear memory of %d bytes", outPtr, outCap, mem.Size()))
	}
	if len(w.keys) > 0 {
		errs := make([]error, len(w.keys))
		ttl := kvTTL(int64(stack[6]), ns.MaxTTL)
		withDeadline(ctx, s, func(ctx context.Context) { setMany(ctx, ns.Store, w.keys, w.values, ttl, errs) })
		w.settle(fn, b, errs)
	}
	for i, st := range w.status {
		binary.LittleEndian.PutUint32(out[i*kvStatusBytes:], st)
	}
	stack[0] = uint64(len(w.status) * kvStatusBytes)
}

// kvWrites is a parsed set_many request: each entry's status, and the
// valid writes (keys, values copied out of guest memory), at[j] being
// the entry of write j.
type kvWrites struct {
	status []uint32
	keys   []string
	values [][]byte
	at     []int
}

// parseKVWrites decodes a set_many request. Every count and length is
// checked against what is left of the request, and the values' total
// against MaxResponseBytes, before anything is allocated for them.
func parseKVWrites(fn string, req []byte, prefix string, g KVGrant) kvWrites {
	le := binary.LittleEndian
	if len(req) < 4 {
		panic(misuse(fn, "request of %d bytes has no key count", len(req)))
	}
	count := le.Uint32(req)
	if uint64(count) > uint64(g.MaxKeysPerCall) {
		panic(misuse(fn, "%d keys in one call, over the cap of %d: write in several calls", count, g.MaxKeysPerCall))
	}
	if uint64(count)*8 > uint64(len(req)-4) {
		panic(misuse(fn, "request of %d bytes cannot hold %d keys and values", len(req), count))
	}
	w := kvWrites{status: make([]uint32, count)}
	pos, total := 4, 0
	for i := range w.status {
		key, next := kvField(fn, req, pos, i, "key")
		val, next := kvField(fn, req, next, i, "value")
		pos = next
		switch {
		case len(key) == 0 || len(key) > g.MaxKeyBytes:
			w.status[i] = kvSetInvalidKey
		case len(val) > g.MaxValueBytes:
			w.status[i] = kvSetTooLarge
		default:
			if total += len(val); total > g.MaxResponseBytes {
				panic(misuse(fn, "values of more than %d bytes in one call (the grant's max_response_bytes): write in several calls", g.MaxResponseBytes))
			}
			w.keys = append(w.keys, prefix+string(key))
			w.values = append(w.values, append([]byte(nil), val...))
			w.at = append(w.at, i)
		}
	}
	if pos != len(req) {
		panic(misuse(fn, "%d bytes after the last value", len(req)-pos))
	}
	return w
}

// kvField reads len:u32 bytes at pos of req, entry i's what.
func kvField(fn string, req []byte, pos, i int, what string) ([]byte, int) {
	if len(req)-pos < 4 {
		panic(misuse(fn, "entry %d: request ends before its %s length", i, what))
	}
	n := binary.LittleEndian.Uint32(req[pos:])
	pos += 4
	if uint64(n) > uint64(len(req)-pos) {
		panic(misuse(fn, "entry %d: %s length %d runs past the request's end", i, what, n))
	}
	return req[pos : pos+int(n)], pos + int(n)
}

// setMany writes through a KVSetManyStore in one call, or key by key.
func setMany(ctx context.Context, store KVStore, keys []string, values [][]byte, ttl time.Duration, errs []error) {
	if m, ok := store.(KVSetManyStore); ok {
		m.SetMany(ctx, keys, values, ttl, errs)
		return
	}
	for i, k := range keys {
		errs[i] = store.Set(ctx, k, values[i], ttl)
	}
}

// settle fails the batch as host_error on a failed write (unless the
// grant hands store errors to the guest, which then sees store_error).
func (w kvWrites) settle(fn string, b *kvBinding, errs []error) {
	for j, err := range errs {
		if err == nil {
			continue
		}
		checkStoreErrors(fn, b, []KVResult{{Status: KVStoreError, Err: err}})
		w.status[w.at[j]] = kvSetStoreError
	}
}
