package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// The kv capability: batched lookups, and writes where granted, in
// key-value stores the pipeline grants per namespace (docs/abi.md,
// "Capability kv"). Its host functions are in capability_kv_abi.go.

// KVModule is the import module of the kv capability's host functions.
const KVModule = "weir_kv"

var kvCapability = &capability{
	name:   "kv",
	module: KVModule,
	funcs: map[string]hostFunc{
		"get_many": {sig: wasmbin.FuncType{Params: repeat(wasmbin.ValI32, 6), Results: i64}, fn: hostKVGetMany},
		"set":      {sig: wasmbin.FuncType{Params: append(repeat(wasmbin.ValI32, 6), wasmbin.ValI64), Results: i32}, fn: hostKVSet},
		"set_many": {sig: wasmbin.FuncType{Params: append(repeat(wasmbin.ValI32, 6), wasmbin.ValI64), Results: i64}, fn: hostKVSetMany},
	},
	declare: declareKV,
	bind:    bindKV,
	hint:    hintKV,
}

func repeat(t byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = t
	}
	return out
}

// kvDecl is a manifest's kv declaration: {"namespaces": ["risk"], "write": false}.
type kvDecl struct {
	Namespaces []string `json:"namespaces"`      // the namespaces the module reads (and writes, with Write)
	Write      bool     `json:"write,omitempty"` // the module calls weir_kv.set
}

// namespaceName is what a namespace may be called: it names a grant, never
// a store key, but is kept plain so errors and configs read well.
var namespaceName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func declareKV(raw json.RawMessage) (any, error) {
	var d kvDecl
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf(`want {"namespaces": ["<name>", …], "write": false}: %w`, err)
	}
	if len(d.Namespaces) == 0 {
		return nil, fmt.Errorf("declares no namespace: list the namespaces the module looks keys up in")
	}
	if len(d.Namespaces) > maxKVNamespaces {
		return nil, fmt.Errorf("declares %d namespaces, over the cap of %d", len(d.Namespaces), maxKVNamespaces)
	}
	for i, ns := range d.Namespaces {
		if !namespaceName.MatchString(ns) {
			return nil, fmt.Errorf("namespace %q: want 1 to 64 of A-Z a-z 0-9 _ -", ns)
		}
		if slices.Contains(d.Namespaces[:i], ns) {
			return nil, fmt.Errorf("namespace %q declared twice", ns)
		}
	}
	return d, nil
}

const maxKVNamespaces = 32

// KVGrant grants the kv capability: a store per namespace, and the limits
// of every call. The zero value of each limit means its default.
type KVGrant struct {
	// Namespaces are the namespaces granted, by the name modules use.
	Namespaces map[string]KVNamespace
	// MaxKeysPerCall caps the keys of one get_many; more fails the batch
	// as bad_output. Default 1,024. Cost: a result and a store lookup each.
	MaxKeysPerCall int
	// MaxKeyBytes caps a key as the guest gives it (before the namespace's
	// prefix); a longer one is answered invalid_key. Default 1,024.
	MaxKeyBytes int
	// MaxValueBytes caps a value handed to the guest or written; a larger
	// one is answered too_large. Default 1 MiB.
	MaxValueBytes int
	// MaxResponseBytes caps the value bytes one get_many hands over; the
	// values past it are answered no_room, to be asked again. Default 16 MiB.
	MaxResponseBytes int
	// StoreErrors is what a store failure does. Default KVStoreErrorsFailBatch.
	StoreErrors KVStoreErrors
}

// KVStoreErrors is what a failing store lookup or write does.
type KVStoreErrors int

const (
	// KVStoreErrorsFailBatch fails the batch as host_error: a store outage
	// is not the records' fault, so a Benthos input nacks the batch and
	// delivers it again (nothing goes to the dead-letter output, nothing
	// is lost). The guest never sees the error.
	KVStoreErrorsFailBatch KVStoreErrors = iota
	// KVStoreErrorsToGuest answers the key store_error and lets the guest
	// decide (keep the record unenriched, flag it, route it).
	KVStoreErrorsToGuest
)

// KVNamespace is one granted namespace.
type KVNamespace struct {
	// Store holds the namespace's keys.
	Store KVStore
	// Prefix is put before every key the guest passes, so keys of one
	// namespace never meet another's in a shared store: among the
	// namespaces granted on the same Store no prefix may begin another.
	// Default "<namespace>:".
	Prefix string
	// Write lets the module write (weir_kv.set). Default false.
	Write bool
	// MaxTTL bounds a write's time to live: a write asking none, or more,
	// gets MaxTTL. Default 0: the guest's TTL as asked (0 keeps the entry
	// until the store evicts it).
	MaxTTL time.Duration
}

