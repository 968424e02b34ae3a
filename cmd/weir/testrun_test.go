package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/weirstream/weir/internal/fixtures"
)

func writeModule(t *testing.T, wasm []byte) string {
	path := filepath.Join(t.TempDir(), "m.wasm")
	require.NoError(t, os.WriteFile(path, wasm, 0o644))
	return path
}

func exitCode(err error) int {
	if e, ok := err.(cli.ExitCoder); ok {
		return e.ExitCode()
	}
	return -1
}

// Each SDK's conformance guest passes the vectors through the command a
// user runs (the Go SDK's is run by the runtime's tests: its compile is
// the slow one). Each is warmed into the cache the command reads.
func TestTransformTestPassesTheConformanceGuests(t *testing.T) {
	for lang, build := range map[string]func(testing.TB, string) []byte{"c": fixtures.C, "rust": fixtures.Rust} {
		t.Run(lang, func(t *testing.T) {
			path := writeModule(t, fixtures.Warm(t, build(t, "sdk/"+lang+"/conformance")))
			out, err := runTransform(t, "test", "--conformance", "-v", path)
			require.NoError(t, err, out)
			assert.Contains(t, out, "module: "+path+" (conformance@1.0.0)\n")
			assert.Contains(t, out, "ok    fan-out\n")
			assert.Contains(t, out, "15 cases, 15 passed, 0 failed\n")
		})
	}
}

func TestTransformTestShowsADiffAndFails(t *testing.T) {
	path := writeModule(t, fixtures.WAT(t, "runtime/testdata/guests/echo.wat"))
	out, err := runTransform(t, "test", "--conformance", path)
	require.Error(t, err)
	assert.Equal(t, 1, exitCode(err))
	assert.Contains(t, out, "FAIL  rewrite\n      record 0 out[0].value: want \"hello\", got \"set:hello\"\n")
	assert.Contains(t, out, "FAIL  delete metadata\n      record 0 out[0].meta.a: want (none), got \"b\"\n")
	assert.NotContains(t, out, "keep unchanged")
	assert.Contains(t, out, "note: the manifest does not declare ports a and b, which the route cases use\n")
	assert.Regexp(t, `15 cases, \d+ passed, \d+ failed\n`, out)
}

func TestTransformTestRunsAFixturesFile(t *testing.T) {
	path := writeModule(t, fixtures.C(t, "sdk/c/conformance"))
	fx := filepath.Join(t.TempDir(), "fixtures.json")
	require.NoError(t, os.WriteFile(fx, []byte(`{"cases": [
		{"name": "prefixed", "in": [{"value": "set:x"}], "want": [{"out": [{"value": "pre-x"}]}]},
		{"name": "wrong", "in": [{"value": "drop"}, {"value": "error:no"}], "want": [{"out": [{"value": "drop"}]}, {"out": []}]}]}`), 0o644))
	out, err := runTransform(t, "test", "--fixtures", fx, "--config", "pre-", path)
	require.Error(t, err)
	assert.Contains(t, out, "FAIL  wrong\n      record 0 outputs: want 1, got 0\n      record 1 error: want (none), got \"no\"\n")
	assert.Contains(t, out, "2 cases, 1 passed, 1 failed\n")

	// The guest's init refusing the config is an error of the run.
	out, err = runTransform(t, "test", "--fixtures", fx, "--config", "fail", path)
	require.Error(t, err)
	assert.Contains(t, err.Error()+out, "init: config says fail")
}

func TestTransformTestRunsThePackedFixtures(t *testing.T) {
	dir := t.TempDir()
	raw := writeModule(t, fixtures.RawWAT(t, "runtime/testdata/guests/echo.wat"))
	man := filepath.Join(dir, "m.json")
	require.NoError(t, os.WriteFile(man, []byte(`{"abi":1,"name":"echo","version":"1.0.0"}`), 0o644))
	packed := filepath.Join(dir, "packed.wasm")

	_, err := runTransform(t, "pack", "--manifest", man, "-o", packed, raw)
	require.NoError(t, err)
	out, err := runTransform(t, "test", packed)
	require.Error(t, err)
	assert.Equal(t, 2, exitCode(err))
	assert.Contains(t, err.Error()+out, "the module carries no fixtures: pass --conformance")

	fx := filepath.Join(dir, "fixtures.json")
	require.NoError(t, os.WriteFile(fx, []byte(`{"cases": [{"name": "echo", "in": [{"value": "v", "meta": {"k": "1"}}], "want": [{"out": [{"value": "v", "meta": {"k": "1"}}]}]}]}`), 0o644))
	_, err = runTransform(t, "pack", "--manifest", man, "--fixtures", fx, "-o", packed, raw)
	require.NoError(t, err)
	out, err = runTransform(t, "test", packed)
	require.NoError(t, err, out)
	assert.Contains(t, out, "1 cases, 1 passed, 0 failed\n")
}

// sdk/rust/README.md's example builds and passes its fixtures.
func TestTransformTestRunsTheRustExample(t *testing.T) {
	path := writeModule(t, fixtures.Warm(t, fixtures.Rust(t, "sdk/rust/example")))
	out, err := runTransform(t, "test", "--fixtures", filepath.Join(fixtures.Root(), "sdk/rust/example/fixtures.json"), path)
	require.NoError(t, err, out)
	assert.Contains(t, out, "2 cases, 2 passed, 0 failed\n")
}

// An endless fixtures file is refused at the cap, not read to memory's end.
func TestTransformTestCapsTheFixturesFile(t *testing.T) {
	path := writeModule(t, fixtures.WAT(t, "runtime/testdata/guests/echo.wat"))
	out, err := runTransform(t, "test", "--fixtures", "/dev/zero", path)
	require.Error(t, err)
	assert.Equal(t, 2, exitCode(err))
	assert.Contains(t, err.Error()+out, "fixtures /dev/zero: over the 67108864-byte cap; it was not read further")
}
