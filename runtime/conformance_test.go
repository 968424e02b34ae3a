package runtime_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/runtime/conformance"
)

// sdkGuests are the conformance guests of every SDK: adding a language is
// one more row. Each runs the vectors and the init-config test below.
var sdkGuests = []struct {
	lang  string
	build func(testing.TB) []byte
}{
	{"go", func(tb testing.TB) []byte { return fixtures.Warm(tb, fixtures.Go(tb, "sdk/go/internal/conformance")) }},
	{"c", func(tb testing.TB) []byte { return fixtures.Warm(tb, fixtures.C(tb, "sdk/c/conformance")) }},
	{"rust", func(tb testing.TB) []byte { return fixtures.Warm(tb, fixtures.Rust(tb, "sdk/rust/conformance")) }},
	{"as", func(tb testing.TB) []byte {
		return fixtures.Warm(tb, fixtures.AS(tb, "sdk/assemblyscript/conformance"))
	}},
}

func TestSDKConformance(t *testing.T) {
	for _, g := range sdkGuests {
		t.Run(g.lang, func(t *testing.T) {
			e, _ := newEngine(t, runtime.EngineConfig{})
			m, err := e.Load(context.Background(), g.build(t))
			require.NoError(t, err)
			res, err := conformance.Run(context.Background(), m, conformance.Vectors(), runtime.PoolConfig{})
			require.NoError(t, err)
			require.NotEmpty(t, res.Cases)
			for _, c := range res.Cases {
				assert.Empty(t, c.Diffs, "case %q", c.Name)
			}
		})
	}
}

func TestInitReceivesConfig(t *testing.T) {
	for _, g := range sdkGuests {
		t.Run(g.lang, func(t *testing.T) {
			wasm := g.build(t)
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

// A Rust panic cannot be caught on wasm32 (Rust aborts): the SDK's hook
// logs it through the host, the batch fails as a trap and the instance is
// replaced, so the next batch runs.
func TestRustPanicTrapsTheBatchAndIsLogged(t *testing.T) {
	e, logs := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, fixtures.Warm(t, fixtures.Rust(t, "sdk/rust/conformance")), runtime.PoolConfig{})
	_, err := p.Process(context.Background(), records("keep", "crash"))
	require.Equal(t, runtime.ClassTrap, runtime.ClassOf(err), "%v", err)
	assert.Contains(t, logs.String(), "weir: transform panicked: panicked at 'asked to crash'")

	out, err := p.Process(context.Background(), records("set:y"))
	require.NoError(t, err)
	assert.Equal(t, "y", string(out[0].Emits[0].Value))
}
