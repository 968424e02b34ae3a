package host

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// TestReusedScratchGivesTheFreshOutput: batches of mixed verdicts (keep,
// rewrite, drop, error, route, fan-out, metadata, panic), some with
// metadata, through one processor whose scratch every batch reuses, give
// the messages that a processor with fresh scratch gives for each batch:
// same bytes, metadata and errors, in the same order.
func TestReusedScratchGivesTheFreshOutput(t *testing.T) {
	newProc := conformanceProcessor(t)
	reused := newProc()
	defer reused.Close(context.Background())
	commands := []string{"keep", "keep", "keep", "set:x", "drop", "error:bad", "route:a,b", "fanout:2", "meta:k=v", "delmeta:h0", "getmeta:h1", "panic"}
	rng := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	for round := 0; round < 40; round++ {
		values := make([]string, rng.IntN(12))
		metas := rng.IntN(3)
		for i := range values {
			values[i] = commands[rng.IntN(len(commands))]
		}
		if round%5 == 0 {
			values = []string{"keep", "keep", "keep"} // the all-kept path, after batches that were not
		}
		fresh := newProc()
		want, err := fresh.ProcessBatch(ctx, messages(values, metas))
		require.NoError(t, err)
		require.NoError(t, fresh.Close(ctx))
		got, err := reused.ProcessBatch(ctx, messages(values, metas))
		require.NoError(t, err)
		require.Equal(t, describe(t, want), describe(t, got), "round %d: %v", round, values)
	}
}

func messages(values []string, metas int) service.MessageBatch {
	b := make(service.MessageBatch, len(values))
	for i, v := range values {
		b[i] = service.NewMessage([]byte(v))
		for j := 0; j < metas; j++ {
			b[i].MetaSetMut(fmt.Sprint("h", j), fmt.Sprint("v", i))
		}
	}
	return b
}

// describe is what a batch's messages carry, for comparison.
func describe(t *testing.T, batches []service.MessageBatch) []string {
	var out []string
	for _, b := range batches {
		for _, m := range b {
			v, err := m.AsBytes()
			require.NoError(t, err)
			meta := map[string]string{}
			_ = m.MetaWalk(func(k, v string) error { meta[k] = v; return nil })
			out = append(out, fmt.Sprintf("%q %v err=%v", v, meta, m.GetError()))
		}
	}
	return out
}

// conformanceProcessor returns a constructor of wasm processors running
// the Go conformance guest on one instance.
func conformanceProcessor(t *testing.T) func() *wasmProcessor {
	wasm := fixtures.Warm(t, fixtures.Go(t, "sdk/go/internal/conformance"))
	path := filepath.Join(t.TempDir(), "conformance.wasm")
	require.NoError(t, os.WriteFile(path, wasm, 0o644))
	yaml := fmt.Sprintf("module: %s\npool_size: 1\ncache_dir: %s\n", path, fixtures.CacheDir(t))
	return func() *wasmProcessor {
		conf, err := wasmProcessorSpec().ParseYAML(yaml, nil)
		require.NoError(t, err)
		p, err := newWasmProcessor(conf, service.MockResources())
		require.NoError(t, err)
		return p
	}
}
