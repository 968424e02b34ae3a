package registry_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testregistry"
	"github.com/weirstream/weir/registry"
)

func fetchJSON[T any](t *testing.T, target oras.ReadOnlyTarget, d digest.Digest) T {
	t.Helper()
	desc, err := target.Resolve(context.Background(), d.String())
	require.NoError(t, err)
	raw, err := content.FetchAll(context.Background(), target, desc)
	require.NoError(t, err)
	var v T
	require.NoError(t, json.Unmarshal(raw, &v))
	return v
}

func trustedKey(t *testing.T, pub *ecdsaPub) root.TrustedMaterial {
	sv, err := signature.LoadECDSAVerifier(pub, crypto.SHA256)
	require.NoError(t, err)
	key := root.NewExpiringKey(sv, time.Time{}, time.Time{})
	return root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
}

// Anyone who can push to the repository can attach referrers. However
// many, a verification examines a bounded number of them (and is refused:
// junk never makes a signature).
func TestSignatureDiscoveryIsBounded(t *testing.T) {
	ctx := context.Background()
	srv := testregistry.Start(t)
	base := "oci://" + srv.Host + "/weir/stamp"
	_, pub := keyPair(t, t.TempDir(), "a")
	repo, _ := open(t, base, registry.Options{})
	desc, err := repo.Push(ctx, fixtures.Stamp(t, "v1", false), "v1")
	require.NoError(t, err)
	raw := rawTarget(t, base, "", false)
	const junk = 48
	for i := range junk {
		layer := pushBlob(t, raw, registry.MediaTypeBundle, fmt.Appendf(nil, `{"junk":%d}`, i))
		_, err := oras.PackManifest(ctx, raw, oras.PackManifestVersion1_1, registry.MediaTypeBundle, oras.PackManifestOptions{
			Layers: []ocispec.Descriptor{layer}, Subject: &desc,
		})
		require.NoError(t, err)
	}

	before := srv.ManifestRequests()
	err = repo.Verify(ctx, desc, []*ecdsaPub{pub})
	assert.ErrorIs(t, err, registry.ErrUnsigned)
	assert.ErrorContains(t, err, "not a Sigstore bundle")
	examined := srv.ManifestRequests() - before
	assert.Less(t, examined, int64(junk), "a referrer flood is read only up to the cap")
}

// A descriptor's size is checked before its content is read: a bundle
// layer claiming a gigabyte is refused without being fetched, and so is a
// signature manifest that claims another subject than the one it is
// listed for (a registry moving v1's signature onto v2's index).
func TestSignatureSizesAndSubjectsAreChecked(t *testing.T) {
	ctx := context.Background()
	srv := testregistry.Start(t)
	base := "oci://" + srv.Host + "/weir/stamp"
	key, pub := keyPair(t, t.TempDir(), "a")
	repo, _ := open(t, base, registry.Options{})
	d1, err := repo.Push(ctx, fixtures.Stamp(t, "v1", false), "v1")
	require.NoError(t, err)
	d2, err := repo.Push(ctx, fixtures.Stamp(t, "v2", false), "v2")
	require.NoError(t, err)
	raw := rawTarget(t, base, "", false)

	// A registry checks that layers exist; a layout directory does not.
	dir := t.TempDir()
	local, _ := open(t, "local://weir/stamp", registry.Options{LocalDir: dir})
	d3, err := local.Push(ctx, fixtures.Stamp(t, "v1", false), "v1")
	require.NoError(t, err)
	huge := ocispec.Descriptor{MediaType: registry.MediaTypeBundle, Digest: digest.FromString("nowhere"), Size: 1 << 30}
	_, err = oras.PackManifest(ctx, rawTarget(t, "local://weir/stamp", dir, false), oras.PackManifestVersion1_1, registry.MediaTypeBundle,
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{huge}, Subject: &d3})
	require.NoError(t, err)
	err = local.Verify(ctx, d3, []*ecdsaPub{pub})
	assert.ErrorIs(t, err, registry.ErrUnsigned)
	assert.ErrorContains(t, err, "bundle of 1073741824 bytes, over the 262144-byte cap")

	require.NoError(t, repo.Sign(ctx, d1, key))
	sig, err := repo.VerifySignature(ctx, d1, []*ecdsaPub{pub})
	require.NoError(t, err)
	moved := fetchJSON[ocispec.Manifest](t, raw, sig.Manifest)
	movedDesc, err := raw.Resolve(ctx, sig.Manifest.String())
	require.NoError(t, err)
	movedDesc.ArtifactType = moved.ArtifactType
	index := pushJSON(t, raw, ocispec.MediaTypeImageIndex, ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{movedDesc},
	})
	require.NoError(t, raw.Tag(ctx, index, "sha256-"+d2.Digest.Encoded()))
	err = repo.Verify(ctx, d2, []*ecdsaPub{pub})
	assert.ErrorIs(t, err, registry.ErrUnsigned)
	assert.ErrorContains(t, err, "its subject is "+d1.Digest.String()+", not "+d2.Digest.String())
}