// KVStore is a key-value store a namespace reads and writes. Benthos
// caches are wrapped as one by the host. A pool's instances call it
// concurrently.
type KVStore interface {
	// GetMany looks keys up, filling results[i] for keys[i] (Found with
	// Value, Miss, or StoreError with Err); a result it leaves as it was
	// is a StoreError. It returns by ctx's deadline.
	GetMany(ctx context.Context, keys []string, results []KVResult)
	// Set writes value under key; ttl 0 means no expiry.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
}

// KVResult is the answer for one key.
type KVResult struct {
	Status KVStatus
	Value  []byte // when Found; the store's, not to be kept past the call
	Err    error  // when StoreError
}

// KVStatus is a key's result in get_many's answer (docs/abi.md).
type KVStatus uint32

// Key results. Each is distinct on the wire: a miss is never an error.
const (
	KVFound      KVStatus = 0 // the value follows
	KVMiss       KVStatus = 1 // no such key
	KVStoreError KVStatus = 2 // the store failed (only under KVStoreErrorsToGuest)
	KVNoRoom     KVStatus = 3 // found, but the value did not fit: its length is given, ask again
	KVInvalidKey KVStatus = 4 // empty, or over MaxKeyBytes
	KVTooLarge   KVStatus = 5 // found, but over MaxValueBytes: its length is given
)

// Capability implements Grant.
func (KVGrant) Capability() string { return "kv" }

func (g KVGrant) withDefaults() KVGrant {
	if g.MaxKeysPerCall == 0 {
		g.MaxKeysPerCall = 1024
	}
	if g.MaxKeyBytes == 0 {
		g.MaxKeyBytes = 1024
	}
	if g.MaxValueBytes == 0 {
		g.MaxValueBytes = 1 << 20
	}
	if g.MaxResponseBytes == 0 {
		g.MaxResponseBytes = 16 << 20
	}
	return g
}

// kvBinding is a pool's kv grant, checked against the declaration.
type kvBinding struct {
	grant      KVGrant
	namespaces map[string]KVNamespace // the declared ones, prefixes defaulted
	write      bool                   // declared
}

func bindKV(decl any, grant Grant, _ BindInfo) (any, error) {
	d := decl.(kvDecl)
	g, ok := grant.(KVGrant)
	if !ok {
		return nil, fmt.Errorf("grant is a %T, want a runtime.KVGrant", grant)
	}
	g = g.withDefaults()
	if g.MaxKeysPerCall < 0 || g.MaxKeyBytes < 0 || g.MaxValueBytes < 0 || g.MaxResponseBytes < 0 {
		return nil, fmt.Errorf("negative limit in the grant")
	}
	b := &kvBinding{grant: g, namespaces: map[string]KVNamespace{}, write: d.Write}
	for _, name := range d.Namespaces {
		ns, ok := g.Namespaces[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("namespace %q is not granted", name)
		case ns.Store == nil:
			return nil, fmt.Errorf("namespace %q is granted without a store", name)
		case d.Write && !ns.Write:
			return nil, fmt.Errorf("the module writes, and namespace %q is granted read-only", name)
		}
		if ns.Prefix == "" {
			ns.Prefix = name + ":"
		}
		b.namespaces[name] = ns
	}
	return b, checkPrefixes(g.Namespaces)
}

// checkPrefixes refuses two namespaces on one store whose keys could meet:
// one's prefix beginning the other's.
func checkPrefixes(granted map[string]KVNamespace) error {
	names := make([]string, 0, len(granted))
	for n := range granted {
		names = append(names, n)
	}
	slices.Sort(names)
	prefix := func(n string) string {
		if p := granted[n].Prefix; p != "" {
			return p
		}
		return n + ":"
	}
	for i, a := range names {
		for _, b := range names[i+1:] {
			if granted[a].Store != granted[b].Store {
				continue
			}
			pa, pb := prefix(a), prefix(b)
			if strings.HasPrefix(pa, pb) || strings.HasPrefix(pb, pa) {
				return fmt.Errorf("namespaces %q (prefix %q) and %q (prefix %q) share a store and their keys could meet: give them prefixes neither of which begins the other", a, pa, b, pb)
			}
		}
	}
	return nil
}

func hintKV(decl any) string {
	d := decl.(kvDecl)
	var b strings.Builder
	b.WriteString("kv:\n  namespaces:\n")
	for _, ns := range d.Namespaces {
		fmt.Fprintf(&b, "    %s:\n      cache: <a cache_resources label>\n", ns)
		if d.Write {
			b.WriteString("      write: true\n")
		}
	}
	return b.String()
}
