package runtime

import (
	"bufio"
	"os"
	"testing"
)

// orderBatch is the first 64 orders of the reference corpus.
func orderBatch(b *testing.B) []Record {
	f, err := os.Open("../bench/testdata/orders-1k.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var recs []Record
	for sc := bufio.NewScanner(f); sc.Scan() && len(recs) < 64; {
		recs = append(recs, Record{Value: append([]byte(nil), sc.Bytes()...)})
	}
	return recs
}

// BenchmarkBatchEncode is the host's side of sending a batch of 64
// orders: the full-value encoding against projection (scan, then encode)
// of the reference mask's three paths, with the bytes each sends:
//
//	go test -run - -bench BatchEncode -count 6 ./runtime
func BenchmarkBatchEncode(b *testing.B) {
	recs := orderBatch(b)
	b.Run("full", func(b *testing.B) {
		buf := make([]byte, encodedSize(recs))
		b.ReportMetric(float64(len(buf)), "bytes/batch")
		for i := 0; i < b.N; i++ {
			encodeBatch(buf[:encodedSize(recs)], recs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
	})
	b.Run("projected", func(b *testing.B) {
		p := newProjection(b, "customer.email", "customer.phone", "customer.card")
		buf := make([]byte, p.scan(recs, "t"))
		b.ReportMetric(float64(len(buf)), "bytes/batch")
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			p.encode(buf[:p.scan(recs, "t")], recs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
	})
}

// BenchmarkDecodeProjected is the host's side of a projected reply: a
// batch of 64 orders whose three masked fields each come back as text,
// checked, charged and spliced:
//
//	go test -run - -bench DecodeProjected -count 6 ./runtime
func BenchmarkDecodeProjected(b *testing.B) {
	recs := orderBatch(b)
	p := newProjection(b, "customer.email", "customer.phone", "customer.card")
	p.scan(recs, "t")
	reply := out{}.u32(uint32(len(recs)))
	for i := range recs {
		reply = reply.u32(uint32(i)).u8(kindEmit).u8(flagFields).u32(3).
			u32(0).u8(replText).str("j***@mail.example.org").
			u32(1).u8(replText).str("+34-***-****").
			u32(2).u8(replText).str("************8868")
	}
	lim := PoolConfig{}.withDefaults().outputLimits(recs)
	var into Outcomes
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeProjected(reply, recs, &Manifest{}, lim, p, &into, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
