// Package sdktest proves the AssemblyScript SDK's helpers (sdk/assemblyscript)
// in the real host: each runs in a guest (helpers/main.ts) and is compared
// with its Go counterpart (sdk/go/jsonpath, protowire, encoding/json).
package sdktest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// sharedEngine serves every test that keeps the default logger, so the
// guest is compiled once per process.
var sharedEngine = sync.OnceValues(func() (*runtime.Engine, error) {
	return runtime.NewEngine(context.Background(), runtime.EngineConfig{})
})

// pool starts an instance of the helpers guest with config, in the shared
// engine, or in an engine of its own when cfg sets a logger.
func pool(t *testing.T, config string, cfg runtime.EngineConfig) *runtime.Pool {
	t.Helper()
	ctx := context.Background()
	e, err := sharedEngine()
	if cfg.Logger != nil {
		e, err = runtime.NewEngine(ctx, cfg)
		if err == nil {
			t.Cleanup(func() { e.Close(ctx) })
		}
	}
	require.NoError(t, err)
	m, err := e.Load(ctx, fixtures.AS(t, "sdk/assemblyscript/sdktest/helpers"))
	require.NoError(t, err)
	p, err := m.NewPool(ctx, runtime.PoolConfig{Config: []byte(config)})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close(ctx) })
	return p
}

// results are each record's value, or "fail: msg", a batch of 64 at a time.
func results(t *testing.T, p *runtime.Pool, values [][]byte) []string {
	t.Helper()
	var out []string
	for len(values) > 0 {
		n := min(64, len(values))
		in := make([]runtime.Record, n)
		for i, v := range values[:n] {
			in[i] = runtime.Record{Value: v}
		}
		outs, err := p.Process(context.Background(), in)
		require.NoError(t, err)
		for i, o := range outs {
			var e *runtime.Error
			switch {
			case errors.As(o.Err, &e):
				out = append(out, "fail: "+e.Msg)
			case o.Err != nil:
				out = append(out, "fail: "+o.Err.Error())
			case o.Emits[0].Unchanged:
				out = append(out, string(values[i]))
			default:
				out = append(out, string(o.Emits[0].Value))
			}
		}
		values = values[n:]
	}
	return out
}

// orders are the benchmarks' orders, one JSON document each.
func orders(t *testing.T) [][]byte {
	data, err := os.ReadFile(filepath.Join(fixtures.Root(), "bench/testdata/orders-1k.jsonl"))
	require.NoError(t, err)
	return bytes.Split(bytes.TrimSpace(data), []byte("\n"))[:128]
}