// A bundle by a trusted key counts only as a key-based DSSE image
// signature: a `cosign sign-blob` message signature over the manifest,
// or a keyless bundle carrying a certificate, are refused with the reason.
func TestBundlesThatAreNotKeySignaturesAreRefused(t *testing.T) {
	ctx := context.Background()
	kp, pub := ephemeralKey(t)
	dir := t.TempDir()
	base := "local://weir/stamp"
	repo, _ := open(t, base, registry.Options{LocalDir: dir})
	raw := rawTarget(t, base, dir, false)

	d1, err := repo.Push(ctx, fixtures.Stamp(t, "v1", false), "v1")
	require.NoError(t, err)
	manifest, err := content.FetchAll(ctx, raw, d1)
	require.NoError(t, err)
	blob, err := sign.Bundle(&sign.PlainData{Data: manifest}, kp, sign.BundleOptions{})
	require.NoError(t, err)
	blobJSON, err := protojson.Marshal(blob)
	require.NoError(t, err)
	pushCosignReferrer(t, raw, d1, blobJSON, "")
	err = repo.Verify(ctx, d1, []*ecdsaPub{pub})
	assert.ErrorIs(t, err, registry.ErrUnsigned)
	assert.ErrorContains(t, err, "a message signature, not a DSSE envelope")

	d2, err := repo.Push(ctx, fixtures.Stamp(t, "v2", false), "v2")
	require.NoError(t, err)
	var keyless map[string]any
	require.NoError(t, json.Unmarshal(cosignBundle(t, d2.Digest, registry.PredicateCosignSign, kp), &keyless))
	keyless["verificationMaterial"] = map[string]any{"certificate": map[string]any{"rawBytes": selfSignedCert(t)}}
	pushCosignReferrer(t, raw, d2, mustJSON(t, keyless), registry.PredicateCosignSign)
	err = repo.Verify(ctx, d2, []*ecdsaPub{pub})
	assert.ErrorIs(t, err, registry.ErrUnsigned)
	assert.ErrorContains(t, err, "a keyless (certificate) signature: weir verifies key-based signatures only")
}

func selfSignedCert(t *testing.T) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return der
}

func mustJSON(t *testing.T, v any) []byte {
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return raw
}

// A hostile registry answering the referrers API with pages without end
// is read for a bounded number of pages.
func TestEndlessReferrerPagesAreCut(t *testing.T) {
	var pages atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/referrers/") {
			http.NotFound(w, r)
			return
		}
		n := pages.Add(1)
		w.Header().Set("Content-Type", ocispec.MediaTypeImageIndex)
		w.Header().Set("Link", fmt.Sprintf(`<%s?last=%d>; rel="next"`, r.URL.Path, n))
		_ = json.NewEncoder(w).Encode(ocispec.Index{
			Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex,
			Manifests: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString(fmt.Sprint(n)), Size: 100}},
		})
	}))
	defer srv.Close()
	repo, _ := open(t, "oci://"+strings.TrimPrefix(srv.URL, "http://")+"/weir/x", registry.Options{})
	_, pub := keyPair(t, t.TempDir(), "a")
	subject := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("subject"), Size: 100}
	err := repo.Verify(context.Background(), subject, []*ecdsaPub{pub})
	assert.ErrorIs(t, err, registry.ErrUnsigned)
	assert.LessOrEqual(t, pages.Load(), int32(4), "pages read")
}

// A registry failing while signatures are read is not an unsigned
// artifact: the error is not ErrUnsigned (a caller may try again), and the
// same artifact verifies once the registry serves again.
func TestVerifyWithTheRegistryFailingIsNotUnsigned(t *testing.T) {
	ctx := context.Background()
	srv := testregistry.Start(t)
	key, pub := keyPair(t, t.TempDir(), "a")
	repo, _ := open(t, "oci://"+srv.Host+"/weir/stamp", registry.Options{})
	desc, err := repo.Push(ctx, fixtures.Stamp(t, "v1", false), "v1")
	require.NoError(t, err)
	require.NoError(t, repo.Sign(ctx, desc, key))

	srv.SetBlobsDown(true)
	err = repo.Verify(ctx, desc, []*ecdsaPub{pub})
	require.Error(t, err)
	assert.NotErrorIs(t, err, registry.ErrUnsigned)
	assert.ErrorContains(t, err, "could not be read (try again)")
	srv.SetBlobsDown(false)
	assert.NoError(t, repo.Verify(ctx, desc, []*ecdsaPub{pub}))
}
