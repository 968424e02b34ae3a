package host_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

const hostHTTPSecret = "host-tok-31415926-never-in-the-guest"

// A Go guest fetches through the wasm processor in a Benthos pipeline:
// the grant's {{env:…}} reference survives Benthos's own ${…}
// interpolation and reaches the server, a repeated GET is answered from
// the cache resource, a request outside the allowlist is refused per
// record, and the secret is nowhere in the pipeline's log.
func TestHTTPCapabilityInAPipeline(t *testing.T) {
	t.Setenv("WEIR_HOST_HTTP_TOKEN", hostHTTPSecret)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+hostHTTPSecret {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		w.Write([]byte("profile " + r.URL.Path))
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	logPath := filepath.Join(t.TempDir(), "weir.log")
	proc := fmt.Sprintf(`
wasm:
  module: %s
  cache_dir: %s
  pool_size: 1
  capabilities:
    http:
      hosts:
        - name: 127.0.0.1
          ports: [%s]
          allow_http: true
          allow_private: true
        - name: 127.0.0.2
        - name: "*.test"
      headers:
        Authorization: "Bearer {{env:WEIR_HOST_HTTP_TOKEN}}"
      cache: responses
      cache_ttl: 1m
`, writeModule(t, fixtures.Warm(t, fixtures.Go(t, "runtime/testdata/guests/httpfetch"))), fixtures.CacheDir(t), port)

	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML(fmt.Sprintf("level: debug\nfile:\n  path: %s\n  rotate: false\n", logPath)))
	require.NoError(t, b.AddCacheYAML("label: responses\nmemory: {}"))
	require.NoError(t, b.AddProcessorYAML(proc))
	produce, err := b.AddBatchProducerFunc()
	require.NoError(t, err)
	var mu sync.Mutex
	var out []string
	require.NoError(t, b.AddBatchConsumerFunc(func(_ context.Context, batch service.MessageBatch) error {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range batch {
			v, err := m.AsBytes()
			require.NoError(t, err)
			out = append(out, string(v))
		}
		return nil
	}))
	stream, err := b.Build()
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := os.ReadFile(logPath)
			t.Logf("pipeline log:\n%s", logs)
		}
	})
	ctx := fixtures.Patient(t)
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()
	send := func(batch service.MessageBatch) {
		sent := make(chan error, 1)
		go func() { sent <- produce(ctx, batch) }()
		select {
		case err := <-sent:
			require.NoError(t, err)
		case err := <-done:
			t.Fatalf("the stream stopped: %v", err)
		}
	}
	send(batchOf(srv.URL+"/c/1", "http://169.254.169.254/latest/meta-data/"))
	send(batchOf(srv.URL + "/c/1"))
	require.NoError(t, stream.Stop(ctx))
	require.NoError(t, <-done)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, out, 3)
	assert.Equal(t, "ok 200 profile /c/1\n", out[0])
	assert.Contains(t, out[1], "refused 0 host 169.254.169.254 refused: the module's manifest does not declare it")
	assert.Equal(t, "ok 200 profile /c/1\n", out[2], "the second batch's answer, from the cache")
	assert.Equal(t, int64(1), hits.Load(), "the repeated GET was served by the cache resource")
	logs, err := os.ReadFile(logPath)
	require.NoError(t, err)
	assert.Contains(t, string(logs), "fetch failed", "the guest's log reached the pipeline's")
	assert.NotContains(t, string(logs), hostHTTPSecret)
}

// A grant naming a cache resource that does not exist fails at start,
// naming the field.
func TestHTTPGrantNamesAMissingCache(t *testing.T) {
	proc := fmt.Sprintf(`
wasm:
  module: %s
  capabilities:
    http:
      hosts: [{name: "127.0.0.1"}, {name: "127.0.0.2"}, {name: "*.test"}]
      cache: nowhere
`, writeModule(t, fixtures.Warm(t, fixtures.Go(t, "runtime/testdata/guests/httpfetch"))))
	err := buildErr(t, proc)
	require.Error(t, err)
	assert.ErrorContains(t, err, `capabilities.http: cache: "nowhere" is not a cache resource of this pipeline`)
}
