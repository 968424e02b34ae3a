// Package bench measures weir's per-message cost through a real Benthos
// pipeline, against the same job done by bloblang and by native Go, on the
// shared orders workload (testdata/orders-1k.jsonl). `make bench` runs every
// case interleaved in one process and writes docs/benchmarks.md.
package bench
