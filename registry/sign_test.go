package registry_test

import (
	"context"
	"encoding/hex"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testregistry"
	"github.com/weirstream/weir/registry"
)

// signatureStores are the three ways signatures are found: a local
// layout's index, a registry without the referrers API (the distribution
// registry: the tag schema) and one with it.
func signatureStores(t *testing.T) map[string]string {
	srv := testregistry.Start(t)
	return map[string]string{
		"local":         "local://weir/stamp",
		"tag-schema":    "oci://" + srv.Host + "/weir/stamp",
		"referrers-api": "oci://" + referrersRegistry(t) + "/weir/stamp",
	}
}

// cosign v2 with COSIGN_DOCKER_MEDIA_TYPES=1 writes Docker-typed ".sig"
// manifests; cosign verifies them, and so must weir.
func TestVerifyReadsDockerTypedSig(t *testing.T) {
	ctx := context.Background()
	key, pub := keyPair(t, t.TempDir(), "cosign")
	weirKey, weirPub := keyPair(t, t.TempDir(), "weir")
	for name, base := range stores(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			repo, ref := open(t, base, registry.Options{LocalDir: dir})
			desc, err := repo.Push(ctx, fixtures.Stamp(t, "v1", false), "v1")
			require.NoError(t, err)
			pushDockerSig(t, rawTarget(t, base, dir, false), ref.Host+"/"+ref.Repo, desc, key)

			require.NoError(t, repo.Verify(ctx, desc, []*ecdsaPub{pub}))
			sig, err := repo.VerifySignature(ctx, desc, []*ecdsaPub{pub})
			require.NoError(t, err)
			assert.Equal(t, registry.FormatSimpleSigning, sig.Format)
			assert.Equal(t, registry.KeyID(pub), sig.KeyID)

			// weir's signature joins cosign's in the ".sig" manifest.
			require.NoError(t, repo.Sign(ctx, desc, weirKey))
			assert.NoError(t, repo.Verify(ctx, desc, []*ecdsaPub{pub}), "cosign's signature is kept")
			assert.NoError(t, repo.Verify(ctx, desc, []*ecdsaPub{weirPub}))
		})
	}
}

// cosign v3 signs as a Sigstore bundle attached as an OCI 1.1 referrer;
// weir finds it through the referrers API, the tag schema, or the layout.
func TestVerifyReadsCosignV3Bundles(t *testing.T) {
	ctx := context.Background()
	kp, pub := ephemeralKey(t)
	_, other := keyPair(t, t.TempDir(), "other")
	for name, base := range signatureStores(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			repo, _ := open(t, base, registry.Options{LocalDir: dir})
			d1, err := repo.Push(ctx, fixtures.Stamp(t, "v1", false), "v1")
			require.NoError(t, err)
			d2, err := repo.Push(ctx, fixtures.Stamp(t, "v2", false), "v2")
			require.NoError(t, err)
			raw := rawTarget(t, base, dir, name == "referrers-api")
			assert.ErrorIs(t, repo.Verify(ctx, d1, []*ecdsaPub{pub}), registry.ErrUnsigned)

			ref := pushCosignReferrer(t, raw, d1, cosignBundle(t, d1.Digest, registry.PredicateCosignSign, kp), registry.PredicateCosignSign)
			sig, err := repo.VerifySignature(ctx, d1, []*ecdsaPub{other, pub})
			require.NoError(t, err)
			assert.Equal(t, registry.Signature{KeyID: registry.KeyID(pub), Format: registry.FormatBundle, Manifest: ref.Digest}, sig)
			if name == "referrers-api" {
				_, err := raw.Resolve(ctx, "sha256-"+d1.Digest.Encoded())
				assert.True(t, registry.IsNotFound(err), "found through the API, not a tag-schema index: %v", err)
			}

			err = repo.Verify(ctx, d1, []*ecdsaPub{other})
			assert.ErrorIs(t, err, registry.ErrUnsigned)
			assert.ErrorContains(t, err, "not signed by an accepted key")
			assert.ErrorIs(t, repo.Verify(ctx, d2, []*ecdsaPub{pub}), registry.ErrUnsigned)

			// An attestation by the same key is not a signature.
			slsa := "https://slsa.dev/provenance/v1"
			pushCosignReferrer(t, raw, d2, cosignBundle(t, d2.Digest, slsa, kp), slsa)
			err = repo.Verify(ctx, d2, []*ecdsaPub{pub})
			assert.ErrorIs(t, err, registry.ErrUnsigned)
			assert.ErrorContains(t, err, `predicate type "https://slsa.dev/provenance/v1" is not an image signature`)

			// v1's signature attached to v2 does not sign v2.
			pushCosignReferrer(t, raw, d2, cosignBundle(t, d1.Digest, registry.PredicateCosignSign, kp), registry.PredicateCosignSign)
			err = repo.Verify(ctx, d2, []*ecdsaPub{pub})
			assert.ErrorIs(t, err, registry.ErrUnsigned)
			assert.ErrorContains(t, err, "signs ["+d1.Digest.String()+"], not "+d2.Digest.String())
		})
	}
}

