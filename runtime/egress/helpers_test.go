package egress_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/weirstream/weir/runtime/egress"
)

var loopback = []netip.Addr{netip.MustParseAddr("127.0.0.1")}

// server is a real loopback HTTP server counting the requests it got.
type server struct {
	*httptest.Server
	hits atomic.Int64
}

func serve(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func ok(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(body)) }
}

func (s *server) port(t *testing.T) int {
	u, _ := url.Parse(s.URL)
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// at is s's URL with its host replaced by name.
func (s *server) at(t *testing.T, name, path string) string {
	return "http://" + name + ":" + strconv.Itoa(s.port(t)) + path
}

func newEngine(t *testing.T, dns *dnsServer, g egress.Grant, declared ...string) *egress.Engine {
	t.Helper()
	cfg := egress.Config{Grant: g, Declared: declared}
	if dns != nil {
		cfg.Resolver = dns.resolver()
	}
	e, err := egress.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// local grants name on port over http, reaching loopback.
func local(name string, port int) egress.Host {
	return egress.Host{Name: name, Ports: []int{port}, AllowHTTP: true, AllowPrivate: true}
}

func fetch1(t *testing.T, e *egress.Engine, r egress.Request) egress.Result {
	t.Helper()
	return e.FetchMany(context.Background(), []egress.Request{r})[0]
}

func get(u string) egress.Request { return egress.Request{URL: u} }

func wantCode(t *testing.T, r egress.Result, c egress.Code, errHas ...string) {
	t.Helper()
	if r.Code != c {
		t.Fatalf("code %s (status %d, err %q), want %s", r.Code, r.Status, r.Err, c)
	}
	for _, s := range errHas {
		if !strings.Contains(r.Err, s) {
			t.Errorf("error %q does not say %q", r.Err, s)
		}
	}
}

// serveOn is serve on a given address. Its responses close the
// connection, so every request dials (and is checked) afresh.
func serveOn(t *testing.T, addr string, h http.HandlerFunc) *server {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		w.Header().Set("Connection", "close")
		h(w, r)
	}))
	s.Listener.Close()
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	return s
}
