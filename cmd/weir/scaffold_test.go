package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// Every language's scaffold builds with its real toolchain, is admitted,
// and passes its own fixtures (packed in, and from the file) in the runtime.
// A Go, Rust or AssemblyScript module is compiled by fixtures.Warm, outside
// the race detector, into the cache `transform test` reads by default
// (TestMain): build leaves it alone (--no-cache), and test finds it
// compiled. The others build into the cache as a user's build does.
func TestNewThenBuildThenTestPasses(t *testing.T) {
	for _, lang := range []string{"go", "c", "as", "rust", "wat"} {
		t.Run(lang, func(t *testing.T) {
			name := "hello-" + lang
			dir := filepath.Join(t.TempDir(), name)
			out, err := runTransform(t, "new", "--lang", lang, "--dir", dir, "--weir", fixtures.Root(), name)
			require.NoError(t, err, out)
			for _, f := range []string{"manifest.json", "fixtures.json", "Makefile"} {
				assert.FileExists(t, filepath.Join(dir, f))
			}

			heavy := lang == "go" || lang == "rust" || lang == "as"
			build := []string{"build", "--asc", fixtures.ASC()}
			if heavy {
				build = append(build, "--no-cache")
			}
			out, err = runTransform(t, append(build, dir)...)
			require.NoError(t, err, out)
			assert.Contains(t, out, "name:    "+name)
			assert.Contains(t, out, "fixtures:  2 golden cases")
			assert.Contains(t, out, "verdict:   admitted")

			wasm := filepath.Join(dir, name+".wasm")
			if heavy {
				raw, err := os.ReadFile(wasm)
				require.NoError(t, err)
				fixtures.Warm(t, raw)
			}
			out, err = runTransform(t, "test", wasm)
			require.NoError(t, err, out)
			assert.Contains(t, out, "2 cases, 2 passed, 0 failed")
			out, err = runTransform(t, "test", "--fixtures", filepath.Join(dir, "fixtures.json"), wasm)
			require.NoError(t, err, out)
			assert.Contains(t, out, "2 passed")
		})
	}
}

// Fixtures the scaffold's transform does not meet fail `transform test`:
// a passing run means something.
func TestScaffoldFixturesCatchAChange(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tagger")
	_, err := runTransform(t, "new", "--lang", "wat", "--dir", dir, "tagger")
	require.NoError(t, err)
	out, err := runTransform(t, "build", dir)
	require.NoError(t, err, out)
	assert.Regexp(t, `(?m)^building .*tagger \(wat\) … \d+(\.\d)? m?s$`, out, "the toolchain's run, timed")
	other := filepath.Join(t.TempDir(), "other.json")
	require.NoError(t, os.WriteFile(other, []byte(`{"cases":[{"name":"keeps empty","in":[{"value":""}],"want":[{"out":[{"value":""}]}]}]}`), 0o644))
	out, err = runTransform(t, "test", "--fixtures", other, filepath.Join(dir, "tagger.wasm"))
	require.Error(t, err)
	assert.Contains(t, out, "1 failed")
}

func TestNewRefuses(t *testing.T) {
	existing := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"new", "--lang", "cobol", "--dir", filepath.Join(existing, "x"), "x"}, `--lang "cobol": want go, c, rust, as or wat`},
		{[]string{"new", "--lang", "c", "--dir", filepath.Join(existing, "x"), "Bad/Name"}, `transform name "Bad/Name": want lower-case letters`},
		{[]string{"new", "--lang", "c", "--dir", existing, "x"}, "exists: weir transform new writes a new directory only"},
		{[]string{"new", "--lang", "go", "--dir", filepath.Join(existing, "y"), "--weir", existing, "y"}, "no go.mod of module github.com/weirstream/weir there"},
		{[]string{"build", existing}, "manifest.json: no such file or directory"},
	} {
		out, err := runTransform(t, c.args...)
		require.Error(t, err, "%v", c.args)
		assert.Contains(t, out+err.Error(), c.want, "%v", c.args)
	}
}
