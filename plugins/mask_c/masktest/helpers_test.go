// Package masktest proves the C mask (plugins/mask_c), the Rust mask
// (plugins/mask_rust) and the AssemblyScript mask (plugins/mask_as) give the Go mask's output (plugins/mask, JSON mode):
// the same bytes for every record, or both failing, with the same config.
// All run through the runtime: the C, Rust and AssemblyScript masks on field projection
// (docs/abi.md §4b), the Go mask on the full-value path.
package masktest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
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

// sharedEngine serves every test of the package, so each mask is loaded
// once (goModule, cModule); it lives as long as the test process. Its
// cache is the tests' shared one, which load warms without -race.
func sharedEngine(t testing.TB) (*runtime.Engine, error) {
	dir := fixtures.CacheDir(t)
	shared.once.Do(func() {
		shared.engine, shared.err = runtime.NewEngine(context.Background(), runtime.EngineConfig{CacheDir: dir})
	})
	return shared.engine, shared.err
}

var shared struct {
	once   sync.Once
	engine *runtime.Engine
	err    error
}

var (
	modulesMu sync.Mutex
	modules   = map[string]*runtime.Module{}
)

// load is the module build returns, compiled into the shared cache
// outside the race detector (fixtures.Warm) and loaded into the shared
// engine, once per name.
func load(t testing.TB, name string, build func(testing.TB, string) []byte) *runtime.Module {
	t.Helper()
	e, err := sharedEngine(t)
	require.NoError(t, err)
	modulesMu.Lock()
	defer modulesMu.Unlock()
	if m, ok := modules[name]; ok {
		return m
	}
	m, err := e.Load(context.Background(), fixtures.Warm(t, build(t, name)))
	require.NoError(t, err)
	modules[name] = m
	return m
}

// goModule is the Go mask; cModule the C mask; rustModule the Rust mask;
// asModule the AssemblyScript mask.
func goModule(t testing.TB) *runtime.Module   { return load(t, "plugins/mask", fixtures.Go) }
func cModule(t testing.TB) *runtime.Module    { return load(t, "plugins/mask_c", fixtures.C) }
func rustModule(t testing.TB) *runtime.Module { return load(t, "plugins/mask_rust", fixtures.Rust) }
func asModule(t testing.TB) *runtime.Module   { return load(t, "plugins/mask_as", fixtures.AS) }

// guests are the masks held to the Go mask's output: adding a language is
// one more row.
var guests = []struct {
	lang           string
	module, parser func(testing.TB) *runtime.Module
}{
	{"C", cModule, cParser},
	{"Rust", rustModule, rustParser},
	{"AssemblyScript", asModule, asParser},
}

// goParser and cParser are the two masks with their manifests'
// config_schema left out, so every config reaches the guest's own parsing:
// the parity tests compare the guests. In a pipeline the host checks the
// schema first (runtime's config_schema tests), and the two manifests'
// schemas differ where the masks do (format protobuf, maxItems).
func goParser(t testing.TB) *runtime.Module {
	return load(t, "plugins/mask#parser", withoutConfigSchema(fixtures.Go))
}
func cParser(t testing.TB) *runtime.Module {
	return load(t, "plugins/mask_c#parser", withoutConfigSchema(fixtures.C))
}
func rustParser(t testing.TB) *runtime.Module {
	return load(t, "plugins/mask_rust#parser", withoutConfigSchema(fixtures.Rust))
}
func asParser(t testing.TB) *runtime.Module {
	return load(t, "plugins/mask_as#parser", withoutConfigSchema(fixtures.AS))
}

func withoutConfigSchema(build func(testing.TB, string) []byte) func(testing.TB, string) []byte {
	return func(t testing.TB, name string) []byte {
		path, _, _ := strings.Cut(name, "#")
		wasm := build(t, path)
		man := runtime.Inspect(wasm, runtime.EngineConfig{}).Manifest
		man.ConfigSchema = nil
		packed, err := runtime.Pack(wasm, man)
		require.NoError(t, err)
		return packed
	}
}

func newPool(t testing.TB, m *runtime.Module, config string) (*runtime.Pool, error) {
	t.Helper()
	p, err := m.NewPool(context.Background(), runtime.PoolConfig{Config: []byte(config)})
	if err == nil {
		t.Cleanup(func() { p.Close(context.Background()) })
	}
	return p, err
}

func loadGo(t testing.TB, config string) *runtime.Pool {
	t.Helper()
	p, err := newPool(t, goModule(t), config)
	require.NoError(t, err)
	return p
}

func loadC(t testing.TB, config string) *runtime.Pool { return loadModule(t, cModule, config) }

func loadModule(t testing.TB, module func(testing.TB) *runtime.Module, config string) *runtime.Pool {
	t.Helper()
	p, err := newPool(t, module(t), config)
	require.NoError(t, err)
	return p
}

// initError is m's init failure for config ("" if it loads).
func initError(t testing.TB, m *runtime.Module, config string) string {
	t.Helper()
	_, err := newPool(t, m, config)
	if err == nil {
		return ""
	}
	_, msg, ok := strings.Cut(err.Error(), "init: ")
	require.True(t, ok, "not an init failure: %v", err)
	return msg
}

// run masks values with p, a batch at a time: each record's one output
// on the default port, or its failure.
func run(t testing.TB, p *runtime.Pool, values []string) []result {
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
		require.Len(t, outs, n)
		for i, o := range outs {
			if o.Err != nil {
				out = append(out, result{failed: true, msg: failure(o.Err)})
				continue
			}
			require.Len(t, o.Emits, 1)
			require.Empty(t, o.Emits[0].Port)
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

// failure is err's class and own message, without the transform's name.
func failure(err error) string {
	var e *runtime.Error
	if errors.As(err, &e) {
		return string(e.Class) + ": " + e.Msg
	}
	return err.Error()
}

// requireSame runs values through the Go mask and every guest with config
// and requires the same bytes, or all failing, record by record. It
// returns how many records each mask failed.
func requireSame(t testing.TB, config string, values []string) int {
	t.Helper()
	want := run(t, loadGo(t, config), values)
	failed := 0
	for _, g := range guests {
		failed = compare(t, g.lang, values, want, run(t, loadModule(t, g.module, config), values))
	}
	return failed
}

func compare(t testing.TB, lang string, values []string, want, got []result) int {
	t.Helper()
	require.Len(t, got, len(want))
	failed := 0
	for i := range want {
		if want[i].failed || got[i].failed {
			require.True(t, want[i].failed && got[i].failed, "record %d %q: Go %+v, %s %+v", i, values[i], want[i], lang, got[i])
			failed++
			continue
		}
		require.Equal(t, want[i].value, got[i].value, "%s mask, record %d %q", lang, i, values[i])
	}
	return failed
}

// mustRead reads a file of the repository (the Go mask's shared test data).
func mustRead(path string) []byte {
	b, err := os.ReadFile(filepath.Join(fixtures.Root(), path))
	if err != nil {
		panic(err)
	}
	return b
}

// readQuoted reads one Go-quoted string a line.
func readQuoted(path string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(mustRead(path))), "\n") {
		s, err := strconv.Unquote(line)
		if err != nil {
			panic(fmt.Sprintf("%s: %q: %v", path, line, err))
		}
		out = append(out, s)
	}
	return out
}
