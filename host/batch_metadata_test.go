package host

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// withMetadata is the guest built from pkg with its manifest's metadata
// set to metadata.
func withMetadata(t *testing.T, pkg, metadata string) []byte {
	b, err := os.ReadFile(filepath.Join(fixtures.Root(), pkg, "manifest.json"))
	require.NoError(t, err)
	var man runtime.Manifest
	require.NoError(t, json.Unmarshal(b, &man))
	man.Metadata = metadata
	wasm, err := runtime.Pack(fixtures.Go(t, pkg), man)
	require.NoError(t, err)
	return fixtures.Warm(t, wasm)
}

// processorOf is a wasm processor of wasm on one instance, with config
// (YAML, "" for none) as the guest's config.
func processorOf(t *testing.T, wasm []byte, config string) *wasmProcessor {
	path := filepath.Join(t.TempDir(), "m.wasm")
	require.NoError(t, os.WriteFile(path, wasm, 0o644))
	yaml := fmt.Sprintf("module: %s\npool_size: 1\ncache_dir: %s\n%s", path, fixtures.CacheDir(t), config)
	conf, err := wasmProcessorSpec().ParseYAML(yaml, nil)
	require.NoError(t, err)
	p, err := newWasmProcessor(conf, service.MockResources())
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

// A guest that declares "metadata": "none" reads no metadata: the Go
// conformance guest's getmeta finds none, where the same guest reading
// metadata finds it. Every other verdict (keep, rewrite, drop, error,
// route, fan-out, set and delete a key) gives the same messages, the
// input's metadata kept, either way.
func TestGuestDeclaringNoMetadataReadsNone(t *testing.T) {
	reads := processorOf(t, withMetadata(t, "sdk/go/internal/conformance", ""), "")
	none := processorOf(t, withMetadata(t, "sdk/go/internal/conformance", runtime.MetadataNone), "")
	ctx := context.Background()

	got, err := none.ProcessBatch(ctx, messages([]string{"getmeta:h0"}, 2))
	require.NoError(t, err)
	require.Equal(t, []string{`"false:" map[h0:v0 h1:v0] err=<nil>`}, describe(t, got))
	got, err = reads.ProcessBatch(ctx, messages([]string{"getmeta:h0"}, 2))
	require.NoError(t, err)
	require.Equal(t, []string{`"true:v0" map[h0:v0 h1:v0] err=<nil>`}, describe(t, got))

	commands := []string{"keep", "set:x", "drop", "error:bad", "route:a,b", "fanout:3", "meta:k=v", "delmeta:h0", "keep"}
	want, err := reads.ProcessBatch(ctx, messages(commands, 3))
	require.NoError(t, err)
	got, err = none.ProcessBatch(ctx, messages(commands, 3))
	require.NoError(t, err)
	require.Equal(t, undigested(describe(t, want)), undigested(describe(t, got)))
}

// undigested is described messages without the module's digest, which
// differs between two manifests of one guest.
func undigested(described []string) []string {
	digest := regexp.MustCompile(`weir_digest:sha256:[0-9a-f]+`)
	out := make([]string, len(described))
	for i, d := range described {
		out[i] = digest.ReplaceAllString(d, "weir_digest:…")
	}
	return out
}

// The shipped mask declares no metadata: on orders carrying metadata it
// gives the messages the same mask reading metadata gives, projected
// and not.
func TestMaskWithoutMetadataGivesTheSameOutput(t *testing.T) {
	read, none := withMetadata(t, "plugins/mask", ""), withMetadata(t, "plugins/mask", runtime.MetadataNone)
	orders := orderBatches(t, 16)[:4]
	for _, projection := range []string{"true", "false"} {
		config := "config:\n  hmac_key: k\n  projection: " + projection + "\n  fields:\n    - { path: customer.email, action: email }\n    - { path: customer.phone, action: last }\n    - { path: customer.card, action: hmac }\n"
		a, b := processorOf(t, read, config), processorOf(t, none, config)
		for _, batch := range orders {
			in := func() service.MessageBatch {
				c := make(service.MessageBatch, len(batch))
				for i, m := range batch {
					c[i] = m.Copy()
					c[i].MetaSetMut("kafka_key", fmt.Sprint("k", i))
					c[i].MetaSetMut("kafka_topic", "orders")
				}
				return c
			}
			want, err := a.ProcessBatch(context.Background(), in())
			require.NoError(t, err)
			got, err := b.ProcessBatch(context.Background(), in())
			require.NoError(t, err)
			require.Equal(t, describe(t, want), describe(t, got), "projection %s", projection)
		}
	}
}

// The metadata a fan-out copies is capped whether the guest reads it or
// not: past max_metadata_per_batch the batch fails bad_output, flagged,
// for the guest that reads none (the host counts it) as for the one that
// reads it (the runtime does); under the cap both fan out.
func TestFanoutMetadataIsCappedWithoutReading(t *testing.T) {
	reads := processorOf(t, withMetadata(t, "sdk/go/internal/conformance", ""), "max_metadata_per_batch: 10\n")
	none := processorOf(t, withMetadata(t, "sdk/go/internal/conformance", runtime.MetadataNone), "max_metadata_per_batch: 10\n")
	ctx := context.Background()
	for name, p := range map[string]*wasmProcessor{"reads": reads, "none": none} {
		out, err := p.ProcessBatch(ctx, messages([]string{"fanout:3"}, 8))
		require.NoError(t, err, name)
		require.Len(t, out[0], 1, name)
		class, _ := out[0][0].MetaGet(MetaErrClass)
		require.Equal(t, string(runtime.ClassBadOutput), class, name)
		require.ErrorContains(t, out[0][0].GetError(), "raise max_metadata_per_batch", name)

		out, err = p.ProcessBatch(ctx, messages([]string{"fanout:2"}, 4))
		require.NoError(t, err, name)
		require.Len(t, out[0], 2, name)
		require.NoError(t, out[0][1].GetError(), name)
	}
}
