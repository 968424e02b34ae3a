package host_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// notFiredHere are the documented metrics this test's pipeline cannot
// make happen, with the test that does.
var notFiredHere = map[string]string{
	"weir_batches_retried": "only on a host fault (TestHostFailureGoesBackToTheInput; TestRedisOutage counts it)",
}

// documentedMetrics parses docs/metrics.md's table: the metric names,
// and the patterns (a name with <…>).
func documentedMetrics(t *testing.T) (names []string, patterns []*regexp.Regexp) {
	f, err := os.Open(filepath.Join(fixtures.Root(), "docs/metrics.md"))
	require.NoError(t, err)
	defer f.Close()
	row := regexp.MustCompile("^\\| `(weir_[a-z0-9_<>]+)` \\|")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := row.FindStringSubmatch(sc.Text())
		switch {
		case m == nil:
		case strings.Contains(m[1], "<"):
			patterns = append(patterns, regexp.MustCompile("^"+regexp.MustCompile(`<[a-z]+>`).ReplaceAllString(m[1], "[a-z0-9_]+")+"$"))
		default:
			names = append(names, m[1])
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, names, "no metric table in docs/metrics.md")
	return names, patterns
}

// scrape reads the Prometheus text at url: the families, by name, each
// with its sample lines.
func scrape(t *testing.T, url string) map[string][]string {
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := map[string][]string{}
	sc := bufio.NewScanner(resp.Body)
	sample := regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*?)(_bucket|_sum|_count)?(\{.*\})? `)
	for sc.Scan() {
		line := sc.Text()
		if m := sample.FindStringSubmatch(line); m != nil && !strings.HasPrefix(line, "#") {
			out[m[1]] = append(out[m[1]], line)
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// A pipeline whose guests route, drop, trap, flood their log and update
// a guest metric, exported by the prometheus exporter: every metric
// docs/metrics.md lists is scraped from Benthos's /metrics, with the
// labels it says, and every weir_ metric scraped is in the doc.
func TestMetricsDocListsWhatIsEmitted(t *testing.T) {
	route := writeModule(t, fixtures.Go(t, "plugins/route"))
	guest := func(name string) string {
		return writeModule(t, fixtures.WAT(t, "runtime/testdata/guests/"+name+".wat"))
	}
	cache := fixtures.CacheDir(t)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "profile") }))
	t.Cleanup(web.Close)
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: none"))
	require.NoError(t, b.SetMetricsYAML("prometheus: {}"))
	require.NoError(t, b.AddCacheYAML("label: kvmem\nmemory: {}"))
	mux := http.NewServeMux()
	b.SetHTTPMux(mux)
	require.NoError(t, b.AddProcessorYAML(fmt.Sprintf(`
switch:
  - check: '@to == "route"'
    processors:
      - label: metrics_route
        wasm:
          module: %s
          cache_dir: %s
          config: { rules: [ { when: [ { path: kind, equals: "x" } ], to: special }, { when: [ { path: kind, equals: "d" } ], to: drop } ] }
  - check: '@to == "flood"'
    processors: [ { label: metrics_flood, wasm: { module: %s, cache_dir: %s, pool_size: 1, guest_log_lines_per_second: 1 } } ]
  - check: '@to == "metrics"'
    processors: [ { label: metrics_guest, wasm: { module: %s, cache_dir: %s, capabilities: { metrics: {} } } } ]
  - check: '@to == "trap"'
    processors: [ { label: metrics_trap, wasm: { module: %s, cache_dir: %s, pool_size: 1 } } ]
  - check: '@to == "kv"'
    processors: [ { mutation: "meta to = deleted()" }, { label: metrics_kv, wasm: { module: %s, cache_dir: %s, capabilities: { kv: { namespaces: { risk: { cache: kvmem, write: true }, other: { cache: kvmem, write: true } } } } } } ]
  - check: '@to == "http"'
    processors: [ { label: metrics_http, wasm: { module: %s, cache_dir: %s, capabilities: { http: { hosts: [ { name: 127.0.0.1, ports: [ %s ], allow_http: true, allow_private: true } ], cache: kvmem, cache_ttl: 1m } } } } ]
