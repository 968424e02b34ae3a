package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/redpanda-data/benthos/v4/public/components/pure"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testregistry"
)

func writeFile(t *testing.T, name string, b []byte) string {
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

// The registry commands against a real registry server and the local store.
func TestRegistryCommands(t *testing.T) {
	srv := testregistry.Start(t)
	dir := t.TempDir()
	keys := filepath.Join(dir, "weir")
	out, err := runTransform(t, "keygen", keys)
	require.NoError(t, err, out)
	otherKeys := filepath.Join(dir, "other")
	_, err = runTransform(t, "keygen", otherKeys)
	require.NoError(t, err)
	v1 := writeFile(t, "v1.wasm", fixtures.Stamp(t, "v1", false))
	v2 := writeFile(t, "v2.wasm", fixtures.Stamp(t, "v2", false))

	for name, base := range map[string]string{"remote": "oci://" + srv.Host + "/weir/stamp", "local": "local://weir/stamp"} {
		t.Run(name, func(t *testing.T) {
			local := "--registry-dir=" + t.TempDir()
			out, err := runTransform(t, "push", local, v1, base+":v1")
			require.NoError(t, err, out)
			assert.Contains(t, out, "pushed "+base+":v1")
			assert.Contains(t, out, base+"@sha256:")
			_, err = runTransform(t, "push", local, v2, base+":v2")
			require.NoError(t, err)
			out, err = runTransform(t, "tag", local, base+":v1", "stable")
			require.NoError(t, err, out)

			out, err = runTransform(t, "ls", local, base)
			require.NoError(t, err, out)
			assert.Regexp(t, `stable +sha256:[0-9a-f]{64}  stamp@v1`, out)
			assert.Regexp(t, `v2 +sha256:[0-9a-f]{64}  stamp@v2`, out)

			out, err = runTransform(t, "inspect", local, base+":stable")
			require.NoError(t, err, out)
			assert.Contains(t, out, "version: v1")
			assert.Contains(t, out, base+"@sha256:")

			pulled := filepath.Join(t.TempDir(), "p.wasm")
			_, err = runTransform(t, "pull", local, "--key", keys+".pub", "-o", pulled, base+":stable")
			require.ErrorContains(t, err, "no signatures")
			out, err = runTransform(t, "sign", local, "--key", keys+".key", base+":stable")
			require.NoError(t, err, out)
			out, err = runTransform(t, "verify", local, "--key", keys+".pub", base+":v1")
			require.NoError(t, err, out)
			assert.Contains(t, out, "verified")
			assert.Contains(t, out, "sigstore-bundle signature by key sha256:")
			_, err = runTransform(t, "verify", local, "--key", otherKeys+".pub", base+":v1")
			require.ErrorContains(t, err, "not signed by an accepted key")
			_, err = runTransform(t, "pull", local, "--key", keys+".pub", "-o", pulled, base+":stable")
			require.NoError(t, err)
			got, err := os.ReadFile(pulled)
			require.NoError(t, err)
			assert.Equal(t, fixtures.Stamp(t, "v1", false), got)
		})
	}
}

// status, rollback, pin and unpin against a pipeline running in process.
func TestOperateARunningPipeline(t *testing.T) {
	dir := t.TempDir()
	local := "--registry-dir=" + dir
	for _, v := range []string{"v1", "v2"} {
		_, err := runTransform(t, "push", local, writeFile(t, v+".wasm", fixtures.Stamp(t, v, false)), "local://weir/stamp:"+v)
		require.NoError(t, err)
	}
	_, err := runTransform(t, "tag", local, "local://weir/stamp:v1", "live")
	require.NoError(t, err)

	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: none"))
	require.NoError(t, b.AddProcessorYAML(fmt.Sprintf(`
label: orders-mask
wasm:
  module: local://weir/stamp:live
  watch: true
  watch_interval: 10ms
  cache_dir: %s
  registry: { local_dir: %s, cache_dir: %s }
`, fixtures.CacheDir(t), dir, t.TempDir())))
	_, err = b.AddBatchProducerFunc()
	require.NoError(t, err)
	require.NoError(t, b.AddBatchConsumerFunc(func(context.Context, service.MessageBatch) error { return nil }))
	stream, err := b.Build()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = stream.Run(ctx) }()
	defer func() { _ = stream.Stop(context.Background()) }()

	api := httptest.NewServer(host.AdminHandler("tok", service.MockResources().Logger()))
	defer api.Close()
	admin := []string{"--admin", strings.TrimPrefix(api.URL, "http://"), "--token", "tok"}
	status := func() string {
		out, err := runTransform(t, append([]string{"status"}, append(admin, "orders-mask")...)...)
		if err != nil {
			return err.Error()
		}
		return out
	}
	eventually := func(want string) {
		t.Helper()
		fixtures.WaitUntilShowing(t, fmt.Sprintf("status showing %q", want), func() bool { return strings.Contains(status(), want) }, status)
	}
	eventually("stamp@v1 (following local://weir/stamp:live)")

	_, err = runTransform(t, "tag", local, "local://weir/stamp:v2", "live")
	require.NoError(t, err)
	eventually("stamp@v2 (following")
	assert.Contains(t, status(), "swapped local://weir/stamp@sha256:")

	out, err := runTransform(t, append([]string{"rollback"}, append(admin, "orders-mask")...)...)
	require.NoError(t, err, out)
	assert.Contains(t, out, "stamp@v1")
	assert.Contains(t, out, "rejected")

	out, err = runTransform(t, append([]string{"pin"}, append(admin, "orders-mask")...)...)
	require.NoError(t, err, out)
	assert.Contains(t, out, "(pinned)")
	out, err = runTransform(t, append([]string{"unpin"}, append(admin, "orders-mask")...)...)
	require.NoError(t, err, out)
	assert.Contains(t, out, "(following")

	_, err = runTransform(t, "status", "--admin", strings.TrimPrefix(api.URL, "http://"), "--token", "bad")
	require.ErrorContains(t, err, "401")
}

