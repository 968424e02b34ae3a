package main

import (
	"bytes"
	"os"
	"testing"
)

// benchConfigs are the masks the benchmarks run: the reference mask (the
// issue's workload) and one that tokenizes every item's SKU with HMAC.
var benchConfigs = []struct{ name, config string }{
	{"ref", refConfig},
	{"hmac", `{"hmac_key":"k","fields":[{"path":"customer.email","action":"email"},{"path":"items.*.sku","action":"hmac"}]}`},
}

func benchOrders(b *testing.B) [][]byte {
	data, err := os.ReadFile("../../bench/testdata/orders-1k.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Split(bytes.TrimSpace(data), []byte("\n"))
}

// BenchmarkMaskWhole is the full-value path natively: one scan of the
// record, the masked values spliced into a new copy. Per record.
func BenchmarkMaskWhole(b *testing.B) {
	lines := benchOrders(b)
	for _, c := range benchConfigs {
		b.Run(c.name, func(b *testing.B) {
			m, err := newMasker([]byte(c.config))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := m.apply(lines[i%len(lines)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
