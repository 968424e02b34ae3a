package registry

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// PEM block types of the private keys weir reads. cosign writes its keys
// encrypted (scrypt, then NaCl secretbox, around a PKCS#8 key) as
// "ENCRYPTED SIGSTORE PRIVATE KEY"; older releases wrote the same bytes as
// "ENCRYPTED COSIGN PRIVATE KEY".
const (
	pemPrivateKey              = "PRIVATE KEY"
	pemECPrivateKey            = "EC PRIVATE KEY"
	pemSigstoreEncrypted       = "ENCRYPTED SIGSTORE PRIVATE KEY"
	pemCosignEncrypted         = "ENCRYPTED COSIGN PRIVATE KEY"
	passwordEnv                = "COSIGN_PASSWORD"
	maxKeyFileBytes      int64 = 64 << 10
)

// GenerateKey makes an ECDSA P-256 key pair as PEM: the private key in
// PKCS#8 ("PRIVATE KEY", which `cosign import-key-pair` reads) and the
// public key in PKIX ("PUBLIC KEY", which `cosign verify --key` reads).
func GenerateKey() (private, public []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), nil
}

// EncryptPrivateKey seals a PKCS#8 private key PEM (GenerateKey's) under
// password the way `cosign generate-key-pair` does: go-securesystemslib's
// encrypted.Encrypt (scrypt at its standard parameters, then NaCl
// secretbox) as an "ENCRYPTED SIGSTORE PRIVATE KEY" PEM block, which
// cosign and LoadPrivateKey open with $COSIGN_PASSWORD.
func EncryptPrivateKey(private, password []byte) ([]byte, error) {
	block, _ := pem.Decode(private)
	if block == nil || block.Type != pemPrivateKey {
		return nil, fmt.Errorf("encrypting a key: want a %q PEM block", pemPrivateKey)
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		return nil, fmt.Errorf("encrypting a key: %w", err)
	}
	sealed, err := encrypted.Encrypt(block.Bytes, password)
	if err != nil {
		return nil, fmt.Errorf("encrypting a key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemSigstoreEncrypted, Bytes: sealed}), nil
}

// LoadPrivateKey reads an ECDSA private key PEM file: PKCS#8, SEC 1, or
// cosign's encrypted format, whose password comes from $COSIGN_PASSWORD
// (as for cosign; an empty value is the empty password).
func LoadPrivateKey(path string) (*ecdsa.PrivateKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	var key crypto.PrivateKey
	switch block.Type {
	case pemPrivateKey:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case pemECPrivateKey:
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case pemSigstoreEncrypted, pemCosignEncrypted:
		key, err = decryptCosignKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%s: PEM block %q is not an ECDSA private key (want %q, %q or cosign's %q; `weir transform keygen` or `cosign generate-key-pair` makes one)",
			path, block.Type, pemPrivateKey, pemECPrivateKey, pemSigstoreEncrypted)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: a %T, not an ECDSA key (weir signs with ECDSA P-256)", path, key)
	}
	return ec, nil
}

// decryptCosignKey opens cosign's encrypted key with $COSIGN_PASSWORD. The
// library accepts only its three fixed scrypt parameter sets (N at most
// 2^17, r 8, p 1: at most 128 MiB and well under a second), so a key file
// cannot make the derivation arbitrarily costly.
func decryptCosignKey(sealed []byte) (crypto.PrivateKey, error) {
	password, ok := os.LookupEnv(passwordEnv)
	if !ok {
		return nil, fmt.Errorf("cosign's encrypted key needs its password: set %s (empty for a key made without one)", passwordEnv)
	}
	der, err := encrypted.Decrypt(sealed, []byte(password))
	if err != nil {
		return nil, fmt.Errorf("cannot decrypt cosign's encrypted key (wrong %s, or a damaged key): %w", passwordEnv, err)
	}
	return x509.ParsePKCS8PrivateKey(der)
}

// LoadPublicKey reads a PKIX ("PUBLIC KEY") ECDSA public key PEM file, the
// format of cosign.pub.
func LoadPublicKey(path string) (*ecdsa.PublicKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ec, ok := key.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ECDSA public key", path)
	}
	return ec, nil
}

// KeyID names a public key in logs and audit lines: "sha256:" and the hex
// SHA-256 of its PKIX encoding (the digest cosign's key hint encodes in
// base64). It identifies the key without revealing anything secret.
func KeyID(pub *ecdsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "unknown"
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func readPEM(path string) (*pem.Block, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > maxKeyFileBytes {
		return nil, fmt.Errorf("%s: over %d bytes, not a key file", path, maxKeyFileBytes)
	}
	block, _ := pem.Decode(bytes.TrimSpace(raw))
	if block == nil {
		return nil, errors.New(path + ": no PEM block")
	}
	return block, nil
}