`, route, cache, guest("logflood"), cache, guest("metricsproxy"), cache, guest("trap"), cache,
		guest("kvproxy"), cache, guest("httpproxy"), cache, web.URL[strings.LastIndexByte(web.URL, ':')+1:])))
	produce, err := b.AddBatchProducerFunc()
	require.NoError(t, err)
	require.NoError(t, b.AddBatchConsumerFunc(func(context.Context, service.MessageBatch) error { return nil }))
	stream, err := b.Build()
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- stream.Run(context.Background()) }()
	t.Cleanup(func() {
		require.NoError(t, stream.StopWithin(fixtures.Patience))
		require.NoError(t, <-done)
	})
	metricCall := make([]byte, 24, 32)
	binary.LittleEndian.PutUint32(metricCall[8:], uint32(len("enriched")))
	binary.LittleEndian.PutUint64(metricCall[16:], 3)
	for to, value := range map[string]string{"route": `{"kind":"x"}`, "drop": `{"kind":"d"}`, "flood": command(100, 0, 14), "metrics": string(append(metricCall, "enriched"...)), "trap": "boom"} {
		m := service.NewMessage([]byte(value))
		m.MetaSetMut("to", strings.Replace(to, "drop", "route", 1))
		require.NoError(t, produce(context.Background(), service.MessageBatch{m}), to)
	}
	// kv: a write, then a lookup of it and of a key never written (in one
	// batch, without metadata: kvproxy.wat reads records as if they had none); http:
	// the same fetch of the test's server twice (kvproxy.wat and httpproxy.wat take
	// their host calls' arguments from the record).
	kv := func(op uint32, args [6]uint32, payload string) *service.Message {
		le := binary.LittleEndian
		b := le.AppendUint32(nil, op)
		for _, a := range args {
			b = le.AppendUint32(b, a)
		}
		b = le.AppendUint64(le.AppendUint32(b, 0), 0)
		m := service.NewMessage(append(b, payload...))
		m.MetaSetMut("to", "kv")
		return m
	}
	le := binary.LittleEndian
	keys := le.AppendUint32(le.AppendUint32(nil, 2), 2) // two keys: "k1", "k2"
	keys = le.AppendUint32(append(keys, "k1"...), 2)
	keys = append(keys, "k2"...)
	get := "risk" + string(keys) + strings.Repeat("\x00", 64)
	require.NoError(t, produce(context.Background(), service.MessageBatch{
		kv(1, [6]uint32{0, 4, 4, 2, 6, 1}, "riskk1v"),
		kv(0, [6]uint32{0, 4, 4, uint32(len(keys)), 4 + uint32(len(keys)), 64}, get),
	}), "kv")
	fetch := le.AppendUint32(nil, 1)
	fetch = le.AppendUint32(le.AppendUint32(fetch, 0), uint32(len(web.URL)))
	fetch = le.AppendUint32(le.AppendUint32(append(fetch, web.URL...), 0), 0)
	call := le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, 0), 0), uint32(len(fetch)))
	for range 2 { // the second answered from the response cache
		hm := service.NewMessage(append(call, fetch...))
		hm.MetaSetMut("to", "http")
		require.NoError(t, produce(context.Background(), service.MessageBatch{hm}), "http")
	}
	api := httptest.NewServer(mux)
	t.Cleanup(api.Close)

	names, patterns := documentedMetrics(t)
	var got map[string][]string
	var missing []string
	fixtures.WaitUntilShowing(t, "every documented metric scraped", func() bool {
		got, missing = scrape(t, api.URL+"/metrics"), nil
		for _, n := range names {
			if len(got[n]) == 0 && notFiredHere[n] == "" {
				missing = append(missing, n)
			}
		}
		return len(missing) == 0
	}, func() string { return fmt.Sprintf("missing %v", missing) })

	for name := range got {
		if !strings.HasPrefix(name, "weir_") {
			continue
		}
		documented := slices.Contains(names, name) || slices.ContainsFunc(patterns, func(p *regexp.Regexp) bool { return p.MatchString(name) })
		assert.True(t, documented, "%s is emitted but not in docs/metrics.md", name)
	}
	has := func(name string, labels ...string) {
		t.Helper()
		assert.True(t, slices.ContainsFunc(got[name], func(line string) bool {
			return !slices.ContainsFunc(labels, func(l string) bool { return !strings.Contains(line, l) })
		}), "%s with %v in %v", name, labels, got[name])
	}
	has("weir_records_in", `label="metrics_route"`, `transform="route"`, `version="0.1.0"`)
	has("weir_records_failed", `class="trap"`, `transform="trap"`)
	has("weir_records_dropped", `transform="route"`)
	has("weir_records_routed", `port="special"`)
	has("weir_swaps", `outcome="served"`, `transform="metrics_trap"`)
	has("weir_instances_replaced", `transform="trap"`)
	has("weir_batch_latency_ns", `transform="route"`, `le="`)
	has("weir_guest_enriched", `transform="metricsproxy"`, `version="0.2.0"`)
	has("weir_guest_log_dropped", `transform="logflood"`)
	has("weir_kv_lookups", `cache="kvmem"`, `result="found"`, `} 1`)
	has("weir_kv_lookups", `cache="kvmem"`, `result="miss"`, `} 1`)
	has("weir_kv_writes", `cache="kvmem"`, `result="ok"`, `} 1`)
	has("weir_egress_requests", `outcome="ok"`, `} 2`)
	has("weir_egress_cached", `label="metrics_http"`, `} 1`)
	has("weir_egress_response_bytes", `label="metrics_http"`, `} 14`)
}
