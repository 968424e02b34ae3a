package schema

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSensitiveJSON: the orders' sensitive fields as JSON paths, each
// one the codec projects; a recursive type has none.
func TestSensitiveJSON(t *testing.T) {
	c := orderCodec(t)
	fields, ok := SensitiveJSON(c.Type)
	require.True(t, ok)
	var paths []string
	for _, f := range fields {
		paths = append(paths, f.Name+" "+f.Kind+" "+f.Action)
	}
	assert.Equal(t, []string{"customer.name name hmac", "customer.email email email_domain", "customer.phone phone last4", "customer.card card last4"}, paths)
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	_, err := c.Project(names)
	require.NoError(t, err)

	_, ok = SensitiveJSON(kindsCodec(t, "kinds.v1.Kinds").Type)
	assert.False(t, ok, "Kinds is recursive")
}
