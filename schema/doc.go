// Package schema binds transforms to protobuf: it compiles .proto files at
// run time (protocompile, no protoc), resolves message types, converts
// JSON ⇄ binary protobuf with explicit limits, validates with protovalidate
// (buf.validate rules), and checks that two message types are
// wire-compatible (docs/schemas.md). It has no Benthos dependency.
package schema
