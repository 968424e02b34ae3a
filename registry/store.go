package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Options says where stores live and how remote ones are reached.
type Options struct {
	// LocalDir is the root of the local store: one OCI image-layout
	// directory per repository. Default: DefaultLocalDir().
	LocalDir string
	// PlainHTTP allows http:// to registries that are not on loopback
	// (loopback registries are always reached over plain HTTP).
	PlainHTTP bool
	// DockerConfig is the credentials file; empty means Docker's default
	// (~/.docker/config.json, $DOCKER_CONFIG), including its helpers.
	DockerConfig string
	// MaxWasmBytes caps a fetched module. Default 64 MiB.
	MaxWasmBytes int64
}

// DefaultLocalDir is $WEIR_REGISTRY_DIR, else ./.weir/registry.
func DefaultLocalDir() string {
	if d := os.Getenv("WEIR_REGISTRY_DIR"); d != "" {
		return d
	}
	return filepath.Join(".weir", "registry")
}

func (o Options) withDefaults() Options {
	if o.LocalDir == "" {
		o.LocalDir = DefaultLocalDir()
	}
	if o.MaxWasmBytes == 0 {
		o.MaxWasmBytes = 64 << 20
	}
	return o
}

// Repo is one repository of transforms, local or remote.
type Repo struct {
	Ref    Ref // the repository (its tag or digest is ignored)
	remote *remote.Repository
	dir    string // a local repository's layout directory
	opts   Options
}

// store is what a repository offers: content, tags and their listing.
type store interface {
	oras.Target
	registry.TagLister
}

// open returns the repository's store. A local one is read afresh each
// time, so tags moved by another process (`weir transform tag`) are seen.
func (r *Repo) open(ctx context.Context) (store, error) {
	if r.remote != nil {
		return r.remote, nil
	}
	s, err := oci.NewWithContext(ctx, r.dir)
	if err != nil {
		return nil, fmt.Errorf("local store %s: %w", r.Ref.Repo, err)
	}
	return s, nil
}

