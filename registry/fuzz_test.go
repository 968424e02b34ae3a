package registry_test

import (
	"testing"

	"github.com/weirstream/weir/registry"
)

// FuzzParseRef: a reference never panics the parser, a parsed one names a
// repository that stays inside the store, and its String parses back to it.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"oci://127.0.0.1:5000/weir/mask:v2", "local://mask@sha256:" + sixtyFour, "local://a/../b", "oci:///x", "local://x:y:z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := registry.ParseRef(s)
		if err != nil {
			return
		}
		back, err := registry.ParseRef(r.String())
		if err != nil || back != r {
			t.Fatalf("%q parsed to %+v, whose String %q parses to %+v, %v", s, r, r.String(), back, err)
		}
	})
}
