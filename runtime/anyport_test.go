package runtime_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// TestAnyPortIsBounded repacks the projection conformance guest with ports
// ["*"] (runtime.AnyPortName): it may then route to a name its input chose,
// but a name over runtime.MaxPortBytes fails the batch bad_output, and
// without "*" an undeclared name still does.
func TestAnyPortIsBounded(t *testing.T) {
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close(ctx) })
	wasm := fixtures.Go(t, "sdk/go/internal/fieldsconformance")
	pool := func(ports ...string) *runtime.Pool {
		packed, err := runtime.Pack(wasm, runtime.Manifest{ABI: 1, Name: "anyport", Version: "1.0.0", Ports: ports})
		require.NoError(t, err)
		mod, err := e.Load(ctx, fixtures.Warm(t, packed))
		require.NoError(t, err)
		p, err := mod.NewPool(ctx, runtime.PoolConfig{Size: 1, Config: []byte(`{"paths":["c"]}`)})
		require.NoError(t, err)
		t.Cleanup(func() { p.Close(ctx) })
		return p
	}
	route := func(p *runtime.Pool, port string) ([]runtime.Outcome, error) {
		return p.Process(ctx, []runtime.Record{{Value: []byte(`{"c":"route:` + port + `"}`)}})
	}
	anyPort := pool("a", runtime.AnyPortName)
	out, err := route(anyPort, "orders-review")
	require.NoError(t, err)
	require.Equal(t, "orders-review", out[0].Emits[0].Port)
	out, err = route(anyPort, "a")
	require.NoError(t, err)
	require.Equal(t, "a", out[0].Emits[0].Port)

	long := strings.Repeat("p", runtime.MaxPortBytes+1)
	_, err = route(anyPort, long)
	require.Equal(t, runtime.ClassBadOutput, runtime.ClassOf(err), "%v", err)
	require.ErrorContains(t, err, "1 to 64 bytes of UTF-8")

	_, err = route(pool("a"), "orders-review")
	require.Equal(t, runtime.ClassBadOutput, runtime.ClassOf(err))
	require.ErrorContains(t, err, "not declared in the manifest")
}
