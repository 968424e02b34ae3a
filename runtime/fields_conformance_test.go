package runtime_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// projectionCase is one case of sdk/testdata/projection.json.
type projectionCase struct {
	Name       string              `json:"name"`
	Paths      []string            `json:"paths"`
	Records    []projectionRecord  `json:"records"`
	Want       []projectionOutcome `json:"want"`
	BatchError runtime.Class       `json:"batch_error"`
}

type projectionRecord struct {
	Value string            `json:"value"`
	Meta  map[string]string `json:"meta,omitempty"`
}

// projectionOutcome is one output message, or one failed record.
type projectionOutcome struct {
	Value         string            `json:"value,omitempty"`
	Port          string            `json:"port,omitempty"`
	Meta          map[string]string `json:"meta,omitempty"`
	ErrorClass    runtime.Class     `json:"error_class,omitempty"`
	ErrorContains string            `json:"error_contains,omitempty"`
}

func loadProjectionVectors(t *testing.T) []projectionCase {
	b, err := os.ReadFile(filepath.Join(fixtures.Root(), "sdk/testdata/projection.json"))
	require.NoError(t, err)
	var v struct{ Cases []projectionCase }
	require.NoError(t, json.Unmarshal(b, &v))
	require.NotEmpty(t, v.Cases)
	return v.Cases
}

// projectionGuests are the guests that must pass the projection vectors.
var projectionGuests = []struct {
	name  string
	build func(testing.TB) []byte
}{
	{"raw go", func(t testing.TB) []byte { return fixtures.Go(t, "runtime/testdata/guests/fieldsconformance") }},
	{"go sdk", func(t testing.TB) []byte { return fixtures.Go(t, "sdk/go/internal/fieldsconformance") }},
	{"c sdk", func(t testing.TB) []byte { return fixtures.C(t, "sdk/c/fieldsconformance") }},
	{"assemblyscript sdk", func(t testing.TB) []byte { return fixtures.AS(t, "sdk/assemblyscript/fieldsconformance") }},
	{"rust sdk", func(t testing.TB) []byte { return fixtures.Rust(t, "sdk/rust/fieldsconformance") }},
}

func TestProjectionConformance(t *testing.T) {
	cases := loadProjectionVectors(t)
	for _, g := range projectionGuests {
		t.Run(g.name, func(t *testing.T) {
			wasm := fixtures.Warm(t, g.build(t))
			e, _ := newEngine(t, runtime.EngineConfig{})
			m, err := e.Load(context.Background(), wasm)
			require.NoError(t, err)
			t.Cleanup(func() { _ = m.Close(context.Background()) })
			for _, c := range cases {
				t.Run(c.Name, func(t *testing.T) { runProjectionCase(t, m, c) })
			}
		})
	}
}

func runProjectionCase(t *testing.T, m *runtime.Module, c projectionCase) {
	config, err := json.Marshal(map[string][]string{"paths": c.Paths})
	require.NoError(t, err)
	runProjectionConfig(t, m, c, config)
}

// runProjectionConfig runs case c on a pool of m given config.
func runProjectionConfig(t *testing.T, m *runtime.Module, c projectionCase, config []byte) {
	p, err := m.NewPool(context.Background(), runtime.PoolConfig{Size: 1, Config: config})
	require.NoError(t, err)
	defer p.Close(context.Background())
	in := make([]runtime.Record, len(c.Records))
	for i, r := range c.Records {
		in[i] = runtime.Record{Value: []byte(r.Value), Meta: runtime.SortedMeta(r.Meta)}
	}
	out, err := p.Process(context.Background(), in)
	if c.BatchError != "" {
		require.Equal(t, c.BatchError, runtime.ClassOf(err), "%v", err)
		return
	}
	require.NoError(t, err)
	require.Len(t, out, len(in), "one outcome per record")
	got := flatten(in, out)
	require.Len(t, got, len(c.Want), "output messages: %+v", got)
	for i, w := range c.Want {
		g := got[i]
		if w.ErrorClass != "" {
			assert.Equal(t, w.ErrorClass, g.ErrorClass, "message %d: %+v", i, g)
			assert.Contains(t, g.ErrorContains, w.ErrorContains, "message %d", i)
			continue
		}
		assert.Equal(t, w, g, "message %d", i)
	}
}

// flatten renders outcomes as the vectors list them: one entry per output
// message, or per failed record (its class and whole message).
func flatten(in []runtime.Record, out []runtime.Outcome) []projectionOutcome {
	var got []projectionOutcome
	for i, v := range runtime.Verdicts(in, out) {
		if out[i].Err != nil {
			got = append(got, projectionOutcome{ErrorClass: runtime.ClassOf(out[i].Err), ErrorContains: out[i].Err.Error()})
			continue
		}
		for _, r := range v.Out {
			got = append(got, projectionOutcome{Value: r.Value, Port: r.Port, Meta: r.Meta})
		}
	}
	return got
}
