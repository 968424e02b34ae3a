package registry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
)

// Signatures are cosign's key-based ones (docs/registry.md), so `cosign
// verify --key` accepts what weir signs and weir accepts what cosign signs,
// in both of cosign's formats:
//
//   - a Sigstore bundle (v0.3) whose DSSE envelope holds an in-toto
//     statement naming the manifest digest, stored as an OCI 1.1 referrer
//     of the artifact: cosign v3's default;
//   - a "simple signing" payload naming the manifest digest, signed with
//     ECDSA P-256 over SHA-256, a layer of a manifest tagged
//     "sha256-<hex>.sig", OCI- or Docker-typed: cosign v2's default.
const (
	MediaTypeSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
	AnnotationSignature    = "dev.cosignproject.cosign/signature"
	MediaTypeBundle        = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// ArtifactTypeCosignSignature marks weir's "sha256-<hex>.sig" manifest
	// as a referrer, as cosign's OCI 1.1 experiment does.
	ArtifactTypeCosignSignature = "application/vnd.dev.cosign.artifact.sig.v1+json"
	// PredicateCosignSign is the in-toto predicate type of an image
	// signature: the only one weir takes as a signature.
	PredicateCosignSign = "https://sigstore.dev/cosign/sign/v1"
)

// Signature formats, as Signature.Format names them.
const (
	FormatBundle        = "sigstore-bundle"
	FormatSimpleSigning = "simple-signing"
)

// ErrUnsigned means no signature by an accepted key was found.
var ErrUnsigned = errors.New("no valid signature by an accepted key")

// Signature is a verified signature: who signed, in which format, where.
type Signature struct {
	KeyID    string        // KeyID of the trusted key it verifies under
	Format   string        // FormatBundle or FormatSimpleSigning
	Manifest digest.Digest // the manifest that holds it
}

// Sign adds a signature of the artifact desc by key to the repository in
// both formats: a bundle referrer, and a layer of the "sha256-<hex>.sig"
// manifest (which keeps the signatures already there and, having desc as
// its subject, travels with `oras copy -r`).
func (r *Repo) Sign(ctx context.Context, desc ocispec.Descriptor, key *ecdsa.PrivateKey) error {
	if key.Curve != elliptic.P256() {
		return fmt.Errorf("sign %s: the key is ECDSA %s; weir and cosign sign with P-256", desc.Digest, key.Curve.Params().Name)
	}
	t, err := r.open(ctx)
	if err != nil {
		return err
	}
	if err := signBundle(ctx, t, desc, key); err != nil {
		return fmt.Errorf("sign %s (bundle): %w", desc.Digest, err)
	}
	if err := r.signSimple(ctx, t, desc, key); err != nil {
		return fmt.Errorf("sign %s (%s): %w", desc.Digest, signatureTag(desc.Digest), err)
	}
	return nil
}

// Verify checks that the artifact desc carries a signature by one of keys
// whose payload names exactly desc's digest. It returns ErrUnsigned, with
// what was found, when none does.
func (r *Repo) Verify(ctx context.Context, desc ocispec.Descriptor, keys []*ecdsa.PublicKey) error {
	_, err := r.VerifySignature(ctx, desc, keys)
	return err
}

// VerifySignature is Verify, returning the first signature that verifies.
func (r *Repo) VerifySignature(ctx context.Context, desc ocispec.Descriptor, keys []*ecdsa.PublicKey) (Signature, error) {
	if len(keys) == 0 {
		return Signature{}, fmt.Errorf("%w: %s: no trusted keys given", ErrUnsigned, desc.Digest)
	}
	holders, problems, err := r.signatureHolders(ctx, desc)
	if err != nil {
		return Signature{}, err
	}
	if len(holders) == 0 {
		return Signature{}, fmt.Errorf("%w: %s has no signatures (no referrers, no tag %s)", ErrUnsigned, desc.Digest, signatureTag(desc.Digest))
	}
	t, err := r.open(ctx)
	if err != nil {
		return Signature{}, err
	}
	v, err := newBundleVerifiers(keys)
	if err != nil {
		return Signature{}, err
	}
	for _, h := range holders {
		sig, err := verifyHolder(ctx, t, h.desc, desc.Digest, keys, v)
		if err == nil {
			return sig, nil
		}
		problems = append(problems, fmt.Sprintf("%s: %v", h.where, err))
	}
	return Signature{}, fmt.Errorf("%w: %s: %s", ErrUnsigned, desc.Digest, strings.Join(problems, "; "))
}

// verifyHolder looks for a signature of want by one of keys in the
// manifest holder, whichever format its layers are in.
func verifyHolder(ctx context.Context, t content.Fetcher, holder ocispec.Descriptor, want digest.Digest, keys []*ecdsa.PublicKey, v bundleVerifiers) (Signature, error) {
	man, err := fetchManifest(ctx, t, holder, ocispec.MediaTypeImageManifest, mediaTypeDockerManifest)
	if err != nil {
		return Signature{}, err
	}
	if man.Subject != nil && man.Subject.Digest != want {
		return Signature{}, fmt.Errorf("its subject is %s, not %s", man.Subject.Digest, want)
	}
	layers := man.Layers
	if len(layers) > maxSignatureLayers {
		layers = layers[:maxSignatureLayers]
	}
	var problems []string
	for i, l := range layers {
		var keyID, format string
		switch l.MediaType {
		case MediaTypeBundle:
			format = FormatBundle
			keyID, err = verifyBundle(ctx, t, l, want, v)
		case MediaTypeSimpleSigning:
			format = FormatSimpleSigning
			keyID, err = verifySimple(ctx, t, l, want, keys)
		default:
			err = fmt.Errorf("media type %q is not a signature", l.MediaType)
		}
		if err == nil {
			return Signature{KeyID: keyID, Format: format, Manifest: holder.Digest}, nil
		}
		problems = append(problems, fmt.Sprintf("layer %d: %v", i, err))
	}
	if len(problems) == 0 {
		return Signature{}, errors.New("no layers")
	}
	return Signature{}, errors.New(strings.Join(problems, ", "))
}
