package runtime_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// logBuffer collects guest logs for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newEngine(t testing.TB, cfg runtime.EngineConfig) (*runtime.Engine, *logBuffer) {
	t.Helper()
	if cfg.CacheDir == "" {
		// shared by every engine of every test process (a guest compiles
		// once), and warmed by fixtures.WarmWith without -race
		cfg.CacheDir = fixtures.CacheDir(t)
	}
	logs := &logBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e, err := runtime.NewEngine(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	return e, logs
}

func newPool(t testing.TB, e *runtime.Engine, wasm []byte, cfg runtime.PoolConfig) *runtime.Pool {
	t.Helper()
	m, err := e.Load(context.Background(), wasm)
	require.NoError(t, err)
	p, err := m.NewPool(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func wat(t testing.TB, name string) []byte {
	return fixtures.WAT(t, "runtime/testdata/guests/"+name+".wat")
}

func records(values ...string) []runtime.Record {
	rs := make([]runtime.Record, len(values))
	for i, v := range values {
		rs[i] = runtime.Record{Value: []byte(v)}
	}
	return rs
}

var shortTimeout = runtime.PoolConfig{Timeout: 200 * time.Millisecond}

func rawWAT(t testing.TB, name string) []byte {
	return fixtures.RawWAT(t, "runtime/testdata/guests/"+name+".wat")
}
