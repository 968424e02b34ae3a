package registry_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/stretchr/testify/assert"
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

// cosignKeyFile writes a private key the way `cosign generate-key-pair`
// does (cosign's pkg/cosign/keys.go marshalKeyPair): the PKCS#8 key
// encrypted by go-securesystemslib's encrypted.Encrypt with the password
// (scrypt, then NaCl secretbox; JSON inside), as a PEM block of pemType.
func cosignKeyFile(t *testing.T, pemType, password string, strength encrypted.KDFParameterStrength) (string, *ecdsa.PublicKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	sealed, err := encrypted.EncryptWithCustomKDFParameters(der, []byte(password), strength)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "cosign.key")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: sealed}), 0o600))
	return path, &key.PublicKey
}

// TestLoadPrivateKeyReadsCosignKeys: both PEM types cosign has written,
// the password from COSIGN_PASSWORD, and errors that say what to do.
func TestLoadPrivateKeyReadsCosignKeys(t *testing.T) {
	sigstore, sigstorePub := cosignKeyFile(t, "ENCRYPTED SIGSTORE PRIVATE KEY", "hunter2", encrypted.Standard)
	old, oldPub := cosignKeyFile(t, "ENCRYPTED COSIGN PRIVATE KEY", "hunter2", encrypted.Legacy)

	t.Setenv("COSIGN_PASSWORD", "hunter2")
	for path, pub := range map[string]*ecdsa.PublicKey{sigstore: sigstorePub, old: oldPub} {
		key, err := registry.LoadPrivateKey(path)
		require.NoError(t, err)
		assert.True(t, key.PublicKey.Equal(pub), "the key inside is the one encrypted")
	}

	t.Setenv("COSIGN_PASSWORD", "wrong")
	_, err := registry.LoadPrivateKey(sigstore)
	assert.ErrorContains(t, err, "cannot decrypt cosign's encrypted key (wrong COSIGN_PASSWORD, or a damaged key)")

	require.NoError(t, os.Unsetenv("COSIGN_PASSWORD"))
	_, err = registry.LoadPrivateKey(sigstore)
	assert.ErrorContains(t, err, "set COSIGN_PASSWORD")
}

// A key file cannot make the key derivation arbitrarily costly: scrypt
// parameters other than the library's three fixed sets are refused before
// any work.
func TestEncryptedKeyWithCostlyScryptIsRefused(t *testing.T) {
	path, _ := cosignKeyFile(t, "ENCRYPTED SIGSTORE PRIVATE KEY", "", encrypted.Legacy)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	block, _ := pem.Decode(raw)
	var sealed map[string]any
	require.NoError(t, json.Unmarshal(block.Bytes, &sealed))
	sealed["kdf"].(map[string]any)["params"] = map[string]any{"N": 1 << 30, "r": 8, "p": 16}
	block.Bytes, err = json.Marshal(sealed)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(block), 0o600))

	t.Setenv("COSIGN_PASSWORD", "")
	_, err = registry.LoadPrivateKey(path)
	assert.ErrorContains(t, err, "unsupported scrypt parameters")
}

func TestLoadPrivateKeyNamesWhatItReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rsa.key")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1}}), 0o600))
	_, err := registry.LoadPrivateKey(path)
	assert.ErrorContains(t, err, `PEM block "RSA PRIVATE KEY" is not an ECDSA private key`)
	assert.NotContains(t, err.Error(), "openssl")
}

// EncryptPrivateKey writes what `cosign generate-key-pair` writes (the PEM
// type, scrypt at cosign's parameters, NaCl secretbox), and LoadPrivateKey
// reads it back with the password (a wrong one: TestLoadPrivateKeyReadsCosignKeys;
// each key derivation takes seconds under -race).
func TestEncryptPrivateKeyRoundTrips(t *testing.T) {
	priv, pub, err := registry.GenerateKey()
	require.NoError(t, err)
	sealed, err := registry.EncryptPrivateKey(priv, []byte("hunter2"))
	require.NoError(t, err)
	block, _ := pem.Decode(sealed)
	require.NotNil(t, block)
	assert.Equal(t, "ENCRYPTED SIGSTORE PRIVATE KEY", block.Type)
	var box struct {
		KDF struct {
			Name   string
			Params struct{ N, R, P int }
		}
		Cipher struct{ Name string }
	}
	require.NoError(t, json.Unmarshal(block.Bytes, &box))
	assert.Equal(t, "scrypt", box.KDF.Name)
	assert.Equal(t, struct{ N, R, P int }{1 << 16, 8, 1}, box.KDF.Params, "encrypted.Encrypt's standard parameters, as cosign")
	assert.Equal(t, "nacl/secretbox", box.Cipher.Name)
	assert.NotContains(t, string(sealed), string(priv[30:60]), "the key is not in the clear")

	dir := t.TempDir()
	kp, pp := filepath.Join(dir, "k.key"), filepath.Join(dir, "k.pub")
	require.NoError(t, os.WriteFile(kp, sealed, 0o600))
	require.NoError(t, os.WriteFile(pp, pub, 0o644))
	want, err := registry.LoadPublicKey(pp)
	require.NoError(t, err)
	t.Setenv("COSIGN_PASSWORD", "hunter2")
	key, err := registry.LoadPrivateKey(kp)
	require.NoError(t, err)
	assert.True(t, key.PublicKey.Equal(want), "the key sealed is the key opened")

	_, err = registry.EncryptPrivateKey(pub, []byte("x"))
	assert.ErrorContains(t, err, `want a "PRIVATE KEY" PEM block`)
}
