// Package schema binds transforms to protobuf: it compiles .proto files at
// run time (protocompile, no protoc), resolves message types, converts
// JSON ⇄ binary protobuf with explicit limits, validates with protovalidate
// (buf.validate rules) — both with a plan compiled per type at load where
// the type allows, the reflective path deciding whatever the plan does not
// take — and checks that two message types are
// wire-compatible (docs/schemas.md). It has no Benthos dependency.
package schema
