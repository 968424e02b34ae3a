package host_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/redpanda-data/benthos/v4/public/components/pure"

	_ "github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
)

// writeModule stores a built module in a temp dir and returns its path.
func writeModule(t *testing.T, wasm []byte) string {
	path := filepath.Join(t.TempDir(), "m.wasm")
	require.NoError(t, os.WriteFile(path, wasm, 0o644))
	return path
}

// pipeline runs processors over the given batches through a real Benthos
// stream and returns every message that reached the output, in order.
func pipeline(t *testing.T, processors string, batches ...service.MessageBatch) service.MessageBatch {
	t.Helper()
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: warn"))
	require.NoError(t, b.AddProcessorYAML(processors))
	produce, err := b.AddBatchProducerFunc()
	require.NoError(t, err)
	var mu sync.Mutex
	var out service.MessageBatch
	require.NoError(t, b.AddBatchConsumerFunc(func(_ context.Context, batch service.MessageBatch) error {
		mu.Lock()
		defer mu.Unlock()
		out = append(out, batch...)
		return nil
	}))
	stream, err := b.Build()
	require.NoError(t, err)
	ctx := fixtures.Patient(t)
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()
	for _, batch := range batches {
		require.NoError(t, produce(ctx, batch))
	}
	require.NoError(t, stream.Stop(ctx))
	<-done
	mu.Lock()
	defer mu.Unlock()
	return out
}

// buildErr returns the error of building a stream with the processors,
// which must fail at start (a stream that starts runs until
// fixtures.Patience and fails the test there).
func buildErr(t *testing.T, processors string) error {
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: none"))
	err := b.AddProcessorYAML(processors)
	if err != nil {
		return err
	}
	_, err = b.AddBatchProducerFunc()
	require.NoError(t, err)
	require.NoError(t, b.AddBatchConsumerFunc(func(context.Context, service.MessageBatch) error { return nil }))
	stream, err := b.Build()
	if err != nil {
		return err
	}
	return stream.Run(fixtures.Patient(t))
}

func batchOf(values ...string) service.MessageBatch {
	var b service.MessageBatch
	for _, v := range values {
		b = append(b, service.NewMessage([]byte(v)))
	}
	return b
}

type seen struct {
	value, port, errText, class string
}

func describe(t *testing.T, msgs service.MessageBatch) []seen {
	var out []seen
	for _, m := range msgs {
		b, err := m.AsBytes()
		require.NoError(t, err)
		s := seen{value: string(b)}
		s.port, _ = m.MetaGet("weir_port")
		if m.GetError() != nil {
			s.errText, _ = m.MetaGet("weir_error")
			s.class, _ = m.MetaGet("weir_error_class")
		}
		out = append(out, s)
	}
	return out
}

func conformanceProc(t *testing.T) string {
	return fmt.Sprintf("wasm:\n  module: %s\n  cache_dir: %s\n  pool_size: 2\n", writeModule(t, fixtures.Warm(t, fixtures.Go(t, "sdk/go/internal/conformance"))), fixtures.CacheDir(t))
}

func TestVerdictsMapToBenthos(t *testing.T) {
	in := batchOf("keep", "drop", "set:new", "error:no good", "route:a,b", "fanout:2", "meta:k=v")
	in[0].MetaSetMut("origin", "test")
	out := pipeline(t, conformanceProc(t), in)
	assert.Equal(t, []seen{
		{value: "keep"},
		{value: "new"},
		{value: "error:no good", errText: `guest_error: no good`, class: "guest_error"},
		{value: "route:a,b", port: "a"},
		{value: "route:a,b", port: "b"},
		{value: "0"},
		{value: "1"},
		{value: "meta:k=v"},
	}, describe(t, out))
	origin, _ := out[0].MetaGet("origin")
	assert.Equal(t, "test", origin, "metadata reaches the guest and survives a keep")
	k, _ := out[7].MetaGet("k")
	assert.Equal(t, "v", k)
	transform, _ := out[2].MetaGet("weir_transform")
	version, _ := out[2].MetaGet("weir_version")
	digest, _ := out[2].MetaGet("weir_digest")
	assert.Equal(t, []string{"conformance", "1.0.0"}, []string{transform, version})
	assert.True(t, strings.HasPrefix(digest, "sha256:"), digest)
}

func TestMetadataReachesTheGuest(t *testing.T) {
	in := batchOf("getmeta:tenant")
	in[0].MetaSetMut("tenant", "acme")
	out := pipeline(t, conformanceProc(t), in)
	assert.Equal(t, []seen{{value: "true:acme"}}, describe(t, out))
}

func TestTrapFlagsTheWholeBatchAndTheNextBatchFlows(t *testing.T) {
	trap := writeModule(t, fixtures.WAT(t, "runtime/testdata/guests/trap.wat"))
	out := pipeline(t, "wasm:\n  module: "+trap+"\n  cache_dir: "+fixtures.CacheDir(t)+"\n", batchOf("a", "b"), batchOf("c"))
	require.Len(t, out, 3, "nothing is dropped")
	for _, s := range describe(t, out) {
		assert.Equal(t, "trap", s.class)
		assert.Contains(t, s.errText, "unreachable")
	}
}

