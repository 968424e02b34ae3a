// Command route is weir's router: ordered rules of predicates on JSON
// fields (equals, in, prefix, regex, numeric range, exists) send each
// record to ports, drop it, or keep it on the default port. Mode "first"
// takes the first matching rule, mode "all" fans a copy out to every
// matching rule's ports; a record no rule matches goes to the default
// target. Its manifest declares the port "*": the config names the ports,
// and the pipeline's switch output routes on the port metadata.
//
// The router declares its paths to the host (field projection,
// docs/abi.md §4b): it sees only the values at them, so its cost follows
// the number of fields, not the record's size, and a record that is not
// JSON fails at the host with class bad_input. Config "projection": false,
// or paths that could meet in one value, make it scan whole values itself
// (a record that is not JSON then fails as guest_error); the verdicts are
// the same. Regexes are Go's RE2: compiled once per instance, matched in
// time linear in the value (plugins/route/README.md).
package main

import (
	weir "github.com/weirstream/weir/sdk/go"
)

var rt *router

func init() {
	weir.OnInit(func(config []byte) error {
		var err error
		if rt, err = newRouter(config); err != nil {
			return err
		}
		if rt.project {
			return weir.Project(rt.paths...)
		}
		return nil
	})
	weir.Handle(func(r *weir.Record) error { return rt.scan(r) })
	weir.HandleFields(func(r *weir.Fields) error { return rt.fields(r) })
}

func main() {}
