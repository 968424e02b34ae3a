package runtime_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// A manifest declaring an unknown capability is refused naming the known
// ones; the list form of early drafts is refused with the form to use.
func TestCapabilityDeclarationsAreChecked(t *testing.T) {
	echo := rawWAT(t, "echo")
	for _, tc := range []struct{ caps, want string }{
		{`{"kv_lookup": {}}`, `unknown capability "kv_lookup"; known: kv, metrics`},
		{`["kv", "http"]`, `capabilities must be an object of capability name → declaration`},
		{`{"kv": {}}`, `capability "kv": declares no namespace`},
		{`{"kv": {"namespaces": ["a/b"]}}`, `namespace "a/b": want 1 to 64 of`},
		{`{"kv": {"namespaces": ["a", "a"]}}`, `namespace "a" declared twice`},
		{`{"kv": {"namespaces": ["a"], "writes": true}}`, `unknown field "writes"`},
		{`{"metrics": {"counters": ["Bad-Name"]}}`, `counters: name "Bad-Name"`},
		{`{"metrics": {"timers": ["x"]}}`, `unknown metric kind "timers"`},
		{`{"metrics": {"counters": ["x"], "gauges": ["x"]}}`, `metric "x" declared twice`},
	} {
		body := `{"abi": 1, "name": "echo", "version": "1", "capabilities": ` + tc.caps + `}`
		e, _ := newEngine(t, runtime.EngineConfig{})
		_, err := e.Load(context.Background(), withCustomSection(echo, runtime.ManifestSection, []byte(body)))
		require.ErrorIs(t, err, runtime.ErrAdmission, tc.caps)
		assert.ErrorContains(t, err, tc.want, tc.caps)
	}
}

// Too many guest metrics are refused at admission.
func TestTooManyGuestMetricsAreRefused(t *testing.T) {
	names := make([]string, runtime.MaxGuestMetrics+1)
	for i := range names {
		names[i] = "m" + string(rune('a'+i/26)) + string(rune('a'+i%26))
	}
	caps, err := json.Marshal(map[string]any{"metrics": map[string]any{"counters": names}})
	require.NoError(t, err)
	_, err = runtime.Pack(rawWAT(t, "echo"), runtime.Manifest{ABI: 1, Name: "echo", Version: "1", Capabilities: runtime.Declarations{"metrics": caps[len(`{"metrics":`) : len(caps)-1]}})
	require.ErrorContains(t, err, "declares 65 metrics, over the cap of 64")
}

// A module importing a capability's host functions without declaring the
// capability is refused at admission, naming the capability.
func TestUndeclaredCapabilityImportIsRefused(t *testing.T) {
	packed, err := runtime.Pack(rawWAT(t, "kvproxy"), runtime.Manifest{ABI: 1, Name: "kvproxy", Version: "1"})
	require.NoError(t, err)
	e, _ := newEngine(t, runtime.EngineConfig{})
	_, err = e.Load(context.Background(), packed)
	require.ErrorIs(t, err, runtime.ErrAdmission)
	assert.ErrorContains(t, err, `import weir_kv.get_many belongs to capability "kv", which the manifest does not declare`)

	report := runtime.Inspect(packed, runtime.EngineConfig{})
	require.ErrorIs(t, report.Err, runtime.ErrAdmission, "inspect agrees with load")
}

// A pool that does not grant what the module declares is refused before
// any instance starts, with the processor config that would grant it.
func TestUngrantedCapabilityIsRefusedAtAdmission(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	m, err := e.Load(context.Background(), wat(t, "kvproxy"))
	require.NoError(t, err)
	defer m.Close(context.Background())
	store := newMapStore()
	for _, tc := range []struct {
		name   string
		grants []runtime.Grant
		want   []string
	}{
		{"none", nil, []string{`declares capability "kv", which this pipeline does not grant; grant it in the wasm processor's config:`,
			"  capabilities:\n    kv:\n      namespaces:\n        risk:\n          cache: <a cache_resources label>\n          write: true\n        other:\n"}},
		{"one namespace short", []runtime.Grant{runtime.KVGrant{Namespaces: map[string]runtime.KVNamespace{"risk": {Store: store, Write: true}}}},
			[]string{`capability "kv": namespace "other" is not granted`}},
		{"read-only", []runtime.Grant{runtime.KVGrant{Namespaces: map[string]runtime.KVNamespace{"risk": {Store: store, Write: true}, "other": {Store: store}}}},
			[]string{`the module writes, and namespace "other" is granted read-only`}},
		{"overlapping prefixes", []runtime.Grant{runtime.KVGrant{Namespaces: map[string]runtime.KVNamespace{
			"risk": {Store: store, Write: true, Prefix: "r:"}, "other": {Store: store, Write: true, Prefix: "r:o:"}}}},
			[]string{`namespaces "other" (prefix "r:o:") and "risk" (prefix "r:") share a store and their keys could meet`}},
		{"no store", []runtime.Grant{runtime.KVGrant{Namespaces: map[string]runtime.KVNamespace{"risk": {Write: true}, "other": {Store: store, Write: true}}}},
			[]string{`namespace "risk" is granted without a store`}},
	} {
		_, err := m.NewPool(context.Background(), runtime.PoolConfig{Grants: tc.grants})
		require.ErrorIs(t, err, runtime.ErrAdmission, tc.name)
		for _, want := range tc.want {
			assert.ErrorContains(t, err, want, tc.name)
		}
	}
	_, err = m.NewPool(context.Background(), runtime.PoolConfig{Grants: []runtime.Grant{runtime.MetricsGrant{}, runtime.MetricsGrant{}}})
	assert.ErrorContains(t, err, `capability "metrics" granted twice`)
}

// Old modules, declaring nothing (or the empty list ABI 1 manifests
// carried before capabilities), load and run with or without grants.
func TestModulesWithoutCapabilitiesNeedNoGrant(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, wat(t, "echo"), runtime.PoolConfig{Grants: []runtime.Grant{runtime.KVGrant{}}})
	out, err := p.Process(context.Background(), records("a"))
	require.NoError(t, err)
	require.Len(t, out, 1)

	old := withCustomSection(rawWAT(t, "echo"), runtime.ManifestSection, []byte(`{"abi": 1, "name": "echo", "version": "0", "capabilities": []}`))
	m, err := e.Load(context.Background(), old)
	require.NoError(t, err)
	assert.Empty(t, m.Manifest.Capabilities)
	require.NoError(t, m.Close(context.Background()))
}

// An import from a capability's module must name one of its functions
// with its exact signature, declared or not.
func TestCapabilityImportsAreChecked(t *testing.T) {
	kv := runtime.Declarations{"kv": []byte(`{"namespaces": ["risk"]}`)}
	for file, want := range map[string]string{
		"kvbadsig": "import weir_kv.get_many has the wrong signature, want (i32, i32, i32, i32, i32, i32) -> (i64)",
		"kvnofunc": `import weir_kv.lookup: capability "kv" has no such host function`,
	} {
		packed, err := runtime.Pack(rawWAT(t, file), runtime.Manifest{ABI: 1, Name: file, Version: "1", Capabilities: kv})
		require.NoError(t, err)
		report := runtime.Inspect(packed, runtime.EngineConfig{})
		require.ErrorIs(t, report.Err, runtime.ErrAdmission, file)
		assert.ErrorContains(t, report.Err, want)
	}
}
