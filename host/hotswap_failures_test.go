package host_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/registry"
	"github.com/weirstream/weir/runtime"
)

// keyFiles writes a key pair and returns the private key and the public
// key file's path.
func keyFiles(t *testing.T) (*ecdsa.PrivateKey, string) {
	priv, pub, err := registry.GenerateKey()
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "k.key"), priv, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "k.pub"), pub, 0o644))
	key, err := registry.LoadPrivateKey(filepath.Join(dir, "k.key"))
	require.NoError(t, err)
	return key, filepath.Join(dir, "k.pub")
}

func (r *rig) sign(tag string, key *ecdsa.PrivateKey) {
	desc, err := r.repo.Resolve(context.Background(), tag)
	require.NoError(r.t, err)
	require.NoError(r.t, r.repo.Sign(context.Background(), desc, key))
}

// failedOn waits until the slot's last failure concerns id and mentions want.
func failedOn(t *testing.T, name, id, want string) host.Status {
	return waitFor(t, name, "a failure on "+id, func(st host.Status) bool {
		return st.LastFailure != nil && st.LastFailure.To == id && strings.Contains(st.LastFailure.Reason, want)
	})
}

// stillServes checks a batch still goes through version.
func stillServes(t *testing.T, s *stream, version string) {
	t.Helper()
	out := s.send(t, "a", "b")
	require.Len(t, out, 2)
	for _, m := range out {
		require.NoError(t, m.GetError())
		assert.Equal(t, version, stampOf(m))
	}
}

// Each bad artifact is refused at its step while the good version serves.
func TestBadArtifactsNeverGoLive(t *testing.T) {
	r := newRig(t)
	key, pub := keyFiles(t)
	other, _ := keyFiles(t)
	r.stamp("g01")
	r.sign("g01", key)
	s := r.serve("bad", "g01", ", trusted_keys: ["+pub+"]", "  max_memory_mib: 1")

	cases := []struct {
		name, want string
		artifact   func() string // pushes the bad artifact and returns its tag
	}{
		{"unsigned", "verify signature: no valid signature by an accepted key", func() string {
			r.stamp("g02")
			return "g02"
		}},
		{"signed by an untrusted key", "not signed by an accepted key", func() string {
			r.stamp("g03")
			r.sign("g03", other)
			return "g03"
		}},
		{"admission refuses it", "memory declares 36 initial pages, over the limit of 16", func() string {
			r.push(fixtures.Warm(t, fixtures.Go(t, "plugins/echo")), "echo")
			r.sign("echo", key)
			return "echo"
		}},
		{"its fixtures fail", `fixture "stamps": record 0`, func() string {
			fx := `{"cases":[{"name":"stamps","in":[{"value":"x"}],"want":[{"out":[{"value":"x","meta":{"stamp":"g01"}}]}]}]}`
			wasm, err := runtime.PackFixtures(fixtures.Stamp(t, "g04", false), []byte(fx))
			require.NoError(t, err)
			r.push(wasm, "g04")
			r.sign("g04", key)
			return "g04"
		}},
		{"its layer is truncated", "wasm layer", func() string {
			return r.pushLying(t, fixtures.Stamp(t, "g05", false), key)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tag := c.artifact()
			r.move(tag)
			failedOn(t, "bad", r.digests[tag], c.want)
			stillServes(t, s, "g01")
		})
	}
	st := statusOf(t, "bad")
	assert.Equal(t, r.digests["g01"], st.Serving.ID)
	for _, tag := range []string{"g02", "g03", "echo", "g04"} {
		assert.Contains(t, st.Rejected, r.digests[tag], "%s is never retried", tag)
	}
	assert.NotContains(t, st.Rejected, r.digests["g05-lying"], "a fetch failure may be transient: retried")
}

