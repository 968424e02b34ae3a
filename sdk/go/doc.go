// Package weir is the guest SDK for writing weir transforms in standard Go.
//
// Register a handler in init, build with GOOS=wasip1 GOARCH=wasm
// -buildmode=c-shared, and pack a manifest with `weir transform pack`.
// The handler sees one record at a time; the SDK speaks ABI v1 (docs/abi.md)
// underneath, one host call per batch. Standard library only.
//
//	func init() {
//		weir.Handle(func(r *weir.Record) error {
//			r.SetValue(bytes.ToUpper(r.Value()))
//			return nil
//		})
//	}
//
//	func main() {}
//
// A transform that reads and rewrites a few JSON fields declares their
// paths instead (field projection, docs/abi.md §4b): it calls Project from
// OnInit and registers a HandleFields handler. The host then scans each
// record natively, hands the guest only the values at those paths, and
// splices the replacements back, so the guest's cost follows the fields,
// not the record's size. The batch, its values and the replacements live
// in buffers the SDK reuses, so a handler that allocates nothing makes no
// allocation per record.
//
//	func init() {
//		weir.OnInit(func([]byte) error { return weir.Project("customer.email") })
//		weir.HandleFields(func(r *weir.Fields) error {
//			for i := range r.Len() {
//				if r.Type(i) == weir.TypeString {
//					r.SetString(i, "***")
//				}
//			}
//			return nil
//		})
//	}
//
// Replacements set in field order are written straight into the output
// the host reads; a handler that builds a new text by appending to
// Fields.Scratch and passes it to SetStringBytes needs no buffer of its
// own and is copied nothing. ProcessFieldsBatch runs a HandleFields
// handler natively, outside wasm, for a transform's tests.
package weir
