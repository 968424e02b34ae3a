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

func TestShapesReachRecursionAndMapValues(t *testing.T) {
	md := message(t, `import "weir/options/v1/options.proto";
message M { repeated N ns = 1; map<string, string> notes = 2 [(weir.options.v1.sensitive).kind = KIND_FREE_TEXT]; map<string, N> byid = 3; M self = 4; int64 ssn = 5 [(weir.options.v1.sensitive).kind = KIND_SECRET]; bytes blob = 6; repeated float fs = 7; }
message N { string secret = 1 [(weir.options.v1.sensitive) = {kind: KIND_SECRET, action: ACTION_HMAC}]; }`)
	shapes := Shapes(md)
	m := shapes[string(md.FullName())]
	assert.Equal(t, FieldShape{Message: string(md.FullName()), Wire: 2}, m[4], "a recursive field names its own type: one entry, every depth")
	assert.Equal(t, FieldShape{Kind: "secret", Action: "redact"}, m[5], "a non-text field keeps its mark")
	assert.Equal(t, FieldShape{Text: true, Wire: 2}, m[6])
	assert.Equal(t, FieldShape{Wire: 5, Packable: true}, m[7])
	notes := shapes[m[2].Message]
	assert.Equal(t, FieldShape{Text: true, Wire: 2}, notes[1], "map keys are not marked")
	assert.Equal(t, FieldShape{Text: true, Wire: 2, Kind: "free_text", Action: "redact"}, notes[2], "the map's mark is on its values")
	n := shapes[m[1].Message]
	assert.Equal(t, FieldShape{Text: true, Wire: 2, Kind: "secret", Action: "hmac"}, n[1])
	assert.Equal(t, n, shapes[shapes[m[3].Message][2].Message], "map values of type N share N's shape")
	assert.Len(t, shapes, 4) // M, N, and two map entries
}