// `weir transform sign --key cosign.key` takes the key `cosign
// generate-key-pair` writes, its password from COSIGN_PASSWORD.
func TestSignWithCosignsEncryptedKey(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	// cosign's pkg/cosign/keys.go marshalKeyPair, step by step.
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	sealed, err := encrypted.Encrypt(der, []byte("s3cret"))
	require.NoError(t, err)
	keyFile := writeFile(t, "cosign.key", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: sealed}))
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	pubFile := writeFile(t, "cosign.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))

	local := "--registry-dir=" + dir
	_, err = runTransform(t, "push", local, writeFile(t, "v1.wasm", fixtures.Stamp(t, "v1", false)), "local://weir/stamp:v1")
	require.NoError(t, err)

	t.Setenv("COSIGN_PASSWORD", "wrong")
	_, err = runTransform(t, "sign", local, "--key", keyFile, "local://weir/stamp:v1")
	require.ErrorContains(t, err, "wrong COSIGN_PASSWORD")

	t.Setenv("COSIGN_PASSWORD", "s3cret")
	out, err := runTransform(t, "sign", local, "--key", keyFile, "local://weir/stamp:v1")
	require.NoError(t, err, out)
	assert.Contains(t, out, "signed local://weir/stamp@sha256:")
	out, err = runTransform(t, "verify", local, "--key", pubFile, "local://weir/stamp:v1")
	require.NoError(t, err, out)
	assert.Contains(t, out, "verified")
	assert.Contains(t, out, "sigstore-bundle signature")

	// Only the .sig tag, for cosign v2 offline (docs/registry.md).
	_, err = runTransform(t, "push", local, writeFile(t, "v2.wasm", fixtures.Stamp(t, "v2", false)), "local://weir/stamp:v2")
	require.NoError(t, err)
	out, err = runTransform(t, "sign", local, "--key", keyFile, "--format", "simple-signing", "local://weir/stamp:v2")
	require.NoError(t, err, out)
	out, err = runTransform(t, "verify", local, "--key", pubFile, "local://weir/stamp:v2")
	require.NoError(t, err, out)
	assert.Contains(t, out, "simple-signing signature")
	_, err = runTransform(t, "sign", local, "--key", keyFile, "--format", "pgp", "local://weir/stamp:v2")
	require.ErrorContains(t, err, `no signature format "pgp"`)
}
