package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
)

// Limits on signature discovery, so a repository that anyone can push to
// cannot make a verification read without end. Past them, what is left is
// not examined: a flood of referrers can hide a signature (the artifact is
// then refused as unsigned), never make one up.
const (
	maxReferrers       = 32 // referrers of one artifact examined
	maxReferrerPages   = 4  // pages of the referrers API read
	maxSignatureLayers = 64 // layers of one signature manifest examined
	maxBundleBytes     = 256 << 10
)

var errEnoughReferrers = errors.New("enough referrers")

// referrers lists up to maxReferrers manifests whose subject is desc,
// signatures first: from a registry through the OCI 1.1 referrers API or,
// where the registry has none, the referrers tag schema ("sha256-<hex>",
// oras-go falls back by itself); from a local layout through its index.
func (r *Repo) referrers(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	var err error
	if r.remote != nil {
		err = r.remote.Referrers(ctx, subjectOf(desc), "", func(page []ocispec.Descriptor) error {
			out = append(out, page...)
			if len(out) >= maxReferrers {
				return errEnoughReferrers
			}
			return nil
		})
		if errors.Is(err, errEnoughReferrers) || errors.Is(err, errdef.ErrTooManyPages) {
			err = nil // what was listed so far is examined
		}
	} else {
		var s store
		if s, err = r.open(ctx); err == nil {
			out, err = registry.Referrers(ctx, s.(content.ReadOnlyGraphStorage), subjectOf(desc), "")
		}
	}
	if err != nil && !IsNotFound(err) {
		return nil, fmt.Errorf("referrers of %s: %w", desc.Digest, err)
	}
	sort.SliceStable(out, func(i, j int) bool { return signatureRank(out[i]) < signatureRank(out[j]) })
	if len(out) > maxReferrers {
		out = out[:maxReferrers]
	}
	return out, nil
}

// signatureRank puts the referrers that say they are bundles first, then
// the other signatures.
func signatureRank(d ocispec.Descriptor) int {
	switch d.ArtifactType {
	case MediaTypeBundle:
		return 0
	case ArtifactTypeCosignSignature:
		return 1
	}
	return 2
}

// subjectOf is desc as a subject: media type, digest and size only.
func subjectOf(desc ocispec.Descriptor) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size}
}

// signatureHolder is a manifest that may carry signatures of an artifact,
// and where it was found.
type signatureHolder struct {
	desc  ocispec.Descriptor
	where string
	tag   string // the tag it was found by, if any
}

// signatureHolders lists the manifests that may carry signatures of desc:
// its referrers, bundles first, then the manifest tagged "sha256-<hex>.sig"
// (cosign's legacy scheme, whose manifests have no subject; weir's do, and
// are listed once). An error is returned only when neither source could be
// read.
func (r *Repo) signatureHolders(ctx context.Context, desc ocispec.Descriptor) ([]signatureHolder, []string, error) {
	var holders []signatureHolder
	var problems []string
	refs, refErr := r.referrers(ctx, desc)
	for _, d := range refs {
		holders = append(holders, signatureHolder{desc: d, where: "referrer " + d.Digest.String()})
	}
	tag := signatureTag(desc.Digest)
	sig, sigErr := r.resolveSignatureTag(ctx, desc.Digest)
	if sigErr == nil {
		i := slices.IndexFunc(holders, func(h signatureHolder) bool { return h.desc.Digest == sig.Digest })
		if i < 0 {
			holders = append(holders, signatureHolder{desc: sig, where: "tag " + tag})
			i = len(holders) - 1
		}
		holders[i].tag = tag
	}
	for _, err := range []error{refErr, sigErr} {
		if err != nil && !IsNotFound(err) {
			problems = append(problems, err.Error())
		}
	}
	if len(holders) == 0 && len(problems) > 0 {
		return nil, nil, fmt.Errorf("signatures of %s: %v", desc.Digest, problems)
	}
	return holders, problems, nil
}

func (r *Repo) resolveSignatureTag(ctx context.Context, d digest.Digest) (ocispec.Descriptor, error) {
	t, err := r.open(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return t.Resolve(ctx, signatureTag(d))
}