// weir writes both formats: a bundle referrer that cosign v3's checks
// accept, and the ".sig" manifest, now with a subject.
func TestSignWritesABundleReferrerAndTheSigManifest(t *testing.T) {
	ctx := context.Background()
	key, pub := keyPair(t, t.TempDir(), "a")
	otherKey, otherPub := keyPair(t, t.TempDir(), "b")
	for name, base := range signatureStores(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			repo, _ := open(t, base, registry.Options{LocalDir: dir})
			desc, err := repo.Push(ctx, fixtures.Stamp(t, "v1", false), "v1")
			require.NoError(t, err)
			require.NoError(t, repo.Sign(ctx, desc, key))
			sig, err := repo.VerifySignature(ctx, desc, []*ecdsaPub{pub})
			require.NoError(t, err)
			assert.Equal(t, registry.FormatBundle, sig.Format)

			raw := rawTarget(t, base, dir, false)
			bundleMan := fetchJSON[ocispec.Manifest](t, raw, sig.Manifest)
			assert.Equal(t, registry.MediaTypeBundle, bundleMan.ArtifactType)
			require.NotNil(t, bundleMan.Subject)
			assert.Equal(t, desc.Digest, bundleMan.Subject.Digest)
			require.Len(t, bundleMan.Layers, 1)
			assertCosignAcceptsBundle(t, raw, bundleMan.Layers[0], desc, pub)

			sigDesc, err := raw.Resolve(ctx, "sha256-"+desc.Digest.Encoded()+".sig")
			require.NoError(t, err)
			sigMan := fetchJSON[ocispec.Manifest](t, raw, sigDesc.Digest)
			require.NotNil(t, sigMan.Subject, "the .sig manifest names its subject, so referrer-following copies carry it")
			assert.Equal(t, desc.Digest, sigMan.Subject.Digest)
			assert.Equal(t, registry.ArtifactTypeCosignSignature, sigMan.ArtifactType)
			assert.Equal(t, registry.MediaTypeSimpleSigning, sigMan.Layers[0].MediaType)

			// A second signer: a registry refusing deletes (the distribution
			// registry's default) must not fail the tag-schema update.
			require.NoError(t, repo.Sign(ctx, desc, otherKey))
			assert.NoError(t, repo.Verify(ctx, desc, []*ecdsaPub{pub}))
			assert.NoError(t, repo.Verify(ctx, desc, []*ecdsaPub{otherPub}))

			tags, err := repo.Tags(ctx)
			require.NoError(t, err)
			assert.Equal(t, []string{"v1"}, tags, "signature and referrer-index tags are not versions")
		})
	}
}

// assertCosignAcceptsBundle runs the checks `cosign verify --key
// --insecure-ignore-tlog` runs on a bundle (cosign's verificationOptions
// with a key and no transparency log, then its in-toto subject claim).
func assertCosignAcceptsBundle(t *testing.T, target content.Fetcher, layer, subject ocispec.Descriptor, pub *ecdsaPub) {
	t.Helper()
	raw, err := content.FetchAll(context.Background(), target, layer)
	require.NoError(t, err)
	var b bundle.Bundle
	require.NoError(t, b.UnmarshalJSON(raw))
	require.True(t, b.MinVersion("v0.3"), "cosign reads bundles v0.3 and later from registries")
	v, err := verify.NewVerifier(trustedKey(t, pub), verify.WithNoObserverTimestamps())
	require.NoError(t, err)
	sum, err := hex.DecodeString(subject.Digest.Encoded())
	require.NoError(t, err)
	res, err := v.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest("sha256", sum), verify.WithKey()))
	require.NoError(t, err)
	assert.Equal(t, registry.PredicateCosignSign, res.Statement.GetPredicateType())
	require.Len(t, res.Statement.GetSubject(), 1)
	assert.Equal(t, subject.Digest.Encoded(), res.Statement.GetSubject()[0].GetDigest()["sha256"])
}

