package testpg

import (
	"os"
	"path/filepath"
	"testing"
)

// TLSSettings writes a server certificate and key where the cluster's user
// can read them (the postmaster refuses a key others can read) and returns
// the settings that turn TLS on: Start(tb, TLSSettings(tb, cert, key)...).
// Connections may still choose not to use TLS (sslmode=disable).
func TLSSettings(tb testing.TB, certPEM, keyPEM []byte) []string {
	tb.Helper()
	cred, err := runAs()
	if err != nil {
		tb.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "weir-pg-tls-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	c := &Cluster{cred: cred}
	cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	for _, f := range []struct {
		path string
		b    []byte
	}{{cert, certPEM}, {key, keyPEM}} {
		if err := os.WriteFile(f.path, f.b, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	for _, p := range []string{dir, cert, key} {
		if err := c.chown(p); err != nil {
			tb.Fatal(err)
		}
	}
	return []string{"ssl=on", "ssl_cert_file=" + cert, "ssl_key_file=" + key}
}
