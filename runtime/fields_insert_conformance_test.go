package runtime_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// insertionCase is one case of sdk/testdata/insertion.json: a projection
// case with insertion paths and the command their absent fields obey.
type insertionCase struct {
	projectionCase
	Insert []int  `json:"insert"`
	Absent string `json:"absent"`
}

// TestInsertionConformance runs the insertion vectors against the SDKs
// that serve insertion paths (Go and C).
func TestInsertionConformance(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixtures.Root(), "sdk/testdata/insertion.json"))
	require.NoError(t, err)
	var v struct{ Cases []insertionCase }
	require.NoError(t, json.Unmarshal(b, &v))
	require.NotEmpty(t, v.Cases)
	for _, g := range projectionGuests {
		if g.name != "go sdk" && g.name != "c sdk" {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			e, _ := newEngine(t, runtime.EngineConfig{})
			m, err := e.Load(context.Background(), g.build(t))
			require.NoError(t, err)
			t.Cleanup(func() { _ = m.Close(context.Background()) })
			for _, c := range v.Cases {
				t.Run(c.Name, func(t *testing.T) {
					config, err := json.Marshal(map[string]any{"paths": c.Paths, "insert": c.Insert, "absent": c.Absent})
					require.NoError(t, err)
					runProjectionConfig(t, m, c.projectionCase, config)
				})
			}
		})
	}
}
