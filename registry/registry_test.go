package registry_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testregistry"
	"github.com/weirstream/weir/registry"
	"github.com/weirstream/weir/runtime"
)

func open(t *testing.T, ref string, opts registry.Options) (*registry.Repo, registry.Ref) {
	t.Helper()
	r, err := registry.ParseRef(ref)
	require.NoError(t, err)
	repo, err := registry.Open(context.Background(), r, opts)
	require.NoError(t, err)
	return repo, r
}

func TestParseRef(t *testing.T) {
	for in, want := range map[string]registry.Ref{
		"oci://127.0.0.1:5000/weir/mask:v2": {Host: "127.0.0.1:5000", Repo: "weir/mask", Tag: "v2"},
		"oci://reg.example/mask":            {Host: "reg.example", Repo: "mask", Tag: "latest"},
		"local://mask@sha256:" + sixtyFour:  {Repo: "mask", Digest: "sha256:" + sixtyFour},
	} {
		got, err := registry.ParseRef(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		assert.Equal(t, in == got.String() || got.Tag == "latest", true, "round trip of %s gives %s", in, got)
	}
	for in, msg := range map[string]string{
		"./mask.wasm":            "want oci://",
		"oci://host-only":        "want oci://HOST/REPO",
		"local://../escape:v1":   `bad path component ".."`,
		"local://Mask:v1":        `'M' is not allowed`,
		"local://mask@sha256:zz": "digest",
		"local://mask:":          "empty tag",
	} {
		_, err := registry.ParseRef(in)
		assert.ErrorContains(t, err, msg, in)
	}
}

const sixtyFour = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// Both stores behave the same: a local layout and a real registry server.
func stores(t *testing.T) map[string]string {
	srv := testregistry.Start(t)
	return map[string]string{"local": "local://weir/stamp", "remote": "oci://" + srv.Host + "/weir/stamp"}
}

func TestPushPullTagList(t *testing.T) {
	ctx := context.Background()
	v1, v2 := fixtures.Stamp(t, "v1", false), fixtures.Stamp(t, "v2", false)
	for name, base := range stores(t) {
		t.Run(name, func(t *testing.T) {
			repo, _ := open(t, base, registry.Options{LocalDir: t.TempDir()})
			d1, err := repo.Push(ctx, v1, "v1")
			require.NoError(t, err)
			d2, err := repo.Push(ctx, v2, "v2")
			require.NoError(t, err)
			assert.NotEqual(t, d1.Digest, d2.Digest)

			_, err = repo.Tag(ctx, "v1", "stable")
			require.NoError(t, err)
			art, err := repo.Pull(ctx, "stable")
			require.NoError(t, err)
			assert.Equal(t, d1.Digest, art.Manifest.Digest)
			assert.Equal(t, v1, art.Wasm)
			assert.Equal(t, runtime.Digest(v1), art.Layer.Digest.String(), "the layer is the module, byte for byte")

			art, err = repo.Pull(ctx, d2.Digest.String())
			require.NoError(t, err)
			assert.Equal(t, v2, art.Wasm)

			tags, err := repo.Tags(ctx)
			require.NoError(t, err)
			assert.ElementsMatch(t, []string{"v1", "v2", "stable"}, tags)

			_, err = repo.Pull(ctx, "nope")
			assert.True(t, registry.IsNotFound(err), "%v", err)
		})
	}
}

// What a plain OCI client sees: the CNCF Wasm layout and weir's annotations.
func TestArtifactFollowsTheCNCFWasmLayout(t *testing.T) {
	ctx := context.Background()
	srv := testregistry.Start(t)
	repo, _ := open(t, "oci://"+srv.Host+"/weir/stamp", registry.Options{})
	desc, err := repo.Push(ctx, fixtures.Stamp(t, "v1", false), "v1")
	require.NoError(t, err)

	req, err := http.NewRequest("GET", "http://"+srv.Host+"/v2/weir/stamp/manifests/v1", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", ocispec.MediaTypeImageManifest)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	assert.Equal(t, desc.Digest.String(), resp.Header.Get("Docker-Content-Digest"))

	var man ocispec.Manifest
	require.NoError(t, json.Unmarshal(raw, &man))
	assert.Equal(t, ocispec.MediaTypeImageManifest, man.MediaType)
	assert.Equal(t, registry.MediaTypeWasmConfig, man.Config.MediaType)
	require.Len(t, man.Layers, 1)
	assert.Equal(t, registry.MediaTypeWasm, man.Layers[0].MediaType)
	assert.Equal(t, "stamp@v1", man.Annotations[registry.AnnotationTransform])
	assert.Equal(t, "v1", man.Annotations[ocispec.AnnotationVersion])

	resp2, err := http.Get("http://" + srv.Host + "/v2/weir/stamp/blobs/" + man.Config.Digest.String())
	require.NoError(t, err)
	defer resp2.Body.Close()
	var cfg map[string]any
	require.NoError(t, json.NewDecoder(resp2.Body).Decode(&cfg))
	assert.Equal(t, "wasm", cfg["architecture"])
	assert.Equal(t, "wasip1", cfg["os"])
}

func TestPushRefusesWhatWouldNotLoad(t *testing.T) {
	repo, _ := open(t, "local://weir/bad", registry.Options{LocalDir: t.TempDir()})
	_, err := repo.Push(context.Background(), fixtures.RawWAT(t, "runtime/testdata/guests/echo.wat"), "v1")
	assert.ErrorContains(t, err, "weir.manifest")
}

func TestFetchVerifiesDigestAndSize(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	repo, _ := open(t, "local://weir/stamp", registry.Options{LocalDir: dir})
	wasm := fixtures.Stamp(t, "v1", false)
	desc, err := repo.Push(ctx, wasm, "v1")
	require.NoError(t, err)
	blob := filepath.Join(dir, "weir/stamp/blobs/sha256", runtime.Digest(wasm)[len("sha256:"):])

	tampered := append([]byte{}, wasm...)
	tampered[len(tampered)-1] ^= 0xff
	require.NoError(t, os.WriteFile(blob, tampered, 0o644))
	_, err = repo.Fetch(ctx, desc)
	assert.ErrorContains(t, err, "mismatch")

	require.NoError(t, os.WriteFile(blob, wasm[:len(wasm)/2], 0o644))
	_, err = repo.Fetch(ctx, desc)
	assert.ErrorContains(t, err, "wasm layer")

	_, err = open2(t, dir).Fetch(ctx, desc)
	assert.ErrorContains(t, err, "over the 100-byte cap")
}

func open2(t *testing.T, dir string) *registry.Repo {
	repo, _ := open(t, "local://weir/stamp", registry.Options{LocalDir: dir, MaxWasmBytes: 100})
	return repo
}

func TestSignAndVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key, pub := keyPair(t, dir, "a")
	_, other := keyPair(t, dir, "b")
	for name, base := range stores(t) {
		t.Run(name, func(t *testing.T) {
			repo, _ := open(t, base, registry.Options{LocalDir: t.TempDir()})
			d1, err := repo.Push(ctx, fixtures.Stamp(t, "v1", false), "v1")
			require.NoError(t, err)
			d2, err := repo.Push(ctx, fixtures.Stamp(t, "v2", false), "v2")
			require.NoError(t, err)

			assert.ErrorIs(t, repo.Verify(ctx, d1, []*ecdsaPub{pub}), registry.ErrUnsigned)
			require.NoError(t, repo.Sign(ctx, d1, key))
			assert.NoError(t, repo.Verify(ctx, d1, []*ecdsaPub{pub}))
			err = repo.Verify(ctx, d1, []*ecdsaPub{other})
			assert.ErrorIs(t, err, registry.ErrUnsigned)
			assert.ErrorContains(t, err, "not signed by an accepted key")
			assert.ErrorIs(t, repo.Verify(ctx, d2, []*ecdsaPub{pub}), registry.ErrUnsigned, "a signature covers one digest only")

			// A second signer adds to the signatures, keeping the first.
			otherKey, otherPub := keyPair(t, t.TempDir(), "c")
			require.NoError(t, repo.Sign(ctx, d1, otherKey))
			assert.NoError(t, repo.Verify(ctx, d1, []*ecdsaPub{pub}))
			assert.NoError(t, repo.Verify(ctx, d1, []*ecdsaPub{otherPub}))
		})
	}
}

// TestFailingRegistryIsRetriedTwice: a registry answering 503 gets the
// request and two retries, then the error (a swap attempt fails in about a
// second instead of oras-go's default ~7 s per request).
func TestFailingRegistryIsRetriedTwice(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	repo, _ := open(t, "oci://"+strings.TrimPrefix(srv.URL, "http://")+"/weir/x:live", registry.Options{})
	_, err := repo.Resolve(context.Background(), "live")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "503")
	assert.EqualValues(t, 3, hits.Load(), "one request and two retries")
}
