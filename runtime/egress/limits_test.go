package egress_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime/egress"
)

func loopGrant(srv *server, t *testing.T, g egress.Grant) egress.Grant {
	g.Hosts = []egress.Host{local("127.0.0.1", srv.port(t))}
	return g
}

// A response over max_response_bytes is too_large, whether it says so
// in Content-Length or streams without end; the engine reads at most the
// cap plus one byte of it.
func TestResponseSizeCap(t *testing.T) {
	const limit = 1000
	var sent atomic.Int64
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/exact":
			w.Write([]byte(strings.Repeat("x", limit)))
		case "/declared":
			w.Header().Set("Content-Length", strconv.Itoa(10*limit))
			w.Write([]byte(strings.Repeat("x", 10*limit)))
		case "/headers":
			w.Header().Set("X-Big", strings.Repeat("z", 2*limit))
		case "/endless":
			chunk := []byte(strings.Repeat("y", 512))
			for r.Context().Err() == nil {
				n, err := w.Write(chunk)
				sent.Add(int64(n))
				if err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}
	})
	e := newEngine(t, nil, loopGrant(srv, t, egress.Grant{MaxResponseBytes: limit, MaxHeaderBytes: limit}), "127.0.0.1")
	r := fetch1(t, e, get(srv.URL+"/exact"))
	wantCode(t, r, egress.CodeOK)
	if len(r.Body) != limit {
		t.Fatalf("body %d bytes, want %d", len(r.Body), limit)
	}
	wantCode(t, fetch1(t, e, get(srv.URL+"/declared")), egress.CodeTooLarge, "max_response_bytes 1000")
	wantCode(t, fetch1(t, e, get(srv.URL+"/endless")), egress.CodeTooLarge, "max_response_bytes 1000")
	wantCode(t, fetch1(t, e, get(srv.URL+"/headers")), egress.CodeTooLarge, "max_header_bytes 1000")
}

// Request body, headers, host-owned headers, methods and the batch's
// request count are checked before anything is sent.
func TestRequestCaps(t *testing.T) {
	srv := serve(t, ok("fine"))
	e := newEngine(t, nil, loopGrant(srv, t, egress.Grant{MaxRequestBytes: 10, MaxHeaderBytes: 300, MaxRequests: 3,
		Methods: []string{"GET", "POST"}}), "127.0.0.1")
	post := func(body string, h http.Header) egress.Request {
		return egress.Request{Method: "POST", URL: srv.URL, Body: []byte(body), Header: h}
	}
	cases := []struct {
		name string
		req  egress.Request
		says string
	}{
		{"body", post(strings.Repeat("b", 11), nil), "max_request_bytes 10"},
		{"headers", post("", http.Header{"X-Big": {strings.Repeat("h", 300)}}), "max_header_bytes 300"},
		{"host header", post("", http.Header{"Host": {"169.254.169.254"}}), "Host refused"},
		{"transfer-encoding", post("", http.Header{"transfer-encoding": {"chunked"}}), "Transfer-Encoding refused"},
		{"header injection", post("", http.Header{"X-A": {"v\r\nX-Evil: 1"}}), "control character"},
		{"method", egress.Request{Method: "DELETE", URL: srv.URL}, `method "DELETE" refused`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantCode(t, fetch1(t, e, c.req), egress.CodeRefused, c.says) })
	}
	if srv.hits.Load() != 0 {
		t.Fatalf("refused requests reached the server %d times", srv.hits.Load())
	}
	rs := e.FetchMany(context.Background(), []egress.Request{get(srv.URL), post("0123456789", nil), get(srv.URL), get(srv.URL), get(srv.URL)})
	for i, r := range rs {
		if i < 3 {
			wantCode(t, r, egress.CodeOK)
		} else {
			wantCode(t, r, egress.CodeRefused, "max_requests, 3 per batch")
		}
	}
	// The budget is the batch's, across its calls.
	b := e.NewBudget()
	for _, r := range e.FetchWithin(context.Background(), []egress.Request{get(srv.URL), get(srv.URL)}, b) {
		wantCode(t, r, egress.CodeOK)
	}
	rs = e.FetchWithin(context.Background(), []egress.Request{get(srv.URL), get(srv.URL)}, b)
	wantCode(t, rs[0], egress.CodeOK)
	wantCode(t, rs[1], egress.CodeRefused, "max_requests, 3 per batch")
}

