package sdktest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// sharedEngine serves every test of the package; it lives as long as the
// test process. Its cache is the tests' shared one, where fixtures.Warm
// compiles a Go guest without -race.
var sharedEngine = sync.OnceValues(func() (*runtime.Engine, error) {
	dir, err := fixtures.SharedCacheDir()
	if err != nil {
		return nil, err
	}
	return runtime.NewEngine(context.Background(), runtime.EngineConfig{CacheDir: dir})
})

var (
	modulesMu sync.Mutex
	modules   = map[string]*runtime.Module{}
)

// module is the C guest built from dir, loaded into the shared engine once.
func module(t testing.TB, dir string) *runtime.Module {
	t.Helper()
	e, err := sharedEngine()
	require.NoError(t, err)
	modulesMu.Lock()
	defer modulesMu.Unlock()
	if m, ok := modules[dir]; ok {
		return m
	}
	m, err := e.Load(context.Background(), fixtures.C(t, dir))
	require.NoError(t, err)
	modules[dir] = m
	return m
}

// newPool starts an instance of the guest built from dir with config.
func newPool(t testing.TB, dir, config string) (*runtime.Pool, error) {
	t.Helper()
	p, err := module(t, dir).NewPool(context.Background(), runtime.PoolConfig{Config: []byte(config)})
	if err == nil {
		t.Cleanup(func() { p.Close(context.Background()) })
	}
	return p, err
}

func pool(t testing.TB, dir, config string) *runtime.Pool {
	t.Helper()
	p, err := newPool(t, dir, config)
	require.NoError(t, err)
	return p
}

// outcome is the verdict on one record: its outputs (metadata after the
// guest's changes), or its failure class and message.
type outcome struct {
	Out   []runtime.FixtureRecord
	Class runtime.Class
	Error string
}

// process runs one batch of values, each with meta, and returns the
// verdicts.
func process(t testing.TB, p *runtime.Pool, meta map[string]string, values ...string) []outcome {
	t.Helper()
	in := make([]runtime.Record, len(values))
	for i, v := range values {
		in[i] = runtime.Record{Value: []byte(v), Meta: runtime.SortedMeta(meta)}
	}
	out, err := p.Process(context.Background(), in)
	require.NoError(t, err)
	require.Len(t, out, len(in))
	got := make([]outcome, len(out))
	for i, v := range runtime.Verdicts(in, out) {
		got[i] = outcome{Out: v.Out}
		if out[i].Err != nil {
			got[i] = outcome{Class: runtime.ClassOf(out[i].Err), Error: message(out[i].Err)}
		}
	}
	return got
}

// message is a weir error's own message, without transform and class.
func message(err error) string {
	var e *runtime.Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
}
