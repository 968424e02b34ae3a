package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/weirstream/weir/internal/fixtures"
)

func runTransform(t *testing.T, args ...string) (string, error) {
	var out bytes.Buffer
	app := &cli.App{Name: "weir", Commands: []*cli.Command{transformCommand()}, Writer: &out, ErrWriter: &out,
		ExitErrHandler: func(*cli.Context, error) {}}
	err := app.Run(append([]string{"weir", "transform"}, args...))
	return out.String(), err
}

func TestInspectShowsManifestAndVerdict(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mask.wasm")
	require.NoError(t, os.WriteFile(path, fixtures.Go(t, "plugins/mask"), 0o644))
	out, err := runTransform(t, "inspect", path)
	require.NoError(t, err)
	assert.Contains(t, out, "name:    mask")
	assert.Contains(t, out, "version: 0.1.0")
	assert.Contains(t, out, "weir_process")
	assert.Contains(t, out, "verdict:   admitted")
}

func TestInspectExplainsARefusal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bomb.wasm")
	require.NoError(t, os.WriteFile(path, fixtures.WAT(t, "runtime/testdata/guests/tablebomb.wat"), 0o644))
	out, err := runTransform(t, "inspect", path)
	require.Error(t, err)
	assert.Contains(t, out, "REFUSED")
	assert.Contains(t, out, "table 0 declares 100000000 initial elements")
}

func TestPackEmbedsTheManifest(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw.wasm")
	require.NoError(t, os.WriteFile(raw, fixtures.RawWAT(t, "runtime/testdata/guests/echo.wat"), 0o644))
	man := filepath.Join(dir, "m.json")
	require.NoError(t, os.WriteFile(man, []byte(`{"abi":1,"name":"hello","version":"2.0.0","ports":["x"]}`), 0o644))
	packed := filepath.Join(dir, "packed.wasm")
	_, err := runTransform(t, "pack", "--manifest", man, "-o", packed, raw)
	require.NoError(t, err)
	out, err := runTransform(t, "inspect", packed)
	require.NoError(t, err)
	assert.Contains(t, out, "name:    hello")
	assert.Contains(t, out, "ports:   x")

	require.NoError(t, os.WriteFile(man, []byte(`{"abi":1,"name":"hello","version":"2.0.0","colour":"red"}`), 0o644))
	_, err = runTransform(t, "pack", "--manifest", man, "-o", packed, raw)
	require.ErrorContains(t, err, `unknown field "colour"`)
}

func TestPackWithProtoAndInspectShowTypes(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw.wasm")
	require.NoError(t, os.WriteFile(raw, fixtures.RawWAT(t, "runtime/testdata/guests/echo.wat"), 0o644))
	man := filepath.Join(dir, "m.json")
	require.NoError(t, os.WriteFile(man, []byte(`{"abi":1,"name":"typed","version":"1.0.0","input":"shop.v1.Order"}`), 0o644))
	packed := filepath.Join(dir, "packed.wasm")
	protos := filepath.Join(fixtures.Root(), "examples/orders-proto/proto")

	_, err := runTransform(t, "pack", "--manifest", man, "-o", packed, raw)
	require.ErrorContains(t, err, `manifest declares input type "shop.v1.Order": pass the proto files`)

	_, err = runTransform(t, "pack", "--manifest", man, "--proto", "orders.proto", "-I", protos, "-o", packed, raw)
	require.NoError(t, err)
	out, err := runTransform(t, "inspect", packed)
	require.NoError(t, err)
	assert.Contains(t, out, "input:   shop.v1.Order")
	assert.Contains(t, out, "output:  shop.v1.Order")
	assert.Contains(t, out, "orders.proto: shop.v1.Customer, shop.v1.Item, shop.v1.Address, shop.v1.Order")

	require.NoError(t, os.WriteFile(man, []byte(`{"abi":1,"name":"typed","version":"1.0.0","input":"shop.v1.Nope"}`), 0o644))
	_, err = runTransform(t, "pack", "--manifest", man, "--proto", "orders.proto", "-I", protos, "-o", packed, raw)
	require.ErrorContains(t, err, `message "shop.v1.Nope": not found`)
}

// TestModuleReadsAreCapped: /dev/zero reached 6.9 GB in
// `weir transform inspect` before the read was capped.
func TestModuleReadsAreCapped(t *testing.T) {
	cases := [][]string{
		{"inspect", "/dev/zero"},
		{"pack", "--manifest", "/dev/null", "-o", filepath.Join(t.TempDir(), "x"), "/dev/zero"},
		{"push", "--registry-dir=" + t.TempDir(), "/dev/zero", "local://weir/zero:v1"},
	}
	for _, args := range cases {
		out, err := runTransform(t, args...)
		require.Error(t, err)
		assert.Contains(t, err.Error()+out, "module /dev/zero is over the 67108864-byte cap (EngineConfig.MaxModuleBytes)")
	}
}
