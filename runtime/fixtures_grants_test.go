package runtime

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A fixture run grants what the module declares from memory only: kv
// namespaces hold the fixtures' contents under the default prefix, each
// its own store; metrics go nowhere; http gets no grant (its pool start
// fails naming it); a namespace the module does not declare is refused.
func TestFixtureGrants(t *testing.T) {
	m := Manifest{Capabilities: Declarations{
		"kv":      json.RawMessage(`{"namespaces":["risk","other"],"write":true}`),
		"metrics": json.RawMessage(`{"counters":["n"]}`),
		"http":    json.RawMessage(`{"hosts":["example.org"]}`),
	}}
	f := Fixtures{KV: map[string]map[string]string{"risk": {"c-1": `{"score":1}`}}}
	grants, err := f.FixtureGrants(m)
	require.NoError(t, err)
	require.Len(t, grants, 2, "kv and metrics, no http")
	kv := grants[0].(KVGrant)
	assert.True(t, kv.Namespaces["risk"].Write)
	res := make([]KVResult, 2)
	kv.Namespaces["risk"].Store.GetMany(context.Background(), []string{"risk:c-1", "risk:c-2"}, res)
	assert.Equal(t, []KVResult{{Status: KVFound, Value: []byte(`{"score":1}`)}, {Status: KVMiss}}, res)
	require.NoError(t, kv.Namespaces["other"].Store.Set(context.Background(), "other:k", []byte("v"), 0))
	kv.Namespaces["risk"].Store.GetMany(context.Background(), []string{"other:k"}, res[:1])
	assert.Equal(t, KVMiss, res[0].Status, "each namespace its own store")
	assert.IsType(t, MetricsGrant{}, grants[1])

	f.KV["nope"] = map[string]string{}
	_, err = f.FixtureGrants(m)
	require.ErrorContains(t, err, `fixtures: kv names namespace "nope", which the manifest does not declare`)
	grants, err = Fixtures{}.FixtureGrants(Manifest{})
	require.NoError(t, err)
	assert.Empty(t, grants)
}
