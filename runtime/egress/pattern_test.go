package egress_test

import (
	"testing"

	"github.com/weirstream/weir/runtime/egress"
)

// A grant covers a declared pattern only if it allows every host the
// pattern matches.
func TestCovers(t *testing.T) {
	cases := []struct {
		grant, declared string
		want            bool
	}{
		{"api.example.com", "api.example.com", true},
		{"*.example.com", "api.example.com", true},
		{"*.example.com", "a.b.example.com", true},
		{"*.example.com", "*.svc.example.com", true},
		{"*.example.com", "*.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "api.badexample.com", false},
		{"api.example.com", "*.example.com", false},
		{"*.svc.example.com", "*.example.com", false},
		{"127.0.0.1", "127.0.0.1", true},
		{"*.0.0.1", "127.0.0.1", false}, // a wildcard never covers an address
	}
	for _, c := range cases {
		if got := egress.Covers(c.grant, c.declared); got != c.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", c.grant, c.declared, got, c.want)
		}
	}
	for _, bad := range []string{"", "*.", "*.*.example.com", "Example.com", "a..b", "a b", "*.10.0.0.1", "exa_mple.com", "api.example.com."} {
		if egress.CheckPattern(bad) == nil {
			t.Errorf("CheckPattern(%q) accepted it", bad)
		}
	}
}
