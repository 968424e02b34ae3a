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

// conformanceWith is the Go conformance guest with its manifest's
// metadata set to metadata.
func conformanceWith(t *testing.T, metadata string) []byte {
	b, err := os.ReadFile(filepath.Join(fixtures.Root(), "sdk/go/internal/conformance/manifest.json"))
	require.NoError(t, err)
	var man runtime.Manifest
	require.NoError(t, json.Unmarshal(b, &man))
	man.Metadata = metadata
	wasm, err := runtime.Pack(fixtures.Go(t, "sdk/go/internal/conformance"), man)
	require.NoError(t, err)
	return fixtures.Warm(t, wasm)
}

// A guest whose manifest says "metadata": "none" is handed no metadata,
// even when the caller passes some, and can still set keys; a guest that
// reads metadata (declared, or by default) gets every entry. The
// caller's records are left as they were.
func TestGuestDeclaringNoMetadataGetsNone(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	meta := []runtime.Meta{{Key: "k", Value: "v"}, {Key: "h", Value: "w"}}
	for metadata, want := range map[string]string{"": "true:v", runtime.MetadataRead: "true:v", runtime.MetadataNone: "false:"} {
		p := newPool(t, e, conformanceWith(t, metadata), runtime.PoolConfig{})
		in := []runtime.Record{
			{Value: []byte("getmeta:k"), Meta: meta},
			{Value: []byte("meta:x=y"), Meta: meta},
			{Value: []byte("keep"), Meta: meta},
		}
		out, err := p.Process(context.Background(), in)
		require.NoError(t, err, metadata)
		require.Len(t, out, 3)
		assert.Equal(t, want, string(out[0].Emits[0].Value), "metadata %q", metadata)
		assert.Equal(t, []runtime.MetaOp{{Key: "x", Value: "y"}}, out[1].Emits[0].MetaOps, "metadata %q", metadata)
		assert.True(t, out[2].Emits[0].Unchanged, "metadata %q", metadata)
		for _, r := range in {
			assert.Equal(t, meta, r.Meta, "metadata %q: the caller's records changed", metadata)
		}
	}
}

// A manifest's metadata is "read" or "none": anything else is refused by
// Pack, naming both.
func TestUnknownMetadataModeIsRefused(t *testing.T) {
	man := runtime.Manifest{ABI: runtime.ABIVersion, Name: "echo", Version: "1", Metadata: "sometimes"}
	_, err := runtime.Pack(rawWAT(t, "echo"), man)
	require.ErrorContains(t, err, `declares metadata "sometimes": want "read"`)
	require.ErrorContains(t, err, `or "none"`)
}
