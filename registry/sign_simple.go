package registry

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
)

// cosign's simple-signing format, the default of cosign v2: the payload
// below as a layer of a manifest tagged "sha256-<hex>.sig", the base64
// ECDSA signature of its SHA-256 in a layer annotation. cosign writes the
// manifest OCI-typed, or Docker-typed with COSIGN_DOCKER_MEDIA_TYPES=1;
// both are read, the layers being the same.
const (
	cosignSignatureType     = "cosign container image signature"
	mediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
)

type simpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

func signatureTag(d digest.Digest) string {
	return d.Algorithm().String() + "-" + d.Encoded() + ".sig"
}

// signSimple adds a simple-signing layer to desc's ".sig" manifest,
// keeping the layers already there, and gives that manifest desc as its
// subject so referrer-following copies carry it.
func (r *Repo) signSimple(ctx context.Context, t store, desc ocispec.Descriptor, key *ecdsa.PrivateKey) error {
	layer, err := r.simpleLayer(ctx, t, desc, key)
	if err != nil {
		return err
	}
	layers, err := r.simpleLayers(ctx, t, desc.Digest)
	if err != nil && !IsNotFound(err) {
		return err
	}
	layers = append(layers, layer)
	// Like cosign, an image config whose layers are the payloads.
	img := ocispec.Image{RootFS: ocispec.RootFS{Type: "layers"}}
	for _, l := range layers {
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, l.Digest)
	}
	cfg, err := json.Marshal(img)
	if err != nil {
		return err
	}
	config := content.NewDescriptorFromBytes(ocispec.MediaTypeImageConfig, cfg)
	if err := pushIfAbsent(ctx, t, config, cfg); err != nil {
		return err
	}
	subject := subjectOf(desc)
	sigMan, err := oras.PackManifest(ctx, t, oras.PackManifestVersion1_1, ArtifactTypeCosignSignature, oras.PackManifestOptions{
		Layers: layers, ConfigDescriptor: &config, Subject: &subject,
	})
	if err != nil {
		return err
	}
	return t.Tag(ctx, sigMan, signatureTag(desc.Digest))
}

// simpleLayer signs a simple-signing payload naming desc and stores it.
func (r *Repo) simpleLayer(ctx context.Context, t store, desc ocispec.Descriptor, key *ecdsa.PrivateKey) (ocispec.Descriptor, error) {
	var p simpleSigning
	p.Critical.Identity.DockerReference = r.Ref.Host + "/" + r.Ref.Repo
	p.Critical.Image.DockerManifestDigest = desc.Digest.String()
	p.Critical.Type = cosignSignatureType
	payload, err := json.Marshal(p)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	sum := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	layer := content.NewDescriptorFromBytes(MediaTypeSimpleSigning, payload)
	layer.Annotations = map[string]string{AnnotationSignature: base64.StdEncoding.EncodeToString(sig)}
	return layer, pushIfAbsent(ctx, t, layer, payload)
}

// simpleLayers are the layers of the manifest tagged "sha256-<hex>.sig".
func (r *Repo) simpleLayers(ctx context.Context, t store, d digest.Digest) ([]ocispec.Descriptor, error) {
	desc, err := t.Resolve(ctx, signatureTag(d))
	if err != nil {
		return nil, err
	}
	man, err := fetchManifest(ctx, t, desc, ocispec.MediaTypeImageManifest, mediaTypeDockerManifest)
	if err != nil {
		return nil, err
	}
	return man.Layers, nil
}

// verifySimple checks one simple-signing layer: signed by one of keys,
// over a payload naming exactly want. It returns the key's KeyID.
func verifySimple(ctx context.Context, t content.Fetcher, l ocispec.Descriptor, want digest.Digest, keys []*ecdsa.PublicKey) (string, error) {
	if l.Size > maxPayloadBytes {
		return "", fmt.Errorf("payload of %d bytes, over the %d-byte cap", l.Size, maxPayloadBytes)
	}
	sig, err := base64.StdEncoding.DecodeString(l.Annotations[AnnotationSignature])
	if err != nil || len(sig) == 0 {
		return "", fmt.Errorf("annotation %s missing or not base64", AnnotationSignature)
	}
	payload, err := content.FetchAll(ctx, t, l)
	if err != nil {
		return "", unreadable(err)
	}
	return checkSimple(payload, sig, want, keys)
}

// checkSimple is verifySimple on the payload and the decoded signature.
func checkSimple(payload, sig []byte, want digest.Digest, keys []*ecdsa.PublicKey) (string, error) {
	sum := sha256.Sum256(payload)
	var signer *ecdsa.PublicKey
	for _, k := range keys {
		if ecdsa.VerifyASN1(k, sum[:], sig) {
			signer = k
			break
		}
	}
	if signer == nil {
		return "", errors.New("not signed by an accepted key")
	}
	var p simpleSigning
	if err := json.Unmarshal(payload, &p); err != nil {
		return "", fmt.Errorf("payload: %w", err)
	}
	if p.Critical.Type != cosignSignatureType {
		return "", fmt.Errorf("payload type %q, want %q", p.Critical.Type, cosignSignatureType)
	}
	if p.Critical.Image.DockerManifestDigest != want.String() {
		return "", fmt.Errorf("signs %s, not %s", p.Critical.Image.DockerManifestDigest, want)
	}
	return KeyID(signer), nil
}
