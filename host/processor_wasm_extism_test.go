package host_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"

	_ "github.com/redpanda-data/benthos/v4/public/components/io"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

func extismProc(t *testing.T, extra string) string {
	upper := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "runtime/testdata/extism/upper")))
	return fmt.Sprintf("wasm:\n  module: %s\n  cache_dir: %s\n  pool_size: 1\n%s", upper, fixtures.CacheDir(t), extra)
}

func TestExtismPluginInAPipeline(t *testing.T) {
	proc := extismProc(t, "  function: upper\n  config: { suffix: \"!\" }\n")
	out := pipeline(t, proc, batchOf("abc", "fail", "rc"), batchOf("hé"))
	assert.Equal(t, []seen{
		{value: "ABC!"},
		{value: "fail", class: "guest_error", errText: `transform "extism-upper@1.0.0": guest_error: upper: refusing the input "fail"`},
		{value: "rc", class: "guest_error", errText: `transform "extism-upper@1.0.0": guest_error: upper returned 2 without an error (error_set)`},
		{value: "Hé!"},
	}, describe(t, out))
}

func TestExtismVarsLastAcrossBatches(t *testing.T) {
	out := pipeline(t, extismProc(t, "  function: count\n"), batchOf("", ""), batchOf(""))
	assert.Equal(t, []seen{{value: "1"}, {value: "2"}, {value: "3"}}, describe(t, out))
}

func TestExtismPluginWithoutFunctionIsRefusedAtStart(t *testing.T) {
	err := buildErr(t, extismProc(t, ""))
	require.ErrorContains(t, err, "config_refused")
	require.ErrorContains(t, err, `name the export to call per record (function, PoolConfig.Extism.Function); it exports "count", "grow", "upper"`)
}

// TestExtismErrorsReachTheDeadLetterOutput runs a whole stream: the
// records the plugin fails go to the dead-letter output, the rest to the
// main one, none lost.
func TestExtismErrorsReachTheDeadLetterOutput(t *testing.T) {
	dir := t.TempDir()
	good, dead := filepath.Join(dir, "good.jsonl"), filepath.Join(dir, "dead.jsonl")
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: warn"))
	require.NoError(t, b.AddProcessorYAML(extismProc(t, "  function: upper\n")))
	require.NoError(t, b.AddOutputYAML(fmt.Sprintf(`
switch:
  cases:
    - check: errored()
      output: { file: { path: %s, codec: lines } }
    - output: { file: { path: %s, codec: lines } }
`, dead, good)))
	produce, err := b.AddBatchProducerFunc()
	require.NoError(t, err)
	stream, err := b.Build()
	require.NoError(t, err)
	ctx := fixtures.Patient(t)
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()
	require.NoError(t, produce(ctx, batchOf("one", "fail", "two")))
	require.NoError(t, produce(ctx, batchOf("fail", "three")))
	require.NoError(t, stream.Stop(ctx))
	<-done
	require.Equal(t, []string{"ONE", "TWO", "THREE"}, lines(t, good))
	require.Equal(t, []string{"fail", "fail"}, lines(t, dead))
}

func lines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Fields(string(b))
}
