package registry_test

import (
	"crypto/ecdsa"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/registry"
)

type ecdsaPub = ecdsa.PublicKey

// keyPair generates a key pair as PEM files in dir and loads them back.
func keyPair(t *testing.T, dir, name string) (*ecdsa.PrivateKey, *ecdsa.PublicKey) {
	t.Helper()
	priv, pub, err := registry.GenerateKey()
	require.NoError(t, err)
	kp, pp := filepath.Join(dir, name+".key"), filepath.Join(dir, name+".pub")
	require.NoError(t, os.WriteFile(kp, priv, 0o600))
	require.NoError(t, os.WriteFile(pp, pub, 0o644))
	key, err := registry.LoadPrivateKey(kp)
	require.NoError(t, err)
	pk, err := registry.LoadPublicKey(pp)
	require.NoError(t, err)
	return key, pk
}