func TestLoopingGuestTimesOutAndThePipelineKeepsFlowing(t *testing.T) {
	loop := writeModule(t, fixtures.WAT(t, "runtime/testdata/guests/loop.wat"))
	echo := writeModule(t, fixtures.WAT(t, "runtime/testdata/guests/echo.wat"))
	procs := fmt.Sprintf(`
switch:
  - check: content() == "loop"
    processors:
      - wasm: { module: %[3]s, timeout: %[4]s, fuel: 2000000, cache_dir: %[1]s }
  - processors:
      - wasm: { module: %[2]s, cache_dir: %[1]s }
`, fixtures.CacheDir(t), echo, loop, fixtures.Patience)
	out := pipeline(t, procs, batchOf("loop"), batchOf("ok-1"), batchOf("loop"), batchOf("ok-2"))
	got := describe(t, out)
	require.Len(t, got, 4)
	assert.Equal(t, []seen{{value: "ok-1"}, {value: "ok-2"}}, []seen{got[1], got[3]})
	for _, s := range []seen{got[0], got[2]} {
		assert.Equal(t, "loop", s.value)
		assert.Equal(t, "fuel_exhausted", s.class, "only the fuel budget (2,000,000 units, a millisecond of this loop) can stop it: its timeout is minutes away")
		assert.Contains(t, s.errText, `transform "loop@0.0.0": fuel_exhausted: weir_process: fuel exhausted`)
	}
}

// The one pipeline without a disk cache (cache_dir: none): a WAT guest
// compiles in milliseconds, loaded or not.
func TestCloseOnContextDoneStillAvailable(t *testing.T) {
	loop := writeModule(t, fixtures.WAT(t, "runtime/testdata/guests/loop.wat"))
	out := pipeline(t, "wasm: { module: "+loop+", timeout: 100ms, cache_dir: none, interrupt: close_on_context_done }\n", batchOf("loop"))
	assert.Equal(t, []seen{
		{value: "loop", class: "timeout", errText: `transform "loop@0.0.0": timeout: weir_process: module closed with context deadline exceeded`},
	}, describe(t, out))
}

func TestMaskPlugin(t *testing.T) {
	mask := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "plugins/mask")))
	proc := fmt.Sprintf(`
wasm:
  module: %s
  cache_dir: %s
  config:
    hmac_key: k
    fields:
      - { path: customer.email, action: email }
      - { path: customer.phone, action: last, keep: 4 }
      - { path: customer.card, action: last, keep: 4, with: "************" }
      - { path: items.*.sku, action: redact }
      - { path: customer.id, action: hmac }
      - { path: missing.field, action: redact }
`, mask, fixtures.CacheDir(t))
	in := batchOf(
		`{"customer":{"id":"c-1","email":"jane@x.com","phone":"+34-555-4701","card":"4822126380948868"},"items":[{"sku":"A"},{"sku":"B"}]}`,
		`not json`,
		`{"customer":{"email":"no-at-sign"}}`,
	)
	out := pipeline(t, proc, in)
	assert.Equal(t, []seen{
		{value: `{"customer":{"id":"` + hmacHex("k", "c-1") + `","email":"***@x.com","phone":"***4701","card":"************8868"},"items":[{"sku":"***"},{"sku":"***"}]}`},
		{value: `not json`, class: "bad_input", errText: `transform "mask@0.1.0": bad_input: record is not JSON: offset 0: unexpected 'n'`},
		{value: `{"customer":{"email":"***"}}`},
	}, describe(t, out))
}

func hmacHex(key, s string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(s))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestMaskPluginRefusesBadConfigAtStart(t *testing.T) {
	mask := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "plugins/mask")))
	err := buildErr(t, fmt.Sprintf("wasm:\n  module: %s\n  cache_dir: %s\n  config: { fields: [ { path: a, action: explode } ] }\n", mask, fixtures.CacheDir(t)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `config_refused: config does not meet the module's config_schema: field "fields.0.action": value must be one of 'redact', 'last', 'email', 'hmac'`, "refused by the manifest's config_schema before the guest's init")
}

func TestConfigErrorsNameTheField(t *testing.T) {
	err := buildErr(t, "wasm:\n  module: /nonexistent/x.wasm\n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "field module")
	assert.Contains(t, err.Error(), "/nonexistent/x.wasm")

	err = buildErr(t, "wasm:\n  module: x.wasm\n  max_memory_mib: 0\n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "field max_memory_mib")
}

func TestTableBombIsNeverInstantiated(t *testing.T) {
	bomb := writeModule(t, fixtures.WAT(t, "runtime/testdata/guests/tablebomb.wat"))
	err := buildErr(t, "wasm:\n  module: "+bomb+"\n  cache_dir: "+fixtures.CacheDir(t)+"\n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "admission_refused: table 0 declares 100000000 initial elements")
}
