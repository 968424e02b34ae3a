package registry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// Each format weir writes verifies on its own, so a reader that knows
// only one of them (cosign v2: the ".sig" tag; v3: the bundle) finds a
// signature.
func TestEachSignatureFormatVerifiesAlone(t *testing.T) {
	ctx := context.Background()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	for format, write := range map[string]func(*Repo, store, ocispec.Descriptor) error{
		FormatBundle: func(r *Repo, t store, d ocispec.Descriptor) error { return signBundle(ctx, t, d, key) },
		FormatSimpleSigning: func(r *Repo, t store, d ocispec.Descriptor) error {
			return r.signSimple(ctx, t, d, key)
		},
	} {
		t.Run(format, func(t *testing.T) {
			repo, err := Open(ctx, Ref{Repo: "weir/stamp"}, Options{LocalDir: t.TempDir()})
			require.NoError(t, err)
			desc, err := repo.Push(ctx, fixtures.Stamp(t, "v1", false), "v1")
			require.NoError(t, err)
			s, err := repo.open(ctx)
			require.NoError(t, err)
			require.NoError(t, write(repo, s, desc))
			sig, err := repo.VerifySignature(ctx, desc, []*ecdsa.PublicKey{&key.PublicKey})
			require.NoError(t, err)
			assert.Equal(t, format, sig.Format)
		})
	}
}
