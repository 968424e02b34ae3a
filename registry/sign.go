package registry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"slices"
	"sort"
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
	return r.SignAs(ctx, desc, key, FormatBundle, FormatSimpleSigning)
}

// SignAs is Sign, writing only the formats named (FormatBundle,
// FormatSimpleSigning).
func (r *Repo) SignAs(ctx context.Context, desc ocispec.Descriptor, key *ecdsa.PrivateKey, formats ...string) error {
	if key.Curve != elliptic.P256() {
		return fmt.Errorf("sign %s: the key is ECDSA %s; weir and cosign sign with P-256", desc.Digest, key.Curve.Params().Name)
	}
	for _, f := range formats {
		if f != FormatBundle && f != FormatSimpleSigning {
			return fmt.Errorf("sign %s: no signature format %q (want %q or %q)", desc.Digest, f, FormatBundle, FormatSimpleSigning)
		}
	}
	t, err := r.open(ctx)
	if err != nil {
		return err
	}
	if slices.Contains(formats, FormatBundle) {
		if err := signBundle(ctx, t, desc, key); err != nil {
			return fmt.Errorf("sign %s (bundle): %w", desc.Digest, err)
		}
	}
	if slices.Contains(formats, FormatSimpleSigning) {
		if err := r.signSimple(ctx, t, desc, key); err != nil {
			return fmt.Errorf("sign %s (%s): %w", desc.Digest, signatureTag(desc.Digest), err)
		}
	}
	return nil
}

// Verify checks that the artifact desc carries a signature by one of keys
// whose payload names exactly desc's digest. It returns ErrUnsigned, with
// what was found, when none does; another error when signatures could not
// be read (the registry failing), so that the caller may try again.
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
	// Unread signatures (a listing or a fetch that failed) make the answer
	// "try again", not ErrUnsigned.
	unread := len(problems) > 0
	layers, more, unreadLayers := signatureLayers(ctx, t, holders, desc.Digest)
	problems, unread = append(problems, more...), unread || unreadLayers
	for _, l := range layers {
		sig, err := verifyLayer(ctx, t, l, desc.Digest, keys, v)
		if err == nil {
			return sig, nil
		}
		unread = unread || errors.Is(err, errUnreadable)
		problems = append(problems, fmt.Sprintf("%s layer %d: %v", l.where, l.index, err))
	}
	if unread {
		return Signature{}, fmt.Errorf("signatures of %s: none read verifies and some could not be read (try again): %s", desc.Digest, summarize(problems))
	}
	return Signature{}, fmt.Errorf("%w: %s: %s", ErrUnsigned, desc.Digest, summarize(problems))
}

// summarize joins the first problems found, counting the rest, so that a
// flood of junk referrers does not make an error message without end.
func summarize(problems []string) string {
	const shown = 8
	if len(problems) <= shown {
		return strings.Join(problems, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(problems[:shown], "; "), len(problems)-shown)
}

// signatureLayer is one layer of a manifest holding signatures.
type signatureLayer struct {
	ocispec.Descriptor
	holder digest.Digest
	where  string
	index  int
}

// signatureLayers reads the holders' manifests and returns their signature
// layers, bundles first (so a verified signature is reported in the
// newer format when it exists in both), what was refused on the way, and
// whether a manifest could not be read.
func signatureLayers(ctx context.Context, t content.Fetcher, holders []signatureHolder, want digest.Digest) ([]signatureLayer, []string, bool) {
	var out []signatureLayer
	var problems []string
	unread := false
	for _, h := range holders {
		man, err := fetchManifest(ctx, t, h.desc, ocispec.MediaTypeImageManifest, mediaTypeDockerManifest)
		if err == nil && man.Subject != nil && man.Subject.Digest != want {
			err = fmt.Errorf("its subject is %s, not %s", man.Subject.Digest, want)
		}
		if err != nil {
			unread = unread || errors.Is(err, errUnreadable)
			problems = append(problems, fmt.Sprintf("%s: %v", h.where, err))
			continue
		}
		for i, l := range man.Layers[:min(len(man.Layers), maxSignatureLayers)] {
			if l.MediaType != MediaTypeBundle && l.MediaType != MediaTypeSimpleSigning {
				problems = append(problems, fmt.Sprintf("%s layer %d: media type %q is not a signature", h.where, i, l.MediaType))
				continue
			}
			out = append(out, signatureLayer{Descriptor: l, holder: h.desc.Digest, where: h.where, index: i})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].MediaType == MediaTypeBundle && out[j].MediaType != MediaTypeBundle
	})
	return out, problems, unread
}

// verifyLayer checks one signature layer, whichever format it is in.
func verifyLayer(ctx context.Context, t content.Fetcher, l signatureLayer, want digest.Digest, keys []*ecdsa.PublicKey, v bundleVerifiers) (Signature, error) {
	sig := Signature{Format: FormatSimpleSigning, Manifest: l.holder}
	var err error
	if l.MediaType == MediaTypeBundle {
		sig.Format = FormatBundle
		sig.KeyID, err = verifyBundle(ctx, t, l.Descriptor, want, v)
	} else {
		sig.KeyID, err = verifySimple(ctx, t, l.Descriptor, want, keys)
	}
	return sig, err
}
