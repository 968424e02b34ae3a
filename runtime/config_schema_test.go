package runtime_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

const maskLikeSchema = `{"type":"object","required":["fields"],"properties":{"fields":{"type":"array","items":{"type":"object","required":["path","action"],"properties":{"path":{"type":"string"},"action":{"enum":["redact","email"]}}}}}}`

// echoWith is the echo guest under a manifest with the given schema.
func echoWith(t *testing.T, schema string) []byte {
	wasm, err := runtime.Pack(rawWAT(t, "echo"), runtime.Manifest{ABI: runtime.ABIVersion, Name: "echo", Version: "1", ConfigSchema: json.RawMessage(schema)})
	require.NoError(t, err)
	return wasm
}

// Issue 13, case 8: a pool's config is checked against the manifest's
// config_schema before any instance starts; the error names each field.
func TestConfigIsCheckedAgainstTheManifestsSchema(t *testing.T) {
	ctx := context.Background()
	e, _ := newEngine(t, runtime.EngineConfig{})
	m, err := e.Load(ctx, echoWith(t, maskLikeSchema))
	require.NoError(t, err)
	defer m.Close(ctx)
	for config, want := range map[string][]string{
		`{"fields":[{"path":"a","action":"shout"}]}`:                    {`field "fields.0.action": value must be one of`},
		`{"fields":[{"action":"redact"}, {"path":7,"action":"email"}]}`: {`field "fields.0": missing property 'path'`, `field "fields.1.path": got number, want string`},
		``:         {`field (the config itself): missing property 'fields'`},
		`not json`: {"config is not JSON"},
	} {
		_, err := m.NewPool(ctx, runtime.PoolConfig{Size: 1, Config: []byte(config)})
		require.Error(t, err, config)
		assert.Equal(t, runtime.ClassConfig, runtime.ClassOf(err), config)
		for _, w := range want {
			assert.ErrorContains(t, err, w, config)
		}
	}
	assert.Equal(t, 0, runtime.Instances(e), "nothing started for a refused config")
	p, err := m.NewPool(ctx, runtime.PoolConfig{Size: 1, Config: []byte(`{"fields":[{"path":"a","action":"email"}]}`)})
	require.NoError(t, err)
	p.Close(ctx)
}

// A config_schema is compiled at admission: a broken one, or one that
// refers outside itself (which would have the host read its files), is
// refused before the module compiles.
func TestConfigSchemaIsAdmitted(t *testing.T) {
	ctx := context.Background()
	e, _ := newEngine(t, runtime.EngineConfig{})
	secret := filepath.Join(t.TempDir(), "secret.json")
	require.NoError(t, os.WriteFile(secret, []byte(`{"type":"string"}`), 0o600))
	for schema, want := range map[string]string{
		`{"$ref":"file://` + secret + `"}`:      "may not refer outside itself",
		`{"$ref":"https://example.com/s.json"}`: "may not refer outside itself",
		`{"type":"no such type"}`:               "config_schema",
	} {
		_, err := e.Load(ctx, echoWith(t, schema))
		require.ErrorIs(t, err, runtime.ErrAdmission, schema)
		assert.ErrorContains(t, err, want, schema)
	}
}

// The shipped plugins' manifests, config_schema included, still load.
func TestShippedManifestsLoad(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	paths, err := filepath.Glob(filepath.Join(fixtures.Root(), "plugins/*/manifest.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var man runtime.Manifest
		require.NoError(t, json.Unmarshal(b, &man), path)
		m, err := e.Load(context.Background(), must(runtime.Pack(rawWAT(t, "echo"), man)))
		require.NoError(t, err, path)
		_ = m.Close(context.Background())
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// withCustomSection appends a custom section, bypassing Pack's checks.
func withCustomSection(module []byte, name string, body []byte) []byte {
	payload := append(uleb(uint64(len(name))), name...)
	payload = append(payload, body...)
	out := append([]byte{}, module...)
	out = append(out, 0)
	out = append(out, uleb(uint64(len(payload)))...)
	return append(out, payload...)
}

func uleb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
