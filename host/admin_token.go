package host

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// tokenBytes is the entropy of a generated admin token: 256 bits.
const tokenBytes = 32

// newToken returns a fresh random token, base64url without padding.
func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating the admin token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenID names a token in the audit trail and in logs without revealing
// it: the first 12 hex digits of its SHA-256.
func tokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "token:" + hex.EncodeToString(sum[:6])
}

// writeTokenFile writes token to path, mode 0600, in one rename so a
// reader never sees half a token, creating its directory 0700. A
// directory another user may write is refused: they could swap the file.
func writeTokenFile(path, token string) error {
	dir := filepath.Dir(path)
	if err := privateDir(dir); err != nil {
		return fmt.Errorf("admin token file %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, ".admin-token-*")
	if err != nil {
		return fmt.Errorf("admin token file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after the rename: nothing left to remove
	_, err = tmp.WriteString(token + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("admin token file %s: %w", path, err)
	}
	return nil
}

// ReadAdminToken reads a token file written by weir. It refuses a file
// that others may read or write, or that another user owns: fix it with
// chmod 600, or pass the token itself ($WEIR_ADMIN_TOKEN).
func ReadAdminToken(path string) (string, error) {
	if err := privateFile(path); err != nil {
		return "", fmt.Errorf("admin token file %s: %w", path, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin token file: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("admin token file %s is empty", path)
	}
	return token, nil
}

// privateDir creates dir (0700) if needed and checks that it and the
// directories above it are safe for secrets (privatePath).
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for p, first := dir, true; ; p, first = filepath.Dir(p), false {
		if err := privatePath(p, first); err != nil {
			return err
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}
