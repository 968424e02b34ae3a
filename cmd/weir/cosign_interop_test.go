//go:build cosign_interop

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testregistry"
)

// TestCosignInterop signs and verifies across weir and the real cosign
// binary, key-based and offline, against the distribution registry. It is
// opt-in, as building cosign takes minutes:
//
//	go test -tags cosign_interop -run TestCosignInterop ./cmd/weir
//
// $WEIR_COSIGN names a cosign binary to use; without it the test builds
// github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5 into the build cache's
// neighbourhood (the first run is slow, later ones reuse it).
func TestCosignInterop(t *testing.T) {
	cosign := cosignBinary(t)
	srv := testregistry.Start(t)
	dir := t.TempDir()
	local := "--registry-dir=" + dir
	base := "oci://" + srv.Host + "/weir/stamp"
	run := func(env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(cosign, args...)
		cmd.Dir = dir
		cmd.Env = append(append(os.Environ(), "HOME="+dir, "COSIGN_PASSWORD=pw", "COSIGN_YES=true"), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Run(), "cosign %s:\n%s", strings.Join(args, " "), out.String())
		return out.String()
	}
	push := func(v string) (weirRef, cosignRef string) {
		t.Helper()
		out, err := runTransform(t, "push", local, writeFile(t, v+".wasm", fixtures.Stamp(t, v, false)), base+":"+v)
		require.NoError(t, err, out)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		weirRef = lines[len(lines)-1]
		return weirRef, strings.TrimPrefix(weirRef, "oci://")
	}
	verifyWithWeir := func(ref, format string) {
		t.Helper()
		out, err := runTransform(t, "verify", local, "--key", filepath.Join(dir, "cosign.pub"), ref)
		require.NoError(t, err, out)
		assert.Contains(t, out, format+" signature by key")
	}
	// cosign v2.6 verifies a bundle only with a trusted root; for a key an
	// empty one does (without it cosign fetches the public one over TUF).
	require.NoError(t, os.WriteFile(filepath.Join(dir, "root.json"), []byte(emptyTrustedRoot), 0o644))
	cosignVerifyLegacy := []string{"verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--allow-insecure-registry"}
	cosignVerify := append(slices.Clip(cosignVerifyLegacy), "--trusted-root", "root.json")
	cosignSign := []string{"sign", "--key", "cosign.key", "--tlog-upload=false", "--allow-insecure-registry"}

	run(nil, "generate-key-pair")
	t.Setenv("COSIGN_PASSWORD", "pw")

	// weir signs with cosign's own encrypted key; cosign verifies.
	w1, c1 := push("v1")
	out, err := runTransform(t, "sign", local, "--key", filepath.Join(dir, "cosign.key"), w1)
	require.NoError(t, err, out)
	assert.Contains(t, run(nil, append(slices.Clip(cosignVerify), c1)...), `"docker-manifest-digest":"`+strings.SplitN(c1, "@", 2)[1]+`"`)

	// With the .sig tag only, cosign v2.6 needs no trusted root.
	w6, c6 := push("v6")
	out, err = runTransform(t, "sign", local, "--key", filepath.Join(dir, "cosign.key"), "--format", "simple-signing", w6)
	require.NoError(t, err, out)
	run(nil, append(slices.Clip(cosignVerifyLegacy), c6)...)

	// cosign signs: the .sig tag, OCI- and Docker-typed, and the bundle.
	w2, c2 := push("v2")
	run(nil, append(cosignSign, c2)...)
	verifyWithWeir(w2, "simple-signing")
	w3, c3 := push("v3")
	run([]string{"COSIGN_DOCKER_MEDIA_TYPES=1"}, append(cosignSign, c3)...)
	verifyWithWeir(w3, "simple-signing")
	w4, c4 := push("v4")
	run(nil, append(cosignSign, "--new-bundle-format", c4)...)
	verifyWithWeir(w4, "sigstore-bundle")

	// cosign signs with weir's encrypted key as with its own.
	out, err = runTransform(t, "keygen", "--encrypt", filepath.Join(dir, "weir"))
	require.NoError(t, err, out)
	w7, c7 := push("v7")
	run(nil, "sign", "--key", "weir.key", "--tlog-upload=false", "--allow-insecure-registry", c7)
	out, err = runTransform(t, "verify", local, "--key", filepath.Join(dir, "weir.pub"), w7)
	require.NoError(t, err, out)
	assert.Contains(t, out, "simple-signing signature by key")

	// Each signature covers its own digest only.
	w5, _ := push("v5")
	_, err = runTransform(t, "verify", local, "--key", filepath.Join(dir, "cosign.pub"), w5)
	assert.ErrorContains(t, err, "no signatures")
}

// emptyTrustedRoot is a Sigstore trusted root with no authorities: enough
// for cosign to verify a bundle with a key, offline.
const emptyTrustedRoot = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`

func cosignBinary(t *testing.T) string {
	if p := os.Getenv("WEIR_COSIGN"); p != "" {
		return p
	}
	bin := filepath.Join(os.TempDir(), "weir-cosign-v2.6.5")
	if _, err := os.Stat(filepath.Join(bin, "cosign")); err == nil {
		return filepath.Join(bin, "cosign")
	}
	cmd := exec.Command("go", "install", "github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5")
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "building cosign:\n%s", out)
	return filepath.Join(bin, "cosign")
}
