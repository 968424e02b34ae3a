package weir

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"testing"
)

// BenchmarkBatchProcess is the SDK's own work on a batch of 64 orders with
// a handler that keeps every record (the echo plugin), natively: decoding,
// the handler calls and the output encoding, without the wasm call around
// them. The same code runs in the guest, several times slower.
//
//	go test -run XXX -bench BatchProcess -count 6 ./sdk/go
func BenchmarkBatchProcess(b *testing.B) {
	in := benchBatch(b, 64)
	var st batch
	keep := func(*Record) error { return nil }
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := st.process(in, keep); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*64), "ns/msg")
}

// benchBatch encodes the first n benchmark orders as an input batch.
func benchBatch(tb testing.TB, n int) []byte {
	raw, err := os.ReadFile("../../bench/testdata/orders-1k.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	le := binary.LittleEndian
	out := le.AppendUint32(nil, uint32(n))
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for i := 0; i < n && sc.Scan(); i++ {
		out = le.AppendUint32(out, uint32(len(sc.Bytes())))
		out = append(out, sc.Bytes()...)
		out = le.AppendUint32(out, 0)
	}
	return out
}
