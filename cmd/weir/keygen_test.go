package main

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// keygen --encrypt writes cosign's encrypted key format with
// $COSIGN_PASSWORD, which sign reads back with the same password (a wrong
// one: TestSignWithCosignsEncryptedKey); without the variable it writes
// nothing.
func TestKeygenEncrypts(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "weir")
	t.Setenv(envCosignPassword, "")                    // so that the test's end restores it…
	require.NoError(t, os.Unsetenv(envCosignPassword)) // …and now unset
	_, err := runTransform(t, "keygen", "--encrypt", prefix)
	require.ErrorContains(t, err, "set it")
	_, err = os.Stat(prefix + ".key")
	assert.True(t, os.IsNotExist(err), "nothing written without a password")

	t.Setenv(envCosignPassword, "s3cret")
	out, err := runTransform(t, "keygen", "--encrypt", prefix)
	require.NoError(t, err, out)
	assert.Contains(t, out, "encrypted with $COSIGN_PASSWORD")
	raw, err := os.ReadFile(prefix + ".key")
	require.NoError(t, err)
	block, _ := pem.Decode(raw)
	require.NotNil(t, block)
	assert.Equal(t, "ENCRYPTED SIGSTORE PRIVATE KEY", block.Type)
	fi, err := os.Stat(prefix + ".key")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	local := "--registry-dir=" + dir
	_, err = runTransform(t, "push", local, writeFile(t, "v1.wasm", fixtures.Stamp(t, "v1", false)), "local://weir/stamp:v1")
	require.NoError(t, err)
	out, err = runTransform(t, "sign", local, "--key", prefix+".key", "local://weir/stamp:v1")
	require.NoError(t, err, out)
	out, err = runTransform(t, "verify", local, "--key", prefix+".pub", "local://weir/stamp:v1")
	require.NoError(t, err, out)
	assert.Contains(t, out, "verified")
}

// keygen never writes through an existing file: a key left readable by
// others (0644) would stay so, whatever mode the new key asks for.
func TestKeygenNeverOverwrites(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "weir")
	require.NoError(t, os.WriteFile(prefix+".key", []byte("old"), 0o644))
	_, err := runTransform(t, "keygen", prefix)
	require.ErrorContains(t, err, "weir.key exists: keygen never overwrites a key")
	raw, err := os.ReadFile(prefix + ".key")
	require.NoError(t, err)
	assert.Equal(t, "old", string(raw))
	_, err = os.Stat(prefix + ".pub")
	assert.True(t, os.IsNotExist(err), "nothing written")

	other := filepath.Join(t.TempDir(), "other")
	_, err = runTransform(t, "keygen", other)
	require.NoError(t, err)
	_, err = runTransform(t, "keygen", other)
	require.ErrorContains(t, err, "other.key exists")
}