// `oras copy -r` (oras-go's ExtendedCopy) follows referrers: both of
// weir's signature manifests go along, and verify where they land, which
// has no ".sig" tag.
func TestSignaturesTravelWithReferrerCopies(t *testing.T) {
	ctx := context.Background()
	srv := testregistry.Start(t)
	key, pub := keyPair(t, t.TempDir(), "a")
	src, _ := open(t, "oci://"+srv.Host+"/weir/stamp", registry.Options{})
	desc, err := src.Push(ctx, fixtures.Stamp(t, "v1", false), "v1")
	require.NoError(t, err)
	require.NoError(t, src.Sign(ctx, desc, key))
	srcRaw := rawTarget(t, "oci://"+srv.Host+"/weir/stamp", "", false)

	for name, base := range map[string]string{"referrers-api": "oci://" + referrersRegistry(t) + "/copy/stamp", "local": "local://copy/stamp"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			dstRaw := rawTarget(t, base, dir, false)
			_, err := oras.ExtendedCopy(ctx, srcRaw, desc.Digest.String(), dstRaw, desc.Digest.String(), oras.DefaultExtendedCopyOptions)
			require.NoError(t, err)
			_, err = dstRaw.Resolve(ctx, "sha256-"+desc.Digest.Encoded()+".sig")
			require.True(t, registry.IsNotFound(err), "tags do not travel: %v", err)

			dst, _ := open(t, base, registry.Options{LocalDir: dir})
			sig, err := dst.VerifySignature(ctx, desc, []*ecdsaPub{pub})
			require.NoError(t, err)
			assert.Equal(t, registry.FormatBundle, sig.Format)
		})
	}
}

// The last-known-good cache keeps both formats (CopyTo), and only
// signatures: an SBOM attached by someone else stays behind.
func TestCopyToKeepsBothSignatureFormats(t *testing.T) {
	ctx := context.Background()
	srv := testregistry.Start(t)
	key, pub := keyPair(t, t.TempDir(), "a")
	src, _ := open(t, "oci://"+srv.Host+"/weir/stamp", registry.Options{})
	desc, err := src.Push(ctx, fixtures.Stamp(t, "v1", false), "v1")
	require.NoError(t, err)
	require.NoError(t, src.Sign(ctx, desc, key))
	srcRaw := rawTarget(t, "oci://"+srv.Host+"/weir/stamp", "", false)
	sbomLayer := pushBlob(t, srcRaw, "application/spdx+json", []byte(`{"spdxVersion":"SPDX-2.3"}`))
	sbom, err := oras.PackManifest(ctx, srcRaw, oras.PackManifestVersion1_1, "application/spdx+json",
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{sbomLayer}, Subject: &desc})
	require.NoError(t, err)

	dir := t.TempDir()
	dst, _ := open(t, "local://cache/stamp", registry.Options{LocalDir: dir})
	require.NoError(t, src.CopyTo(ctx, desc, dst, "lkg"))
	sig, err := dst.VerifySignature(ctx, desc, []*ecdsaPub{pub})
	require.NoError(t, err)
	assert.Equal(t, registry.FormatBundle, sig.Format)
	raw := rawTarget(t, "local://cache/stamp", dir, false)
	_, err = raw.Resolve(ctx, "sha256-"+desc.Digest.Encoded()+".sig")
	assert.NoError(t, err, "the .sig tag is kept for cosign v2")
	_, err = raw.Resolve(ctx, sbom.Digest.String())
	assert.True(t, registry.IsNotFound(err), "referrers other than signatures stay behind: %v", err)
}
