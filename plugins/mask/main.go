// Command mask is weir's PII-masking transform: it rewrites JSON fields by
// path (redact, keep the last N characters, hide an email's local part, or
// replace with an HMAC-SHA256 token), in nested objects and arrays, at every
// occurrence, after validating the whole record; or, schema-bound, binary
// protobuf fields marked sensitive, refusing fields the schema does not
// declare. A record it cannot vouch for fails (docs/RATIONALE.md, "Why does
// the mask validate the whole document?").
//
// In JSON mode the mask declares its rules' paths to the host (field
// projection, docs/abi.md §4b): the host validates and scans each record
// natively and the mask sees only the values to mask, so its cost follows
// the fields, not the record's size. Config "projection": false (default
// true) makes it scan the whole value itself instead, with the same output
// for every record; a record that is not JSON then fails in the mask
// (guest_error) rather than at the host (bad_input). Protobuf mode always
// reads the whole value (docs/RATIONALE.md, "Why does the mask declare its
// fields?").
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
