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

var (
	moduleOnce sync.Once
	module     *runtime.Module
	engine     *runtime.Engine
)

// pool starts an instance of the helpers guest with config, logging to
// logger (nil: the default).
func pool(t *testing.T, config string, cfg runtime.EngineConfig) *runtime.Pool {
	t.Helper()
	ctx := context.Background()
	e := engine
	if cfg.Logger != nil {
		var err error
		e, err = runtime.NewEngine(ctx, cfg)
		require.NoError(t, err)
		t.Cleanup(func() { e.Close(ctx) })
	} else {
		moduleOnce.Do(func() {
			var err error
			engine, err = runtime.NewEngine(ctx, runtime.EngineConfig{})
			require.NoError(t, err)
			e = engine
		})
		e = engine
	}
	m, err := e.Load(ctx, fixtures.AS(t, "sdk/assemblyscript/sdktest/helpers"))
	require.NoError(t, err)
	p, err := m.NewPool(ctx, runtime.PoolConfig{Config: []byte(config)})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close(ctx) })
	return p
}

// result is one record's value, or "fail: msg".
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
