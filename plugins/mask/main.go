// Command mask is weir's PII-masking transform: it rewrites JSON fields by
// path (redact, keep the last N characters, hide an email's local part, or
// replace with an HMAC-SHA256 token), in nested objects and arrays, at every
// occurrence, after validating the whole record; or, schema-bound, binary
// protobuf fields marked sensitive, refusing fields the schema does not
// declare. A record it cannot vouch for fails (docs/RATIONALE.md, "Why does
// the mask validate the whole document?").
package main

import (
	weir "github.com/weirstream/weir/sdk/go"
)

var m *masker

func init() {
	weir.OnInit(func(config []byte) error {
		var err error
		if m, err = newMasker(config); err != nil {
			return err
		}
		if paths := m.projectedPaths(); paths != nil {
			return weir.Project(paths...)
		}
		return nil
	})
	weir.Handle(func(r *weir.Record) error {
		out, err := m.apply(r.Value())
		if err != nil {
			return err
		}
		r.SetValue(out)
		return nil
	})
	weir.HandleFields(func(r *weir.Fields) error { return m.applyFields(r) })
}

func main() {}
