package weir

import (
	"bytes"
	"fmt"
)

// A transform that hides the local part of every customer email. The host
// finds the values; the handler sees only them and answers replacements.
func ExampleHandleFields() {
	saved := projection
	defer func() { projection = saved }()

	// In a transform: weir.Project from weir.OnInit, weir.HandleFields from init.
	if err := Project("customer.email"); err != nil {
		panic(err)
	}
	HandleFields(func(r *Fields) error {
		for i := range r.Len() {
			_, typ, v := r.Field(i)
			if typ != TypeString {
				continue // null, a number, ...: left as it is
			}
			at := bytes.LastIndexByte(v, '@')
			if at < 0 {
				at = len(v)
			}
			// Built on Scratch: no buffer of our own, nothing copied.
			r.SetStringBytes(i, append(append(r.Scratch(), "***"...), v[at:]...))
		}
		return nil
	})

	// What the host sends for {"customer":{"email":"jane@x.com"}} and
	// {"customer":{"email":null}}, and the answer it splices back.
	var b fieldsBatch
	out, _ := b.process(encodeFieldsBatch(
		inRecord{fields: []inField{{0, TypeString, "jane@x.com"}}},
		inRecord{fields: []inField{{0, TypeNull, "null"}}},
	), projection.paths, projection.handler)
	lines, _ := readOutput(out)
	for _, line := range lines {
		fmt.Println(line)
	}
	// Output:
	// 0 emit f0/1=***@x.com
	// 1 emit
}
