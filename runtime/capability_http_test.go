package runtime_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/runtime/egress"
)

const httpSecret = "tok-9f8e7d6c5b4a-never-in-the-guest"

func port(t *testing.T, rawURL string) int {
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	p, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	return p
}

// httpGrant grants loopback on ports, injecting the test's secret.
func httpGrant(ports ...int) runtime.HTTPGrant {
	return runtime.HTTPGrant{Config: egress.Config{Grant: egress.Grant{
		Hosts: []egress.Host{
			{Name: "127.0.0.1", Ports: ports, AllowHTTP: true, AllowPrivate: true},
			{Name: "127.0.0.2", Ports: ports, AllowHTTP: true}, // granted, but not its loopback address
			{Name: "*.test", AllowHTTP: true},
		},
		Headers: map[string]string{"Authorization": "Bearer {{env:WEIR_HTTP_TEST_TOKEN}}"},
	}}}
}

// httpGuests are the same fetching guest on the Go and the C SDK, warmed
// into the shared compile cache (a Go guest compiles for minutes under
// -race on a loaded machine).
var httpGuests = []struct {
	name  string
	build func(testing.TB) []byte
}{
	{"go sdk", func(t testing.TB) []byte {
		return fixtures.Warm(t, fixtures.Go(t, "runtime/testdata/guests/httpfetch"))
	}},
	{"c sdk", func(t testing.TB) []byte { return fixtures.Warm(t, fixtures.C(t, "sdk/c/httpfetch")) }},
}

// A guest fetches through the pool, on each SDK: one host call per record
// for all its URLs; a refusal is that request's answer, the rest are
// served; the secret the host injects reaches the server and nowhere in
// the guest's memory, its log or the outcomes.
//
// The subtests share one engine per guest, so each compiles once.
func TestHTTPCapabilityThroughTheSDKs(t *testing.T) {
	for _, g := range httpGuests {
		t.Run(g.name, func(t *testing.T) {
			t.Setenv("WEIR_HTTP_TEST_TOKEN", httpSecret)
			e, logs := newEngine(t, runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)})
			wasm := g.build(t)
			t.Run("fetch", func(t *testing.T) { fetchThroughGuest(t, e, logs, wasm) })
			t.Run("must be granted", func(t *testing.T) { mustBeGranted(t, e, wasm) })
			t.Run("batch deadline", func(t *testing.T) { fetchEndsAtTheBatchDeadline(t, e, wasm) })
			t.Run("requests per batch", func(t *testing.T) { requestsPerBatch(t, e, wasm) })
		})
	}
}

func fetchThroughGuest(t *testing.T, e *runtime.Engine, logs *logBuffer, wasm []byte) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+httpSecret || r.Header.Get("X-Record") != "1" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		w.Write([]byte("hello " + r.URL.Path))
	}))
	defer srv.Close()
	echo := brokenEcho(t)
	p := newPool(t, e, wasm,
		runtime.PoolConfig{Size: 1, Grants: []runtime.Grant{httpGrant(port(t, srv.URL), port(t, "http://"+echo))}})

	out, err := p.Process(context.Background(), records(
		srv.URL+"/a\n"+srv.URL+"/b",
		"http://10.0.0.1/\n"+strings.Replace(srv.URL, "127.0.0.1", "127.0.0.2", 1)+"/c",
		"http://"+echo+"/",
	))
	require.NoError(t, err)
	require.Len(t, out, 3)
	value := func(i int) string {
		require.NoError(t, out[i].Err)
		require.Len(t, out[i].Emits, 1)
		return string(out[i].Emits[0].Value)
	}
	assert.Equal(t, "ok 200 hello /a\nok 200 hello /b\n", value(0))
	lines := strings.Split(value(1), "\n")
	assert.Contains(t, lines[0], `refused 0 host 10.0.0.1 refused: the module's manifest does not declare it`)
	assert.Contains(t, lines[1], `refused 0 GET http://127.0.0.2:`)
	assert.Contains(t, lines[1], "is loopback: refused unless the grant's entry for this exact host sets allow_private")
	assert.Contains(t, value(2), "transport_error 0")
	assert.Contains(t, value(2), "[secret]", "the echoing server's bytes reach the guest scrubbed")

	mems := runtime.GuestMemories(p)
	require.NotEmpty(t, mems)
	for _, m := range mems {
		assert.False(t, bytes.Contains(m, []byte(httpSecret)), "the secret is in guest memory")
		assert.True(t, bytes.Contains(m, []byte("hello /b")), "the scan reads the memory the answers went to")
	}
	assert.Contains(t, logs.String(), "fetch failed", "the guest logged its failures")
	assert.NotContains(t, logs.String(), httpSecret)
	for _, o := range out {
		for _, em := range o.Emits {
			assert.NotContains(t, string(em.Value), httpSecret)
		}
	}
}

// A module declaring http without a grant, or with hosts the grant does
// not cover, is refused before it serves, naming what to grant.
func mustBeGranted(t *testing.T, e *runtime.Engine, wasm []byte) {
	m, err := e.Load(context.Background(), wasm)
	require.NoError(t, err)
	defer m.Close(context.Background())
	_, err = m.NewPool(context.Background(), runtime.PoolConfig{Size: 1})
	require.ErrorIs(t, err, runtime.ErrAdmission)
	assert.ErrorContains(t, err, `declares capability "http", which this pipeline does not grant`)
	assert.ErrorContains(t, err, `- name: "127.0.0.1"`)

	narrow := runtime.HTTPGrant{Config: egress.Config{Grant: egress.Grant{Hosts: []egress.Host{{Name: "*.test"}, {Name: "127.0.0.1"}}}}}
	_, err = m.NewPool(context.Background(), runtime.PoolConfig{Size: 1, Grants: []runtime.Grant{narrow}})
	require.ErrorIs(t, err, runtime.ErrAdmission)
	assert.ErrorContains(t, err, `host "127.0.0.2" is not granted`)
}

