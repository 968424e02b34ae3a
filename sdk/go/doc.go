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
package weir
