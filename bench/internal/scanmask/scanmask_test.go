package scanmask

import "testing"

func TestMask(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"customer":{"email":"jane@x.com","phone":"+34-555-4701","card":"4822126380948868"}}`,
			`{"customer":{"email":"***@x.com","phone":"***4701","card":"************8868"}}`},
		{`{"card":"1234","email":"a@b"}`, `{"card":"************1234","email":"***@b"}`}, // any order
		{`{"phone":"12","email":"nobody"}`, `{"phone":"***12","email":"***"}`},           // short, no '@'
		{`{"name":"x"}`, `{"name":"x"}`},                                                 // nothing to mask
		{`{"email":"unterminated`, `{"email":"unterminated`},                             // left as it is
		{`{"email":1,"x":{"email":"a@b"}}`, `{"email":1,"x":{"email":"***@b"}}`},         // first string value
		{``, ``},
	} {
		if got := string(Mask(nil, []byte(c.in))); got != c.want {
			t.Errorf("Mask(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestMaskAppends(t *testing.T) {
	got := string(Mask([]byte("> "), []byte(`{"card":"12345678"}`)))
	if want := `> {"card":"************5678"}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
