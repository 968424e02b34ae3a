// Package sdk carries what every weir SDK shares whatever its language:
// the ABI conformance vectors (testdata/conformance.json), embedded so
// `weir transform test --conformance` runs them from any directory.
// The SDKs themselves are the subdirectories (go, c, rust).
package sdk

import _ "embed"

// Conformance is the ABI v1 conformance vectors, a runtime.Fixtures
// document. Every case's records are commands to a conformance guest
// (see the document's "about" field); a module passes them when it
// declares the ports "a" and "b".
//
//go:embed testdata/conformance.json
var Conformance []byte
