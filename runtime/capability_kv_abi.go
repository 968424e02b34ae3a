package runtime

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/tetratelabs/wazero/api"
)

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
		panic(hostFault(fn, "request [%d, +%d) is outside linear memory of %d bytes", api.DecodeU32(stack[2]), api.DecodeU32(stack[3]), mem.Size()))
	}
	keys, valid := parseKVRequest(fn, req, ns.Prefix, b.grant)
	outPtr, outCap := api.DecodeU32(stack[4]), api.DecodeU32(stack[5])
	if uint64(len(keys))*kvEntryBytes > uint64(outCap) {
		panic(hostFault(fn, "out_cap %d cannot hold the answer's table for %d keys (%d bytes each)", outCap, len(keys), kvEntryBytes))
	}
	out, ok := mem.Read(outPtr, outCap)
	if !ok {
		panic(hostFault(fn, "answer buffer [%d, +%d) is outside linear memory of %d bytes", outPtr, outCap, mem.Size()))
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
		panic(hostFault(fn, "the pool grants no kv capability"))
	}
	if uint32(n) > maxNamespaceBytes {
		panic(hostFault(fn, "namespace of %d bytes, over the cap of %d", uint32(n), maxNamespaceBytes))
	}
	name, ok := mod.Memory().Read(api.DecodeU32(ptr), api.DecodeU32(n))
	if !ok {
		panic(hostFault(fn, "namespace [%d, +%d) is outside linear memory", api.DecodeU32(ptr), api.DecodeU32(n)))
	}
	ns, ok := b.namespaces[string(name)]
	if !ok {
		panic(hostFault(fn, "namespace %q is not declared in the manifest (declared: %s)", guestText(name, maxNamespaceBytes), b.declared()))
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
		panic(hostFault(fn, "request of %d bytes has no key count", len(req)))
	}
	count := binary.LittleEndian.Uint32(req)
	if uint64(count) > uint64(g.MaxKeysPerCall) {
		panic(hostFault(fn, "%d keys in one call, over the cap of %d: ask in several calls", count, g.MaxKeysPerCall))
	}
	if uint64(count)*4 > uint64(len(req)-4) {
		panic(hostFault(fn, "request of %d bytes cannot hold %d keys", len(req), count))
	}
	keys, valid := make([]string, count), make([]bool, count)
	pos := 4
	for i := range keys {
		if len(req)-pos < 4 {
			panic(hostFault(fn, "key %d: request ends before its length", i))
		}
		n := binary.LittleEndian.Uint32(req[pos:])
		pos += 4
		if uint64(n) > uint64(len(req)-pos) {
			panic(hostFault(fn, "key %d: length %d runs past the request's end", i, n))
		}
		key := req[pos : pos+int(n)]
		pos += int(n)
		if valid[i] = n > 0 && int(n) <= g.MaxKeyBytes; valid[i] {
			keys[i] = prefix + string(key)
		}
	}
	if pos != len(req) {
		panic(hostFault(fn, "%d bytes after the last key", len(req)-pos))
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
		panic(hostFault(fn, "the manifest's kv declaration has no \"write\": true"))
	}
	mem := mod.Memory()
	key, okKey := mem.Read(api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
	val, okVal := mem.Read(api.DecodeU32(stack[4]), api.DecodeU32(stack[5]))
	if !okKey || !okVal {
		panic(hostFault(fn, "key or value is outside linear memory of %d bytes", mem.Size()))
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
