// Package masktest proves the C mask (plugins/mask_c) gives the Go mask's
// output (plugins/mask, JSON mode): the same bytes for every record, or
// both failing, with the same config. The C mask runs on field projection
// through internal/projhost (the contract of docs/abi.md §4b on plain
// wazero); the Go mask through the runtime's full-value path.
package masktest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/projhost"
	"github.com/weirstream/weir/runtime"
)

// result is one record's fate: its masked value, or failed.
type result struct {
	value  string
	failed bool
	msg    string
}

// batch is how many records go into one call, as the benchmarks run.
const batch = 64

func loadC(t testing.TB, config string) *projhost.Guest {
	t.Helper()
	g, err := projhost.Load(context.Background(), fixtures.C(t, "plugins/mask_c"), []byte(config))
	require.NoError(t, err)
	t.Cleanup(g.Close)
	return g
}

// cInitError is the C mask's init failure for config ("" if it loads).
func cInitError(t testing.TB, config string) string {
	t.Helper()
	g, err := projhost.Load(context.Background(), fixtures.C(t, "plugins/mask_c"), []byte(config))
	if err != nil {
		_, msg, ok := strings.Cut(err.Error(), "init: ")
		require.True(t, ok, "not an init failure: %v", err)
		return msg
	}
	g.Close()
	return ""
}

// sharedEngine serves every test of the package, so the Go mask is
// compiled once (goModule); it lives as long as the test process.
var sharedEngine = sync.OnceValues(func() (*runtime.Engine, error) {
	return runtime.NewEngine(context.Background(), runtime.EngineConfig{})
})

func newEngine(t testing.TB) *runtime.Engine {
	t.Helper()
	e, err := sharedEngine()
	require.NoError(t, err)
	return e
}

func loadGo(t testing.TB, e *runtime.Engine, config string) *runtime.Pool {
	t.Helper()
	p, err := goPool(t, e, config)
	require.NoError(t, err)
	return p
}

func goPool(t testing.TB, e *runtime.Engine, config string) (*runtime.Pool, error) {
	t.Helper()
	p, err := goModule(t, e).NewPool(context.Background(), runtime.PoolConfig{Config: []byte(config)})
	if err == nil {
		t.Cleanup(func() { p.Close(context.Background()) })
	}
	return p, err
}

var (
	modulesMu sync.Mutex
	modules   = map[*runtime.Engine]*runtime.Module{}
)

// goModule is the Go mask loaded into e, once per engine.
func goModule(t testing.TB, e *runtime.Engine) *runtime.Module {
	t.Helper()
	modulesMu.Lock()
	defer modulesMu.Unlock()
	if m, ok := modules[e]; ok {
		return m
	}
	m, err := e.Load(context.Background(), fixtures.Go(t, "plugins/mask"))
	require.NoError(t, err)
	modules[e] = m
	return m
}

// goInitError is the Go mask's init failure for config ("" if it loads).
func goInitError(t testing.TB, e *runtime.Engine, config string) string {
	t.Helper()
	_, err := goPool(t, e, config)
	if err == nil {
		return ""
	}
	_, msg, ok := strings.Cut(err.Error(), "init: ")
	require.True(t, ok, "not an init failure: %v", err)
	return msg
}

func runGo(t testing.TB, p *runtime.Pool, values []string) []result {
	t.Helper()
	var out []result
	for len(values) > 0 {
		n := min(batch, len(values))
		in := make([]runtime.Record, n)
		for i, v := range values[:n] {
			in[i] = runtime.Record{Value: []byte(v)}
		}
		outs, err := p.Process(context.Background(), in)
		require.NoError(t, err)
		for i, o := range outs {
			if o.Err != nil {
				out = append(out, result{failed: true, msg: o.Err.Error()})
				continue
			}
			require.Len(t, o.Emits, 1)
			v := string(o.Emits[0].Value)
			if o.Emits[0].Unchanged {
				v = values[i]
			}
			out = append(out, result{value: v})
		}
		values = values[n:]
	}
	return out
}

func runC(t testing.TB, g *projhost.Guest, values []string) []result {
	t.Helper()
	var out []result
	for len(values) > 0 {
		n := min(batch, len(values))
		in := make([]projhost.Record, n)
		for i, v := range values[:n] {
			in[i] = projhost.Record{Value: v}
		}
		outs, err := g.Process(in)
		require.NoError(t, err)
		for _, o := range outs {
			if o.Class != "" {
				out = append(out, result{failed: true, msg: o.Class + ": " + o.Error})
				continue
			}
			require.Len(t, o.Out, 1)
			require.Empty(t, o.Out[0].Port)
			out = append(out, result{value: o.Out[0].Value})
		}
		values = values[n:]
	}
	return out
}

// requireSame runs values through both masks with config and requires the
// same bytes, or both failing, record by record. It returns how many
// records each mask failed.
func requireSame(t testing.TB, e *runtime.Engine, config string, values []string) int {
	t.Helper()
	return compare(t, values, runGo(t, loadGo(t, e, config), values), runC(t, loadC(t, config), values))
}

func compare(t testing.TB, values []string, want, got []result) int {
	t.Helper()
	require.Len(t, got, len(want))
	failed := 0
	for i := range want {
		if want[i].failed || got[i].failed {
			require.True(t, want[i].failed && got[i].failed, "record %d %q: Go %+v, C %+v", i, values[i], want[i], got[i])
			failed++
			continue
		}
		require.Equal(t, want[i].value, got[i].value, "record %d %q", i, values[i])
	}
	return failed
}
