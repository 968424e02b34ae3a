// Package runtime runs weir's sandboxed WebAssembly transforms on wazero.
//
// An Engine admits and compiles modules (with an in-memory and on-disk
// compilation cache), a Module is one admitted transform version, and a Pool
// holds warm instances of it and runs batches through the guest ABI
// (docs/abi.md). It has no Benthos dependency: any Go program can embed it.
package runtime