// pushLying pushes wasm's blob and config, then a manifest whose layer
// descriptor claims one byte less than the blob has, and signs it.
func (r *rig) pushLying(t *testing.T, wasm []byte, key *ecdsa.PrivateKey) string {
	ctx := context.Background()
	good := r.push(wasm, "g05")
	repo, err := remote.NewRepository(r.srv.Host + "/weir/stamp")
	require.NoError(t, err)
	repo.PlainHTTP = true
	desc, err := repo.Resolve(ctx, good)
	require.NoError(t, err)
	raw, err := content.FetchAll(ctx, repo, desc)
	require.NoError(t, err)
	var man ocispec.Manifest
	require.NoError(t, json.Unmarshal(raw, &man))
	man.Layers[0].Size--
	man.Annotations["lie"] = "size"
	raw, err = json.Marshal(man)
	require.NoError(t, err)
	lying := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, raw)
	require.NoError(t, repo.PushReference(ctx, lying, strings.NewReader(string(raw)), "g05-lying"))
	r.digests["g05-lying"] = lying.Digest.String()
	r.sign("g05-lying", key)
	return "g05-lying"
}

// A blob altered on disk in the local store fails its digest check.
func TestTamperedLocalBlobNeverGoesLive(t *testing.T) {
	dir := t.TempDir()
	ref, err := registry.ParseRef("local://weir/stamp")
	require.NoError(t, err)
	repo, err := registry.Open(context.Background(), ref, registry.Options{LocalDir: dir})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = repo.Push(ctx, fixtures.Stamp(t, "g01", false), "live")
	require.NoError(t, err)
	s := startStream(t, fmt.Sprintf(`
label: tampered
wasm:
  module: local://weir/stamp:live
  watch: true
  watch_interval: 10ms
  cache_dir: %s
  registry: { local_dir: %s, cache_dir: %s }
`, fixtures.CacheDir(t), dir, t.TempDir()), 1)
	waitFor(t, "tampered", "serving", func(st host.Status) bool { return st.Serving.Transform == "stamp@g01" })

	g02 := fixtures.Stamp(t, "g02", false)
	desc, err := repo.Push(ctx, g02, "")
	require.NoError(t, err)
	blob := filepath.Join(dir, "weir/stamp/blobs/sha256", digest.FromBytes(g02).Encoded())
	tampered := append([]byte{}, g02...)
	tampered[len(tampered)-1] ^= 1
	require.NoError(t, os.WriteFile(blob, tampered, 0o644))
	_, err = repo.Tag(ctx, desc.Digest.String(), "live")
	require.NoError(t, err)
	failedOn(t, "tampered", desc.Digest.String(), "mismatched digest")
	stillServes(t, s, "g01")
}

// The registry fails between resolving the tag and serving its content:
// the old version keeps serving, and the swap happens once it is back.
func TestRegistryDownMidSwap(t *testing.T) {
	r := newRig(t)
	r.stamp("g01")
	s := r.serve("midswap", "g01", "", "")

	r.stamp("g02")
	r.srv.SetBlobsDown(true)
	r.move("g02")
	failedOn(t, "midswap", r.digests["g02"], "fetch")
	stillServes(t, s, "g01")
	r.srv.SetBlobsDown(false)
	waitFor(t, "midswap", "serving g02 once the registry is back", serving(r.digests["g02"]))
	stillServes(t, s, "g02")
}

