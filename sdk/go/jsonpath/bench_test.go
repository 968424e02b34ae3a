package jsonpath

import (
	"bufio"
	"os"
	"testing"
)

// orders is the reference corpus (bench/testdata/orders-1k.jsonl), one
// order per line.
func orders(tb testing.TB) [][]byte {
	tb.Helper()
	f, err := os.Open("../../../bench/testdata/orders-1k.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var docs [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		docs = append(docs, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return docs
}

// maskSet is the reference mask's three paths.
func maskSet(tb testing.TB) *Set {
	s, err := NewSet(MustCompile("customer.email"), MustCompile("customer.phone"), MustCompile("customer.card"))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchmarkSpansOrders is the host's per-record scan: Set.Spans over the
// orders with the mask's paths, one order per op; "reference" is the
// scanner before its fast paths (reference_test.go), for A/B runs:
//
//	go test -run - -bench SpansOrders -count 6 ./sdk/go/jsonpath
func BenchmarkSpansOrders(b *testing.B) {
	docs, set := orders(b), maskSet(b)
	b.Run("fast", func(b *testing.B) { benchSpans(b, docs, set.Spans) })
	b.Run("reference", func(b *testing.B) { benchSpans(b, docs, set.refSpans) })
}

func benchSpans(b *testing.B, docs [][]byte, spans func([]byte, []Match) ([]Match, error)) {
	var ms []Match
	var bytes int
	for _, d := range docs {
		bytes += len(d)
	}
	b.SetBytes(int64(bytes / len(docs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		if ms, err = spans(docs[i%len(docs)], ms[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateOrders is Validate over the orders, one order per op:
// a document no path reaches into, all of it skipDead's.
func BenchmarkValidateOrders(b *testing.B) {
	docs := orders(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := Validate(docs[i%len(docs)]); err != nil {
			b.Fatal(err)
		}
	}
}
