package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

func loadVectors(t *testing.T) runtime.Fixtures {
	b, err := os.ReadFile(filepath.Join(fixtures.Root(), "sdk/testdata/conformance.json"))
	require.NoError(t, err)
	v, err := runtime.ParseFixtures(b)
	require.NoError(t, err)
	require.NotEmpty(t, v.Cases)
	return v
}

func TestGoSDKConformance(t *testing.T) {
	runConformance(t, fixtures.Go(t, "sdk/go/internal/conformance"))
}

func TestCSDKConformance(t *testing.T) {
	runConformance(t, fixtures.C(t, "sdk/c/conformance"))
}

func TestAssemblyScriptSDKConformance(t *testing.T) {
	runConformance(t, fixtures.AS(t, "sdk/assemblyscript/conformance"))
}

func runConformance(t *testing.T, wasm []byte) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, wasm, runtime.PoolConfig{})
	for _, c := range loadVectors(t).Cases {
		t.Run(c.Name, func(t *testing.T) {
			var in []runtime.Record
			for _, r := range c.In {
				in = append(in, runtime.Record{Value: []byte(r.Value), Meta: runtime.SortedMeta(r.Meta)})
			}
			out, err := p.Process(context.Background(), in)
			if c.BatchError != "" {
				require.Equal(t, c.BatchError, runtime.ClassOf(err), "%v", err)
				return
			}
			require.NoError(t, err)
			want := c.Want
			if want == nil {
				want = []runtime.FixtureOutcome{}
			}
			assert.Equal(t, want, runtime.Verdicts(in, out))
		})
	}
}

func TestInitReceivesConfig(t *testing.T) {
	for name, wasm := range map[string][]byte{
		"go": fixtures.Go(t, "sdk/go/internal/conformance"),
		"c":  fixtures.C(t, "sdk/c/conformance"),
		"as": fixtures.AS(t, "sdk/assemblyscript/conformance"),
	} {
		t.Run(name, func(t *testing.T) {
			e, _ := newEngine(t, runtime.EngineConfig{})
			p := newPool(t, e, wasm, runtime.PoolConfig{Config: []byte("pre-")})
			out, err := p.Process(context.Background(), records("set:x"))
			require.NoError(t, err)
			assert.Equal(t, "pre-x", string(out[0].Emits[0].Value))

			m, err := e.Load(context.Background(), wasm)
			require.NoError(t, err)
			_, err = m.NewPool(context.Background(), runtime.PoolConfig{Config: []byte("fail")})
			require.ErrorIs(t, err, runtime.ErrGuest)
			assert.Contains(t, err.Error(), `transform "conformance@1.0.0": guest_error: init: config says fail`)
		})
	}
}