// A restart with the registry down serves the last known good version; a
// pipeline with nothing cached refuses to start and says why.
func TestRegistryDownAtStartUp(t *testing.T) {
	r := newRig(t)
	r.stamp("g01")
	r.stamp("g02")
	first := r.serve("lkg-first", "g01", "", "")
	r.move("g02")
	waitFor(t, "lkg-first", "g02 cached as last known good", func(st host.Status) bool { return st.LastGood == r.digests["g02"] })
	stillServes(t, first, "g02")

	r.srv.Close()
	s := startStream(t, r.proc("lkg-restart", "", ""), 1)
	st := waitFor(t, "lkg-restart", "serving the last known good", serving(r.digests["g02"]))
	stillServes(t, s, "g02")
	assert.Contains(t, st.Serving.Origin, r.digests["g02"])

	err := startErr(t, strings.Replace(r.proc("lkg-none", "", ""), r.cache, t.TempDir(), 1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "module oci://"+r.srv.Host+"/weir/stamp:live: resolve")
	assert.Contains(t, err.Error(), "no last-known-good copy of oci://"+r.srv.Host+"/weir/stamp:live")
}

// startErr runs a stream expected to fail at start and returns why.
func startErr(t *testing.T, processors string) error {
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: none"))
	require.NoError(t, b.AddProcessorYAML(processors))
	_, err := b.AddBatchProducerFunc()
	require.NoError(t, err)
	require.NoError(t, b.AddBatchConsumerFunc(func(context.Context, service.MessageBatch) error { return nil }))
	stream, err := b.Build()
	require.NoError(t, err)
	return stream.Run(fixtures.Patient(t))
}

// A swapped-in version that fails records is rolled back on its own, and
// not swapped to again while the tag still names it.
func TestAutomaticRollback(t *testing.T) {
	r := newRig(t)
	r.stamp("g01")
	s := r.serve("autorollback", "g01", "", "  rollback: { error_rate: 0.5, min_records: 40, window: 1m }")

	r.push(fixtures.Stamp(t, "broken", true), "broken")
	r.move("broken")
	waitFor(t, "autorollback", "serving broken", serving(r.digests["broken"]))
	failed := 0
	for statusOf(t, "autorollback").Serving.ID != r.digests["g01"] {
		for _, m := range s.send(t, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10") {
			if m.GetError() != nil {
				failed++
				v, _ := m.MetaGet(host.MetaError)
				assert.Contains(t, v, "broken fails", "a failed record is flagged, not lost")
			}
		}
		require.Less(t, failed, 10_000, "no rollback happened")
	}
	assert.GreaterOrEqual(t, failed, 40)
	st := statusOf(t, "autorollback")
	last := st.History[len(st.History)-1]
	assert.Equal(t, "rolled_back", last.Outcome)
	assert.Contains(t, last.Reason, "records failed within")
	assert.Contains(t, st.Rejected, r.digests["broken"])

	r.watched(3) // the tag still names broken
	stillServes(t, s, "g01")
	r.stamp("g02")
	r.move("g02")
	waitFor(t, "autorollback", "serving g02", serving(r.digests["g02"]))
}

// An operator rolls back, pins and unpins through the admin API.
func TestOperatorRollbackAndPin(t *testing.T) {
	r := newRig(t)
	for _, v := range []string{"g01", "g02", "g03"} {
		r.stamp(v)
	}
	s := r.serve("operator", "g01", "", "")
	r.move("g02")
	waitFor(t, "operator", "serving g02", serving(r.digests["g02"]))

	api, _ := adminServer(t, "s3cret")
	call := func(method, path, token string) (int, string) {
		return adminCall(t, http.DefaultClient, api.URL, method, path, token)
	}
	code, _ := call("GET", "/weir/transforms", "")
	assert.Equal(t, http.StatusOK, code, "reads are open to loopback")
	code, _ = call("POST", "/weir/transforms/operator/rollback", "")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = call("POST", "/weir/transforms/operator/rollback", "wrong")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = call("POST", "/weir/transforms/nobody/rollback", "s3cret")
	assert.Equal(t, http.StatusNotFound, code)

	code, _ = call("POST", "/weir/transforms/operator/rollback", "s3cret")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, r.digests["g01"], statusOf(t, "operator").Serving.ID)
	stillServes(t, s, "g01")

	r.move("g03")
	waitFor(t, "operator", "serving g03", serving(r.digests["g03"]))
	code, _ = call("POST", "/weir/transforms/operator/pin", "s3cret")
	require.Equal(t, http.StatusOK, code)
	// a pinned slot does not even resolve the tag: an unpinned one, on the
	// same watch interval, shows the tag moved and was looked at since
	startStream(t, r.proc("operator-observer", "", ""), 1)
	r.move("g01")
	waitFor(t, "operator-observer", "the observer serving g01", serving(r.digests["g01"]))
	r.watched(3)
	assert.Equal(t, r.digests["g03"], statusOf(t, "operator").Serving.ID, "pinned: the tag is not followed")

	code, _ = call("POST", "/weir/transforms/operator/pin?id="+r.digests["g02"], "s3cret")
	require.Equal(t, http.StatusOK, code, "an operator may pin a rolled-back digest")
	stillServes(t, s, "g02")
	code, _ = call("POST", "/weir/transforms/operator/unpin", "s3cret")
	require.Equal(t, http.StatusOK, code)
	waitFor(t, "operator", "following the tag again", serving(r.digests["g01"]))
	stillServes(t, s, "g01")
}

