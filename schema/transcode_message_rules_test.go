package schema

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMessageRulesAreNotSkipped: a message-level CEL rule is enforced on
// every path: the plan refuses the type (and any type holding it), so a
// record breaking the rule fails, transcoded or checked in place.
func TestMessageRulesAreNotSkipped(t *testing.T) {
	for _, name := range []string{"celrules.v1.M", "celrules.v1.Outer"} {
		c := codecFor(t, "testdata", "celrules.proto", name)
		fast, why := c.Fast()
		assert.False(t, fast, name)
		assert.Contains(t, why, "celrules.v1.M has message rules")
		in := []byte(`{"a":5,"b":1}`)
		if name == "celrules.v1.Outer" {
			in = []byte(`{"m":{"a":5,"b":1}}`)
		}
		_, err := c.JSONToBinary(in)
		require.Error(t, err, name)
		assert.Equal(t, ClassViolation, ClassOf(err))
		assert.Error(t, c.CheckJSON(in))
		_, err = c.Project([]string{"a"})
		assert.Error(t, err, "a type the plan does not take is not projected")
	}
}
