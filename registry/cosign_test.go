package registry_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/weirstream/weir/registry"
)

// What cosign writes, built here the way cosign builds it (cosign's
// pkg/oci/remote/write.go and cmd/cosign/cli/sign/sign.go at v3.1), so
// weir's reader is tested against the format, not against weir's writer.

// referrersRegistry runs go-containerregistry's registry, which (unlike
// the distribution registry) answers the OCI 1.1 referrers API.
func referrersRegistry(t *testing.T) string {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.WithReferrersSupport(true), ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// rawTarget is the repository base names, opened with oras-go directly:
// a local layout under dir or a remote repository. withAPI says the
// registry has the referrers API, so no tag-schema index is written.
func rawTarget(t *testing.T, base, dir string, withAPI bool) oras.GraphTarget {
	t.Helper()
	ref, err := registry.ParseRef(base)
	require.NoError(t, err)
	if ref.Host == "" {
		s, err := oci.New(filepath.Join(dir, filepath.FromSlash(ref.Repo)))
		require.NoError(t, err)
		return s
	}
	r, err := remote.NewRepository(ref.Host + "/" + ref.Repo)
	require.NoError(t, err)
	r.PlainHTTP = true
	r.SkipReferrersGC = true // the distribution registry refuses deletes
	if withAPI {
		require.NoError(t, r.SetReferrersCapability(true))
	}
	return r
}

func pushBlob(t *testing.T, target oras.Target, mediaType string, data []byte) ocispec.Descriptor {
	t.Helper()
	desc := content.NewDescriptorFromBytes(mediaType, data)
	ok, err := target.Exists(context.Background(), desc)
	require.NoError(t, err)
	if !ok {
		require.NoError(t, target.Push(context.Background(), desc, bytes.NewReader(data)))
	}
	return desc
}

func pushJSON(t *testing.T, target oras.Target, mediaType string, v any) ocispec.Descriptor {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return pushBlob(t, target, mediaType, raw)
}

// cosignPayload is cosign's simple-signing payload for d.
func cosignPayload(dockerRef string, d digest.Digest) []byte {
	return []byte(`{"critical":{"identity":{"docker-reference":"` + dockerRef + `"},"image":{"docker-manifest-digest":"` +
		d.String() + `"},"type":"cosign container image signature"},"optional":null}`)
}

// pushDockerSig writes the "sha256-<hex>.sig" manifest cosign v2 writes
// with COSIGN_DOCKER_MEDIA_TYPES=1: Docker media types for the manifest and
// its config, the simple-signing layer as always.
func pushDockerSig(t *testing.T, target oras.Target, dockerRef string, subject ocispec.Descriptor, key *ecdsa.PrivateKey) {
	t.Helper()
	payload := cosignPayload(dockerRef, subject.Digest)
	sum := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	require.NoError(t, err)
	layer := pushBlob(t, target, registry.MediaTypeSimpleSigning, payload)
	layer.Annotations = map[string]string{registry.AnnotationSignature: base64.StdEncoding.EncodeToString(sig)}
	config := pushJSON(t, target, "application/vnd.docker.container.image.v1+json", map[string]any{
		"architecture": "", "os": "", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []digest.Digest{layer.Digest}},
	})
	man := pushJSON(t, target, "application/vnd.docker.distribution.manifest.v2+json", map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
		"config": config, "layers": []ocispec.Descriptor{layer},
	})
	require.NoError(t, target.Tag(context.Background(), man, "sha256-"+subject.Digest.Encoded()+".sig"))
}

// cosignBundle is the bundle `cosign sign --key` (v3, the new bundle
// format, no transparency log) makes for d: a DSSE envelope around an
// in-toto statement of predicate type predicateType.
func cosignBundle(t *testing.T, d digest.Digest, predicateType string, kp sign.Keypair) []byte {
	t.Helper()
	annotations, err := structpb.NewStruct(nil)
	require.NoError(t, err)
	statement := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		Subject:       []*intoto.ResourceDescriptor{{Digest: map[string]string{d.Algorithm().String(): d.Encoded()}, Annotations: annotations}},
		PredicateType: predicateType,
		Predicate:     &structpb.Struct{},
	}
	payload, err := protojson.Marshal(statement)
	require.NoError(t, err)
	b, err := sign.Bundle(&sign.DSSEData{Data: payload, PayloadType: "application/vnd.in-toto+json"}, kp, sign.BundleOptions{})
	require.NoError(t, err)
	raw, err := protojson.Marshal(b)
	require.NoError(t, err)
	return raw
}

// pushCosignReferrer attaches bundle to subject as cosign's WriteReferrer
// does: an OCI manifest with an empty config (artifactType on both), the
// bundle its one layer, subject the signed manifest.
func pushCosignReferrer(t *testing.T, target oras.Target, subject ocispec.Descriptor, bundle []byte, predicateType string) ocispec.Descriptor {
	t.Helper()
	config := pushBlob(t, target, ocispec.MediaTypeEmptyJSON, []byte("{}"))
	config.ArtifactType = registry.MediaTypeBundle
	layer := pushBlob(t, target, registry.MediaTypeBundle, bundle)
	return pushJSON(t, target, ocispec.MediaTypeImageManifest, ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, ArtifactType: registry.MediaTypeBundle,
		Config: config, Layers: []ocispec.Descriptor{layer},
		Subject: &ocispec.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
		Annotations: map[string]string{
			"org.opencontainers.image.created":  time.Now().UTC().Format(time.RFC3339),
			"dev.sigstore.bundle.content":       "dsse-envelope",
			"dev.sigstore.bundle.predicateType": predicateType,
		},
	})
}

// ephemeralKey is a signing key held the way sigstore-go holds one, and
// its public key for weir's trust list.
func ephemeralKey(t *testing.T) (sign.Keypair, *ecdsa.PublicKey) {
	kp, err := sign.NewEphemeralKeypair(nil)
	require.NoError(t, err)
	pub, ok := kp.GetPublicKey().(*ecdsa.PublicKey)
	require.True(t, ok)
	return kp, pub
}
