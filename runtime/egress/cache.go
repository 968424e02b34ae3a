package egress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Cache stores responses between batches. The host binds it to a Benthos
// cache resource; a miss is (nil, false, nil). Errors are not the
// record's fault: a failing cache is skipped and the request goes out.
type Cache interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
}

// maxCachedBytes caps what a cache entry may decode to, so a cache shared
// with something else cannot make the host allocate without bound.
func (e *Engine) maxCachedBytes() int {
	return 2*e.grant.MaxResponseBytes + 2*e.grant.MaxHeaderBytes + 1024
}

// cacheKey is namespace + a digest of method, URL and the guest's headers
// (sorted). Injected headers are the same for every request of a grant
// and are left out, so no secret is hashed into a key a shared store
// holds: a namespace is one grant's.
func (e *Engine) cacheKey(method, url string, h http.Header) string {
	d := sha256.New()
	d.Write([]byte(method + "\x00" + url + "\x00"))
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, http.CanonicalHeaderKey(k))
	}
	slices.Sort(names)
	for _, k := range names {
		d.Write([]byte(k + ":" + strings.Join(h.Values(k), "\x01") + "\x00"))
	}
	return e.cfg.CacheNamespace + "http:" + hex.EncodeToString(d.Sum(nil))
}

type cached struct {
	Status int         `json:"s"`
	Header http.Header `json:"h,omitempty"`
	Body   []byte      `json:"b,omitempty"`
}

// cacheable reports whether a request may be answered from the cache.
func (e *Engine) cacheable(method string) bool {
	return e.cfg.Cache != nil && e.grant.CacheTTL > 0 && method == http.MethodGet
}

func (e *Engine) fromCache(ctx context.Context, key string) (Result, bool) {
	b, ok, err := e.cfg.Cache.Get(ctx, key)
	if err != nil || !ok || len(b) > e.maxCachedBytes() {
		return Result{}, false
	}
	var c cached
	if json.Unmarshal(b, &c) != nil || len(c.Body) > e.grant.MaxResponseBytes {
		return Result{}, false
	}
	return Result{Code: CodeOK, Status: c.Status, Header: c.Header, Body: c.Body, Cached: true}, true
}

// toCache stores a 200 response; any other status is answered afresh.
func (e *Engine) toCache(ctx context.Context, key string, r Result) {
	if r.Code != CodeOK || r.Status != http.StatusOK {
		return
	}
	b, err := json.Marshal(cached{Status: r.Status, Header: r.Header, Body: r.Body})
	if err == nil {
		_ = e.cfg.Cache.Set(ctx, key, b, e.grant.CacheTTL)
	}
}
