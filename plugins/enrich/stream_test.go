//go:build !wasip1

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/redpanda-data/benthos/v4/public/components/pure"

	_ "github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
)

// profiles is the memory cache the tests grant as namespace lookup.
const profiles = `
label: profiles
memory:
  init_values:
    "risk:c-1": '{"score":91,"band":"high"}'
    "risk:c-2": ' {"score":12} '
    "risk:42": '7'
    "risk:bad": '{"score":'
`

func enrichProc(t *testing.T, config string) string {
	path := filepath.Join(t.TempDir(), "enrich.wasm")
	require.NoError(t, os.WriteFile(path, fixtures.Warm(t, fixtures.Go(t, "plugins/enrich")), 0o644))
	return fmt.Sprintf(`wasm:
  module: %s
  cache_dir: %s
  pool_size: 1
  config: %s
  capabilities:
    kv:
      namespaces:
        lookup: { cache: profiles, prefix: "risk:" }
`, path, fixtures.CacheDir(t), config)
}

// stream runs one batch through the processor in a real Benthos stream
// with the profiles cache.
func stream(t *testing.T, proc string, values ...string) []seen {
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: warn"))
	require.NoError(t, b.AddCacheYAML(profiles))
	require.NoError(t, b.AddProcessorYAML(proc))
	produce, err := b.AddBatchProducerFunc()
	require.NoError(t, err)
	var mu sync.Mutex
	var out []seen
	require.NoError(t, b.AddBatchConsumerFunc(func(_ context.Context, batch service.MessageBatch) error {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range batch {
			v, _ := m.AsBytes()
			s := seen{value: string(v)}
			s.port, _ = m.MetaGet("weir_port")
			if m.GetError() != nil {
				s.err, _ = m.MetaGet("weir_error")
			}
			out = append(out, s)
		}
		return nil
	}))
	st, err := b.Build()
	require.NoError(t, err)
	ctx := fixtures.Patient(t)
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	var batch service.MessageBatch
	for _, v := range values {
		batch = append(batch, service.NewMessage([]byte(v)))
	}
	require.NoError(t, produce(ctx, batch))
	require.NoError(t, st.Stop(ctx))
	<-done
	mu.Lock()
	defer mu.Unlock()
	return out
}

type seen struct{ value, port, err string }

// TestEnrichInAStream: one batch through a real stream, the memory cache
// granted as namespace lookup: values found are written at the target
// (added, or replacing what is there), a miss and a record without a key
// are kept, and a record the lookup cannot vouch for is flagged.
func TestEnrichInAStream(t *testing.T) {
	out := stream(t, enrichProc(t, `{"key":"customer.id","target":"risk"}`),
		`{"customer":{"id":"c-1"},"amount":5}`,
		`{"customer":{"id":"c-2"},"risk":{"old":true}}`,
		`{"customer":{"id":42}}`,
		`{"customer":{"id":"c-\u0031"}}`,
		`{"customer":{"id":"c-3"}}`,
		`{"customer":{}}`,
		`{}`,
		`{"customer":{"id":"c-1"},"customer":{"id":"c-2"}}`,
		`{"customer":{"id":"bad"}}`,
		`{"customer":`,
	)
	assert.Equal(t, []seen{
		{value: `{"customer":{"id":"c-1"},"amount":5,"risk":{"score":91,"band":"high"}}`},
		{value: `{"customer":{"id":"c-2"},"risk":{"score":12}}`},
		{value: `{"customer":{"id":42},"risk":7}`},
		{value: `{"customer":{"id":"c-\u0031"},"risk":{"score":91,"band":"high"}}`},
		{value: `{"customer":{"id":"c-3"}}`},
		{value: `{"customer":{}}`},
		{value: `{}`},
		{value: `{"customer":{"id":"c-1"},"customer":{"id":"c-2"}}`, err: "guest_error: enrich: key customer.id has 2 values in the record, want one"},
		{value: `{"customer":{"id":"bad"}}`, err: `guest_error: enrich: key "bad": the stored value is not JSON: invalid JSON at offset 9: want a value`},
		{value: `{"customer":`, err: `transform "enrich@0.1.0": bad_input: record is not JSON: offset 12: want a value`},
	}, out)
}

// TestEnrichMisses: on_miss flag fails a miss and a record without a key;
// on_miss route sends them to the port; a nested target is added to its
// parent, and a record without the parent is flagged.
func TestEnrichMisses(t *testing.T) {
	in := []string{`{"customer":{"id":"c-2"}}`, `{"customer":{"id":"c-9"}}`, `{"order":1}`}
	assert.Equal(t, []seen{
		{value: `{"customer":{"id":"c-2","risk":{"score":12}}}`},
		{value: `{"customer":{"id":"c-9"}}`, err: `guest_error: enrich: no value for key "c-9" (namespace lookup)`},
		{value: `{"order":1}`, err: "guest_error: enrich: no key at customer.id (namespace lookup)"},
	}, stream(t, enrichProc(t, `{"key":"customer.id","target":"customer.risk","on_miss":"flag"}`), in...))
	assert.Equal(t, []seen{
		{value: `{"customer":{"id":"c-2"},"risk":{"score":12}}`},
		{value: `{"customer":{"id":"c-9"}}`, port: "unknown"},
		{value: `{"order":1}`, port: "unknown"},
	}, stream(t, enrichProc(t, `{"key":"customer.id","target":"risk","on_miss":"route","miss_port":"unknown"}`), in...))
	assert.Equal(t, []seen{
		{value: `{"customer":{"id":"c-2"}}`, err: "guest_error: enrich: target profile.risk: the record has no object profile to add it to"},
	}, stream(t, enrichProc(t, `{"key":"customer.id","target":"profile.risk"}`), in[0]))
}

// TestEnrichNeedsItsGrant: without the kv grant the processor refuses to
// start, naming what to grant.
func TestEnrichNeedsItsGrant(t *testing.T) {
	path := filepath.Join(t.TempDir(), "enrich.wasm")
	require.NoError(t, os.WriteFile(path, fixtures.Warm(t, fixtures.Go(t, "plugins/enrich")), 0o644))
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: none"))
	err := b.AddProcessorYAML(fmt.Sprintf("wasm:\n  module: %s\n  cache_dir: %s\n  config: {\"key\":\"id\",\"target\":\"x\"}\n", path, fixtures.CacheDir(t)))
	if err == nil {
		_, err = b.AddBatchProducerFunc()
		require.NoError(t, err)
		require.NoError(t, b.AddBatchConsumerFunc(func(context.Context, service.MessageBatch) error { return nil }))
		var st *service.Stream
		if st, err = b.Build(); err == nil {
			err = st.Run(fixtures.Patient(t))
		}
	}
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lookup")
	assert.Contains(t, err.Error(), "capabilities")
}
