package egress_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirstream/weir/runtime/egress"
)

// mapCache is a Cache in a map, recording the TTLs it was given (the
// host binds Benthos caches; host's tests use those).
type mapCache struct {
	mu   sync.Mutex
	m    map[string][]byte
	ttls []time.Duration
}

func (c *mapCache) Get(_ context.Context, k string) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok, nil
}

func (c *mapCache) Set(_ context.Context, k string, v []byte, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k], c.ttls = v, append(c.ttls, ttl)
	return nil
}

// A 200 GET is answered from the cache the second time; the key holds
// method, URL and the guest's headers; other methods and statuses go out
// every time.
func TestResponseCache(t *testing.T) {
	var n atomic.Int64
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("answer " + strconv.Itoa(int(n.Add(1)))))
	})
	c := &mapCache{m: map[string][]byte{}}
	g := egress.Grant{Hosts: []egress.Host{local("127.0.0.1", srv.port(t))}, CacheTTL: time.Minute, Methods: []string{"GET", "POST"}}
	e, err := egress.New(egress.Config{Grant: g, Declared: []string{"127.0.0.1"}, Cache: c, CacheNamespace: "t/"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	body := func(r egress.Request) string {
		res := fetch1(t, e, r)
		wantCode(t, res, egress.CodeOK)
		return string(res.Body)
	}
	first := body(get(srv.URL + "/a"))
	if again := fetch1(t, e, get(srv.URL+"/a")); !again.Cached || string(again.Body) != first {
		t.Fatalf("second GET: cached %v body %q, want %q from the cache", again.Cached, again.Body, first)
	}
	if body(egress.Request{URL: srv.URL + "/a", Header: http.Header{"Accept": {"text/plain"}}}) == first {
		t.Fatal("a request with other headers was answered from the first's entry")
	}
	if body(egress.Request{Method: "POST", URL: srv.URL + "/a"}) == body(egress.Request{Method: "POST", URL: srv.URL + "/a"}) {
		t.Fatal("a POST was cached")
	}
	fetch1(t, e, get(srv.URL+"/missing"))
	if r := fetch1(t, e, get(srv.URL+"/missing")); r.Cached || r.Status != 404 {
		t.Fatalf("a 404 was cached (cached %v, status %d)", r.Cached, r.Status)
	}
	for k := range c.m {
		if len(k) < 2 || k[:2] != "t/" {
			t.Fatalf("key %q is outside the namespace", k)
		}
	}
	if len(c.ttls) != 2 || c.ttls[0] != time.Minute {
		t.Fatalf("sets with TTLs %v, want two of the grant's minute", c.ttls)
	}
}