// A server that never answers costs the grant's timeout, or the batch
// deadline when that comes first: either is a timeout result.
func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	short := newEngine(t, nil, loopGrant(srv, t, egress.Grant{Timeout: 50 * time.Millisecond}), "127.0.0.1")
	wantCode(t, fetch1(t, short, get(srv.URL)), egress.CodeTimeout, "timed out")

	long := newEngine(t, nil, loopGrant(srv, t, egress.Grant{Timeout: time.Hour}), "127.0.0.1")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	for _, r := range long.FetchMany(ctx, []egress.Request{get(srv.URL), get(srv.URL)}) {
		wantCode(t, r, egress.CodeTimeout)
	}
}

// At most max_concurrency requests are in flight per engine, across
// batches run at once.
func TestConcurrencyCap(t *testing.T) {
	const limit = 3
	var inflight, peak atomic.Int64
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		w.Write([]byte("ok"))
	})
	e := newEngine(t, nil, loopGrant(srv, t, egress.Grant{MaxConcurrency: limit}), "127.0.0.1")
	batch := []egress.Request{get(srv.URL), get(srv.URL), get(srv.URL), get(srv.URL)}
	var wg sync.WaitGroup
	var okCount atomic.Int64
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range e.FetchMany(context.Background(), batch) {
				if r.Code == egress.CodeOK {
					okCount.Add(1)
				}
			}
		}()
	}
	fixtures.WaitUntil(t, "the cap's worth of requests in flight", func() bool { return inflight.Load() == limit })
	close(release)
	wg.Wait()
	if peak.Load() != limit || okCount.Load() != 8 {
		t.Fatalf("peak in flight %d (want %d), %d of 8 answered", peak.Load(), limit, okCount.Load())
	}
}

// A bad grant fails at start-up naming the field.
func TestGrantValidation(t *testing.T) {
	cases := []struct {
		g    egress.Grant
		says string
	}{
		{egress.Grant{MaxResponseBytes: -1}, "max_response_bytes"},
		{egress.Grant{MaxRedirects: 11}, "max_redirects"},
		{egress.Grant{Hosts: []egress.Host{{Name: "*.example.com", AllowPrivate: true}}}, "exact name"},
		{egress.Grant{Hosts: []egress.Host{{Name: "Example.com"}}}, "lower-case"},
		{egress.Grant{Hosts: []egress.Host{{Name: "*.10.0.0.1"}}}, "wildcard over an IP"},
		{egress.Grant{Hosts: []egress.Host{{Name: "a.com", Ports: []int{70000}}}}, "port 70000"},
		{egress.Grant{Methods: []string{"get"}}, "upper-case"},
		{egress.Grant{Headers: map[string]string{"Bad Name": "x"}}, "not a valid HTTP header name"},
	}
	for _, c := range cases {
		_, err := egress.New(egress.Config{Grant: c.g})
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("grant %+v: error %v, want one saying %q", c.g, err, c.says)
		}
	}
	if _, err := egress.New(egress.Config{Declared: []string{"bad host"}}); err == nil || !strings.Contains(err.Error(), "manifest") {
		t.Errorf("a bad declared host: error %v", err)
	}
}

// The batch's response bodies together stay under max_batch_bytes: once
// it is spent, further responses are too_large.
func TestBatchBytesCap(t *testing.T) {
	srv := serve(t, ok(strings.Repeat("r", 400)))
	e := newEngine(t, nil, loopGrant(srv, t, egress.Grant{MaxBatchBytes: 1000, MaxConcurrency: 1}), "127.0.0.1")
	rs := e.FetchMany(context.Background(), []egress.Request{get(srv.URL), get(srv.URL), get(srv.URL), get(srv.URL)})
	var okN, large int
	for _, r := range rs {
		switch r.Code {
		case egress.CodeOK:
			okN++
		case egress.CodeTooLarge:
			large++
			wantCode(t, r, egress.CodeTooLarge, "max_batch_bytes 1000")
		}
	}
	if okN != 2 || large != 2 {
		t.Fatalf("%d answered, %d too large; want 2 and 2", okN, large)
	}
}