// httpCall is one call httpproxy.wat makes: op 0 fetch, 1 take.
func httpCall(op, ptr, n uint32, payload []byte) runtime.Record {
	le := binary.LittleEndian
	b := le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, op), ptr), n)
	return runtime.Record{Value: append(b, payload...)}
}

// Hostile calls fail the batch as bad_output, naming what was wrong,
// before any request is sent.
func TestHTTPHostileCalls(t *testing.T) {
	t.Setenv("WEIR_HTTP_TEST_TOKEN", httpSecret)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	e, _ := newEngine(t, runtime.EngineConfig{})
	g := httpGrant(port(t, srv.URL))
	g.Grant.MaxRequests = 2
	p := newPool(t, e, wat(t, "httpproxy"), runtime.PoolConfig{Size: 1, Grants: []runtime.Grant{g}})
	req := func(n int) []byte {
		le := binary.LittleEndian
		b := le.AppendUint32(nil, uint32(n))
		for range n {
			b = le.AppendUint32(b, 0)
			b = le.AppendUint32(b, uint32(len(srv.URL)))
			b = append(b, srv.URL...)
			b = le.AppendUint32(le.AppendUint32(b, 0), 0)
		}
		return b
	}
	for _, c := range []struct {
		name string
		recs []runtime.Record
		says string
	}{
		{"requests outside memory", []runtime.Record{httpCall(0, 0xfffff000, 1<<20, nil)}, "outside linear memory"},
		{"length past memory", []runtime.Record{httpCall(0, 0, 0xffffffff, nil)}, "outside linear memory"},
		{"huge count", []runtime.Record{httpCall(0, 0, 4, []byte{0xff, 0xff, 0xff, 0xff})}, "requests in one call"},
		{"over max_requests", []runtime.Record{httpCall(0, 0, uint32(len(req(3))), req(3))}, "the grant allows 2 per call"},
		{"truncated", []runtime.Record{httpCall(0, 0, 10, req(1)[:10])}, "truncated"},
		{"take without fetch", []runtime.Record{httpCall(1, 0, 1024, make([]byte, 1024))}, "no answer to take"},
		{"take too small", []runtime.Record{httpCall(0, 0, uint32(len(req(1))), req(1)), httpCall(1, 0, 4, make([]byte, 4))}, "buffer of 4 bytes for an answer of"},
		{"take outside memory", []runtime.Record{httpCall(0, 0, uint32(len(req(1))), req(1)), httpCall(1, 0xffffff00, 1<<16, nil)}, "outside linear memory"},
	} {
		_, err := p.Process(context.Background(), c.recs)
		require.ErrorIs(t, err, runtime.ErrBadOutput, c.name)
		assert.ErrorContains(t, err, c.says, c.name)
	}
	assert.Equal(t, int64(2), hits.Load(), "only the well-formed fetches of the take cases went out")
	out, err := p.Process(context.Background(), []runtime.Record{httpCall(0, 0, uint32(len(req(1))), req(1))})
	require.NoError(t, err, "the pool serves after hostile batches")
	assert.Greater(t, binary.LittleEndian.Uint64(out[0].Emits[0].Value), uint64(4))
}

// brokenEcho answers a request with its own request line and headers in
// a malformed header line: the client's error quotes the server's bytes.
func brokenEcho(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(c)
			var lines []string
			for {
				line, err := br.ReadString('\n')
				if err != nil || line == "\r\n" {
					break
				}
				lines = append(lines, strings.TrimSpace(line))
			}
			c.Write([]byte("HTTP/1.1 200 OK\r\nEcho " + strings.Join(lines, " | ") + "\r\n\r\n"))
			c.Close()
		}
	}()
	return l.Addr().String()
}

// A fetch still waiting at the batch's deadline ends there, whatever the
// grant's own timeout: the batch fails as timeout, or, if the guest
// finishes before its next fuel check-in, answers timeout per request.
func fetchEndsAtTheBatchDeadline(t *testing.T, e *runtime.Engine, wasm []byte) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	g := httpGrant(port(t, srv.URL))
	g.Grant.Timeout = time.Hour
	p := newPool(t, e, wasm, runtime.PoolConfig{Size: 1, Timeout: 500 * time.Millisecond, Grants: []runtime.Grant{g}})
	out, err := p.Process(context.Background(), records(srv.URL+"/slow"))
	if err != nil {
		require.ErrorIs(t, err, runtime.ErrTimeout)
		return
	}
	require.NoError(t, out[0].Err)
	assert.Contains(t, string(out[0].Emits[0].Value), "timeout 0")
}

// max_requests is per batch, across the guest's fetch calls (one per
// record here): the batch's third request is refused, and the next batch
// has its own budget.
func requestsPerBatch(t *testing.T, e *runtime.Engine, wasm []byte) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) }))
	defer srv.Close()
	g := httpGrant(port(t, srv.URL))
	g.Grant.MaxRequests = 2
	p := newPool(t, e, wasm, runtime.PoolConfig{Size: 1, Grants: []runtime.Grant{g}})
	for range 2 {
		out, err := p.Process(context.Background(), records(srv.URL, srv.URL, srv.URL))
		require.NoError(t, err)
		var got []string
		for _, o := range out {
			require.NoError(t, o.Err)
			got = append(got, string(o.Emits[0].Value))
		}
		assert.Equal(t, "ok 200 x\n", got[0])
		assert.Equal(t, "ok 200 x\n", got[1])
		assert.Contains(t, got[2], "refused 0 request 0 refused: the batch has made the grant's max_requests, 2 per batch")
	}
}
