// Package bench measures weir's per-message cost on the shared orders
// workload (testdata/orders-1k.jsonl) against the same job done by
// bloblang, by native Go (encoding/json, and a hand-written byte scanner:
// the floor) and by two peers written here from their public descriptions:
// a per-message ABI in the style of Redpanda Connect's wasm processor
// (peer_connect.go) and the Extism Go SDK (peer_extism.go), their guests
// under guests/. It measures at the processor level (processor.go), through
// Benthos streams (pipeline.go), paced at a fixed rate for latency and what
// coincides with its stalls (latency.go, latency_probe.go, stalls.go), and
// at the runtime level (runtime.go). `make bench` runs every case
// interleaved in one process and writes docs/benchmarks.md.
package bench