// Open opens the repository ref names. A local repository is created on
// first use; a remote one is not contacted until an operation needs it.
func Open(ctx context.Context, ref Ref, opts Options) (*Repo, error) {
	opts = opts.withDefaults()
	r := &Repo{Ref: ref, opts: opts}
	if ref.Host == "" {
		r.dir = filepath.Join(opts.LocalDir, filepath.FromSlash(ref.Repo))
		_, err := r.open(ctx)
		return r, err
	}
	repo, err := remote.NewRepository(ref.Host + "/" + ref.Repo)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	repo.PlainHTTP = opts.PlainHTTP || isLoopback(ref.Host)
	creds, err := credentials.NewStore(opts.DockerConfig, credentials.StoreOptions{})
	if opts.DockerConfig == "" {
		creds, err = credentials.NewStoreFromDocker(credentials.StoreOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("registry credentials: %w", err)
	}
	client := &http.Client{Transport: &retry.Transport{Base: progressTransport{http.DefaultTransport}, Policy: func() retry.Policy { return retryPolicy }}}
	repo.Client = &auth.Client{Client: client, Cache: auth.NewCache(), Credential: credentials.Credential(creds)}
	// Signing adds referrers; on a registry without the referrers API that
	// replaces the tag schema's index, and the old one would be deleted:
	// registries that refuse deletes (the distribution registry's default)
	// would then fail the signing. The old index is left, untagged.
	repo.SkipReferrersGC = true
	repo.ReferrerListMaxPages = maxReferrerPages
	r.remote = repo
	return r, nil
}

// retryPolicy retries a request that failed with a 5xx, a 429 or a
// network error twice, after ~250 ms and ~500 ms. oras-go's default retries
// five times, up to 3 s apart: a swap against a failing registry then
// spent ~14 s in one attempt while holding the slot (an operator's
// rollback waited behind it). The watcher tries again at its next interval.
var retryPolicy retry.Policy = &retry.GenericPolicy{
	Retryable: retry.DefaultPredicate,
	Backoff:   retry.DefaultBackoff,
	MinWait:   200 * time.Millisecond,
	MaxWait:   time.Second,
	MaxRetry:  2,
}

// Push stores a module and points tag at it. It returns the artifact's
// manifest descriptor: its digest is the version's identity.
func (r *Repo) Push(ctx context.Context, wasm []byte, tag string) (ocispec.Descriptor, error) {
	t, err := r.open(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := push(ctx, t, wasm)
	if err != nil {
		return desc, err
	}
	if tag != "" {
		if err := t.Tag(ctx, desc, tag); err != nil {
			return desc, fmt.Errorf("tag %s: %w", tag, err)
		}
	}
	return desc, nil
}

// Resolve returns the manifest descriptor a tag or digest names.
func (r *Repo) Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error) {
	t, err := r.open(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := t.Resolve(ctx, reference)
	if err != nil {
		return desc, fmt.Errorf("resolve %s: %w", r.Ref.WithTag(reference), err)
	}
	return desc, nil
}

// Fetch reads the artifact desc describes, verifying digests and sizes.
func (r *Repo) Fetch(ctx context.Context, desc ocispec.Descriptor) (*Artifact, error) {
	t, err := r.open(ctx)
	if err != nil {
		return nil, err
	}
	return fetch(ctx, t, desc, r.opts.MaxWasmBytes)
}

// Pull resolves reference (a tag or digest) and fetches it.
func (r *Repo) Pull(ctx context.Context, reference string) (*Artifact, error) {
	desc, err := r.Resolve(ctx, reference)
	if err != nil {
		return nil, err
	}
	return r.Fetch(ctx, desc)
}

// Tag points tag at what reference (a tag or digest) names.
func (r *Repo) Tag(ctx context.Context, reference, tag string) (ocispec.Descriptor, error) {
	t, err := r.open(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := oras.Tag(ctx, t, reference, tag)
	if err != nil {
		return desc, fmt.Errorf("tag %s as %s: %w", reference, tag, err)
	}
	return desc, nil
}

// Tags lists the repository's tags, excluding those of signatures
// ("sha256-<hex>.sig"), cosign's attachments (".att", ".sbom") and the
// referrers tag schema ("sha256-<hex>").
func (r *Repo) Tags(ctx context.Context) ([]string, error) {
	t, err := r.open(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	err = t.Tags(ctx, "", func(tags []string) error {
		for _, t := range tags {
			if !isAttachmentTag(t) {
				out = append(out, t)
			}
		}
		return nil
	})
	return out, err
}

var attachmentTag = regexp.MustCompile(`^sha256-[0-9a-f]{64}(\.sig|\.att|\.sbom)?$`)

func isAttachmentTag(tag string) bool { return attachmentTag.MatchString(tag) }

// CopyTo copies the artifact desc and its signatures (the signature
// referrers and the ".sig" tag) into dst, tagging it there as tag.
func (r *Repo) CopyTo(ctx context.Context, desc ocispec.Descriptor, dst *Repo, tag string) error {
	t, err := r.open(ctx)
	if err != nil {
		return err
	}
	d, err := dst.open(ctx)
	if err != nil {
		return err
	}
	if _, err := oras.Copy(ctx, t, desc.Digest.String(), d, desc.Digest.String(), oras.DefaultCopyOptions); err != nil {
		return fmt.Errorf("copy %s: %w", desc.Digest, err)
	}
	if err := r.copySignatures(ctx, t, d, desc); err != nil {
		return fmt.Errorf("copy signatures of %s: %w", desc.Digest, err)
	}
	if tag == "" {
		return nil
	}
	return d.Tag(ctx, desc, tag)
}

// copySignatures copies the manifests holding desc's signatures, keeping
// the ".sig" tag. Other referrers (SBOMs, attestations) stay behind, and so
// does anything over the caps signature discovery applies, so a referrer
// pushed by someone else cannot make the copy large. A holder that fails
// to copy is skipped; the copy fails only when every one did.
func (r *Repo) copySignatures(ctx context.Context, t, d store, desc ocispec.Descriptor) error {
	holders, _, err := r.signatureHolders(ctx, desc)
	if err != nil {
		return err
	}
	var errs []error
	copied := 0
	for _, h := range holders {
		if !holdsOnlySignatures(ctx, t, h.desc) {
			continue
		}
		dstRef := h.desc.Digest.String()
		if h.tag != "" {
			dstRef = h.tag
		}
		if _, err := oras.Copy(ctx, t, h.desc.Digest.String(), d, dstRef, oras.DefaultCopyOptions); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", h.where, err))
			continue
		}
		copied++
	}
	if copied == 0 && len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}

// holdsOnlySignatures reports whether the manifest desc is a signature
// manifest within the caps: every layer a signature of bounded size, a
// bounded number of them, a small config.
func holdsOnlySignatures(ctx context.Context, t content.Fetcher, desc ocispec.Descriptor) bool {
	man, err := fetchManifest(ctx, t, desc, ocispec.MediaTypeImageManifest, mediaTypeDockerManifest)
	if err != nil || len(man.Layers) == 0 || len(man.Layers) > maxSignatureLayers || man.Config.Size > maxPayloadBytes {
		return false
	}
	return !slices.ContainsFunc(man.Layers, func(l ocispec.Descriptor) bool {
		switch l.MediaType {
		case MediaTypeBundle:
			return l.Size > maxBundleBytes
		case MediaTypeSimpleSigning:
			return l.Size > maxPayloadBytes
		}
		return true
	})
}

// IsNotFound reports whether err means a tag, digest or blob is absent.
func IsNotFound(err error) bool { return errors.Is(err, errdef.ErrNotFound) }
