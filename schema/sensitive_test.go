package schema

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSensitiveFieldsFromOptions(t *testing.T) {
	c := orderCodec(t)
	var got []string
	for _, s := range SensitiveFields(c.Type) {
		got = append(got, s.String())
	}
	assert.Equal(t, []string{
		"customer.name(3.2): name → hmac",
		"customer.email(3.3): email → email_domain",
		"customer.phone(3.4): phone → last4",
		"customer.card(3.5): card → last4",
	}, got)
}

func TestSensitiveThroughMapsAndRepeated(t *testing.T) {
	md := message(t, `import "weir/options/v1/options.proto";
message M { repeated N ns = 1; map<string, string> notes = 2 [(weir.options.v1.sensitive).kind = KIND_FREE_TEXT]; map<string, N> byid = 3; M self = 4; }
message N { string secret = 1 [(weir.options.v1.sensitive) = {kind: KIND_SECRET, action: ACTION_HMAC}]; }`)
	var got []string
	for _, s := range SensitiveFields(md) {
		got = append(got, s.String())
	}
	assert.Equal(t, []string{
		"ns.secret(1.1): secret → hmac",
		"notes[*](2.2): free_text → redact",
		"byid[*].secret(3.2.1): secret → hmac",
	}, got)
}
