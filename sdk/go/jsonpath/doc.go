// Package jsonpath reads and rewrites fields of a JSON document by path
// without encoding/json: no reflection, no allocation while scanning. In a
// Go wasm guest that is the difference between ~5 µs and ~180 µs for a
// 500-byte message (docs/benchmarks.md).
//
// A path is dot-separated: "customer.email", "items.0.sku", and "*" matches
// every member of an object or element of an array: "items.*.price".
//
// Every scan reads and validates the whole document (strict RFC 8259, see
// Set.Each) and reports every value at a path — each duplicate of a key or
// of a parent included — so a rewrite built on it (a mask) reaches every
// value any JSON parser could read there. A Set scans many paths in one pass.
package jsonpath
