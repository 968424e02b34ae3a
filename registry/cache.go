package registry

import (
	"context"
	"fmt"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Cache keeps the last known good version of each reference in a local,
// content-addressed OCI layout, so a restart with the registry down still
// serves it. Signatures are kept with the artifact and checked again.
type Cache struct{ Dir string }

// lkgPrefix tags a reference's last good version in its cache repository.
const lkgPrefix = "lkg-"

// Repo is the cache repository holding ref's versions.
func (c Cache) Repo(ctx context.Context, ref Ref) (*Repo, error) {
	host := "local"
	if ref.Host != "" {
		host = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
				return r
			}
			return '_'
		}, strings.ToLower(ref.Host))
		host = "_" + host // never "." or ".."
	}
	return Open(ctx, Ref{Repo: host + "/" + ref.Repo}, Options{LocalDir: c.Dir})
}

// Keep records desc, fetched from src, as ref's last good version.
func (c Cache) Keep(ctx context.Context, src *Repo, desc ocispec.Descriptor, ref Ref) error {
	dst, err := c.Repo(ctx, ref)
	if err != nil {
		return err
	}
	return src.CopyTo(ctx, desc, dst, lkgPrefix+lkgName(ref))
}

// LastGood returns ref's last good version from the cache.
func (c Cache) LastGood(ctx context.Context, ref Ref) (*Repo, ocispec.Descriptor, error) {
	repo, err := c.Repo(ctx, ref)
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	desc, err := repo.Resolve(ctx, lkgPrefix+lkgName(ref))
	if err != nil {
		return nil, desc, fmt.Errorf("no last-known-good copy of %s in %s: %w", ref, c.Dir, err)
	}
	return repo, desc, nil
}

func lkgName(ref Ref) string {
	if ref.Digest != "" {
		return ref.Digest.Encoded()
	}
	return ref.Tag
}
