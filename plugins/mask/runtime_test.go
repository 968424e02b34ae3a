//go:build !wasip1

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// TestProjectionMatchesFullValueInTheRuntime builds the plugin, loads it
// twice through the runtime, projecting and not ("projection": false), and
// requires the same outcome for every record of the orders, the leak cases
// and the escape cases, in batches of 64: the same values, or both failed
// — where the projected record is not JSON, at the host (bad_input).
func TestProjectionMatchesFullValueInTheRuntime(t *testing.T) {
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close(ctx) })
	mod, err := e.Load(ctx, fixtures.Warm(t, fixtures.Go(t, "plugins/mask")))
	require.NoError(t, err)
	var records []runtime.Record
	for _, doc := range orderLines(t) {
		records = append(records, runtime.Record{Value: doc})
	}
	for _, c := range append(append(leakCases, escapedCases...), "not json") {
		records = append(records, runtime.Record{Value: []byte(c), Meta: []runtime.Meta{{Key: "k", Value: "v"}}})
	}
	for _, cfg := range diffConfigs {
		on := newPool(t, mod, []byte(cfg))
		off := newPool(t, mod, withoutProjection(t, cfg))
		masked := 0
		for i := 0; i < len(records); i += 64 {
			batch := records[i:min(i+64, len(records))]
			want, err := off.Process(ctx, batch)
			require.NoError(t, err)
			got, err := on.Process(ctx, batch)
			require.NoError(t, err)
			for j := range batch {
				sameOutcome(t, batch[j].Value, want[j], got[j])
				if got[j].Err == nil && !bytes.Equal(got[j].Emits[0].Value, batch[j].Value) {
					masked++
				}
			}
		}
		require.Greater(t, masked, 1000, "the orders were not masked")
	}
}

func newPool(t *testing.T, mod *runtime.Module, config []byte) *runtime.Pool {
	p, err := mod.NewPool(context.Background(), runtime.PoolConfig{Config: config})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func withoutProjection(t *testing.T, cfg string) []byte {
	var c map[string]any
	require.NoError(t, json.Unmarshal([]byte(cfg), &c))
	c["projection"] = false
	b, err := json.Marshal(c)
	require.NoError(t, err)
	return b
}

// sameOutcome compares a record's outcome masked whole (want) and
// projected (got).
func sameOutcome(t *testing.T, in []byte, want, got runtime.Outcome) {
	t.Helper()
	switch {
	case want.Err != nil && got.Err != nil:
		if runtime.ClassOf(got.Err) == "bad_input" {
			require.Contains(t, want.Err.Error(), "payload is not JSON", "input %q", in)
			return
		}
		require.Equal(t, want.Err.Error(), got.Err.Error(), "input %q", in)
	case want.Err != nil || got.Err != nil:
		t.Fatalf("input %q: masked whole %v, projected %v", in, want.Err, got.Err)
	default:
		require.Len(t, got.Emits, len(want.Emits), "input %q", in)
		for k := range want.Emits {
			w, g := want.Emits[k], got.Emits[k]
			if !bytes.Equal(w.Value, g.Value) || w.Port != g.Port || len(w.MetaOps) != len(g.MetaOps) {
				t.Fatalf("input %q:\nmasked whole %q port %q\nprojected    %q port %q", in, w.Value, w.Port, g.Value, g.Port)
			}
		}
	}
}
