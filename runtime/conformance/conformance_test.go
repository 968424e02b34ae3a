package conformance_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/runtime/conformance"
)

func load(t *testing.T, wasm []byte) *runtime.Module {
	t.Helper()
	e, err := runtime.NewEngine(context.Background(), runtime.EngineConfig{CacheDir: fixtures.CacheDir(t), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	m, err := e.Load(context.Background(), wasm)
	require.NoError(t, err)
	return m
}

func caseNamed(t *testing.T, r conformance.Result, name string) conformance.Case {
	for _, c := range r.Cases {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no case %q", name)
	return conformance.Case{}
}

// The echo guest keeps every record: the vectors that want anything else
// fail, each with the record and field that differ.
func TestRunNamesTheRecordAndFieldThatDiffer(t *testing.T) {
	m := load(t, fixtures.WAT(t, "runtime/testdata/guests/echo.wat"))
	res, err := conformance.Run(context.Background(), m, conformance.Vectors(), runtime.PoolConfig{})
	require.NoError(t, err)
	require.Len(t, res.Cases, len(conformance.Vectors().Cases))

	assert.Empty(t, caseNamed(t, res, "keep unchanged").Diffs)
	assert.Equal(t, []conformance.Diff{{Record: 0, Field: "out[0].value", Want: `"hello"`, Got: `"set:hello"`}},
		caseNamed(t, res, "rewrite").Diffs)
	assert.Equal(t, []conformance.Diff{{Record: 1, Field: "error", Want: `"bad record"`, Got: "(none)"},
		{Record: 2, Field: "out[0].value", Want: `"x"`, Got: `"set:x"`}},
		caseNamed(t, res, "error leaves batch-mates alone").Diffs)
	assert.Equal(t, []conformance.Diff{{Record: 0, Field: "out[0].meta.x", Want: `"1"`, Got: "(none)"}},
		caseNamed(t, res, "set metadata").Diffs)
	assert.Equal(t, []conformance.Diff{{Record: 0, Field: "outputs", Want: "2", Got: "1"},
		{Record: 0, Field: "out[0].port", Want: `"a"`, Got: "(none)"}},
		caseNamed(t, res, "route to two ports").Diffs)
	assert.Equal(t, []conformance.Diff{{Record: -1, Field: "batch", Want: "a bad_output failure", Got: "verdicts"}},
		caseNamed(t, res, "route to an undeclared port is bad output").Diffs)
	assert.Positive(t, res.Failed())
	assert.Less(t, res.Failed(), len(res.Cases))

	var out bytes.Buffer
	res.Write(&out, false)
	assert.Contains(t, out.String(), "FAIL  rewrite\n      record 0 out[0].value: want \"hello\", got \"set:hello\"\n")
	assert.Contains(t, out.String(), "      batch: want a bad_output failure, got verdicts\n")
	assert.NotContains(t, out.String(), "keep unchanged")
}

// A guest that fails the whole batch is reported per case, not as an
// error of the run: the remaining cases still run.
func TestRunReportsATrapPerCase(t *testing.T) {
	m := load(t, fixtures.WAT(t, "runtime/testdata/guests/trap.wat"))
	res, err := conformance.Run(context.Background(), m, conformance.Vectors(), runtime.PoolConfig{})
	require.NoError(t, err)
	d := caseNamed(t, res, "keep unchanged").Diffs
	require.Len(t, d, 1)
	assert.Equal(t, "batch", d[0].Field)
	assert.Contains(t, d[0].Got, "trap")
}

func TestRunFailsWhenInitRefusesTheConfig(t *testing.T) {
	m := load(t, fixtures.C(t, "sdk/c/conformance"))
	_, err := conformance.Run(context.Background(), m, conformance.Vectors(), runtime.PoolConfig{Config: []byte("fail")})
	require.ErrorIs(t, err, runtime.ErrGuest)
	assert.Contains(t, err.Error(), "config says fail")
}
