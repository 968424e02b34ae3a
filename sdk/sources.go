// Package sdk holds the guest SDKs' sources, embedded, for `weir transform
// new` to copy into a scaffold: the C SDK (c/), the AssemblyScript SDK
// (assemblyscript/assembly/) and the Rust SDK (rust/weir/src/). The Go SDK
// is the Go package sdk/go; the conformance vectors are in testdata/.
package sdk

import "embed"

// Sources are the SDK files a scaffold vendors, at their paths under sdk/.
//
//go:embed c/weir.c c/weir.h c/weir_json.h assemblyscript/assembly/*.ts rust/weir/src/*.rs
var Sources embed.FS