// replaceFile replaces path with b in one rename, as a deploy would, so a
// watcher never reads half a module.
func replaceFile(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, b, 0o644))
	require.NoError(t, os.Rename(tmp, path))
}

// A watched file swaps as soon as it is replaced; a broken file changes
// nothing.
func TestWatchedFileSwaps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stamp.wasm")
	replace := func(b []byte) { replaceFile(t, path, b) }
	replace(fixtures.Stamp(t, "g01", false))
	s := startStream(t, fmt.Sprintf("label: filewatch\nwasm:\n  module: %s\n  watch: true\n  cache_dir: %s\n", path, fixtures.CacheDir(t)), 1)
	waitFor(t, "filewatch", "serving g01", func(st host.Status) bool { return st.Serving.Transform == "stamp@g01" })
	stillServes(t, s, "g01")

	replace(fixtures.Stamp(t, "g02", false))
	waitFor(t, "filewatch", "serving g02", func(st host.Status) bool { return st.Serving.Transform == "stamp@g02" })
	stillServes(t, s, "g02")

	replace([]byte("not wasm"))
	failedOn(t, "filewatch", runtime.Digest([]byte("not wasm")), "malformed module")
	stillServes(t, s, "g02")
}

// A version whose declared types do not fit a schema-bound pipeline is
// refused with the contract's diff; the serving version stays.
func TestIncompatibleSchemaNeverGoesLive(t *testing.T) {
	r := newRig(t)
	anyType := func(version string) []byte {
		wasm, err := runtime.Pack(fixtures.Stamp(t, version, false), runtime.Manifest{ABI: runtime.ABIVersion, Name: "stamp", Version: version, Input: runtime.AnyType})
		require.NoError(t, err)
		return wasm
	}
	r.push(anyType("g01"), "g01")
	bound := fmt.Sprintf("  schema:\n    proto_files: [orders.proto]\n    import_paths: [%s]\n    input: shop.v1.Order", protoDir)
	s := r.serve("bound", "g01", "", bound)

	src, err := os.ReadFile(filepath.Join(protoDir, "orders.proto"))
	require.NoError(t, err)
	dir := t.TempDir()
	changed := strings.Replace(string(src), "double amount = 6;", "string amount = 6;", 1)
	require.NotEqual(t, string(src), changed)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "orders.proto"), []byte(changed), 0o644))
	typed, err := runtime.Pack(fixtures.Stamp(t, "g02", false), runtime.Manifest{ABI: runtime.ABIVersion, Name: "stamp", Version: "g02", Input: "shop.v1.Order"})
	require.NoError(t, err)
	r.push(withSchemaFrom(t, typed, dir, "orders.proto"), "g02")
	r.move("g02")
	st := failedOn(t, "bound", r.digests["g02"], "is incompatible with the pipeline's schema")
	assert.Contains(t, st.LastFailure.Reason, "amount(6): type changed: written double, read string")
	assert.Equal(t, string(runtime.ClassIncompatible), st.LastFailure.Class, "a classified refusal")
	assert.Contains(t, st.Rejected, r.digests["g02"])

	out := s.send(t, goodOrder)
	require.Len(t, out, 1)
	require.NoError(t, out[0].GetError())
	assert.Equal(t, "g01", stampOf(out[0]))
}
