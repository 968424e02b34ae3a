// Command enrich is weir's lookup transform: it takes a key from each JSON
// record (a path, found by the host: field projection), looks every record's key of the batch up in one call to
// the kv capability (a Benthos cache the pipeline grants as namespace
// "lookup": memory, lru, ttlru or weir_redis), and writes the value found
// (JSON) at a target path. A record whose key is missing from the store,
// or that has none, is kept, flagged or routed (on_miss). A record that is
// not JSON, or whose key path has several values, fails. Protobuf records
// are not read (plugins/enrich/README.md).
package main

import (
	weir "github.com/weirstream/weir/sdk/go"
)

var (
	en     *enricher
	state  batchState
	fstate fieldsState
)

// init registers both ways of serving: projected (the host finds the key
// and the target, fields.go), or, on a schema-bound pipeline, where the
// host gives the fields itself and serves no insertion paths, full values
// (enrich.go), the guest scanning each record.
func init() {
	weir.OnInit(func(config []byte) error {
		var err error
		if en, err = newEnricher(config); err != nil || en.schemaBound {
			return err
		}
		return en.project()
	})
	weir.OnBatch(func(values [][]byte) error { return en.onBatch(&state, values) })
	weir.Handle(func(r *weir.Record) error { return en.handle(&state, r) })
	weir.OnFieldsBatch(func(v *weir.FieldsBatch) error { return en.onFieldsBatch(&fstate, v) })
	weir.HandleFields(func(r *weir.Fields) error { return en.handleFields(&fstate, r) })
}

func main() {}
