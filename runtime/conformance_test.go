package runtime_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// The conformance vectors every SDK must pass in the real host.
type vectors struct {
	Cases []struct {
		Name string `json:"name"`
		In   []struct {
			Value string            `json:"value"`
			Meta  map[string]string `json:"meta"`
		} `json:"in"`
		Want       []wantOutcome `json:"want"`
		BatchError string        `json:"batch_error"`
	} `json:"cases"`
}

type wantOutcome struct {
	Out   []wantRecord `json:"out"`
	Error string       `json:"error"`
}

type wantRecord struct {
	Value string            `json:"value"`
	Port  string            `json:"port"`
	Meta  map[string]string `json:"meta"`
}

func loadVectors(t *testing.T) vectors {
	b, err := os.ReadFile(filepath.Join(fixtures.Root(), "sdk/testdata/conformance.json"))
	require.NoError(t, err)
	var v vectors
	require.NoError(t, json.Unmarshal(b, &v))
	require.NotEmpty(t, v.Cases)
	return v
}

func TestGoSDKConformance(t *testing.T) {
	runConformance(t, fixtures.Go(t, "sdk/go/internal/conformance"))
}

func TestCSDKConformance(t *testing.T) {
	runConformance(t, fixtures.C(t, "sdk/c/conformance"))
}

func runConformance(t *testing.T, wasm []byte) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, wasm, runtime.PoolConfig{})
	for _, c := range loadVectors(t).Cases {
		t.Run(c.Name, func(t *testing.T) {
			var in []runtime.Record
			for _, r := range c.In {
				in = append(in, runtime.Record{Value: []byte(r.Value), Meta: toMeta(r.Meta)})
			}
			out, err := p.Process(context.Background(), in)
			if c.BatchError != "" {
				require.Equal(t, runtime.Class(c.BatchError), runtime.ClassOf(err), "%v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.Want, toWant(in, out))
		})
	}
}

func TestInitReceivesConfig(t *testing.T) {
	for name, wasm := range map[string][]byte{
		"go": fixtures.Go(t, "sdk/go/internal/conformance"),
		"c":  fixtures.C(t, "sdk/c/conformance"),
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

func toMeta(m map[string]string) []runtime.Meta {
	var out []runtime.Meta
	for k, v := range m {
		out = append(out, runtime.Meta{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// toWant applies each emit's metadata ops to its input's metadata.
func toWant(in []runtime.Record, out []runtime.Outcome) []wantOutcome {
	got := []wantOutcome{}
	for i, o := range out {
		w := wantOutcome{Out: []wantRecord{}}
		if o.Err != nil {
			w = wantOutcome{Error: o.Err.(*runtime.Error).Msg}
		}
		for _, e := range o.Emits {
			w.Out = append(w.Out, wantRecord{Value: string(e.Value), Port: e.Port, Meta: applyMeta(in[i].Meta, e.MetaOps)})
		}
		got = append(got, w)
	}
	return got
}

func applyMeta(meta []runtime.Meta, ops []runtime.MetaOp) map[string]string {
	m := map[string]string{}
	for _, kv := range meta {
		m[kv.Key] = kv.Value
	}
	for _, op := range ops {
		if op.Delete {
			delete(m, op.Key)
		} else {
			m[op.Key] = op.Value
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}
