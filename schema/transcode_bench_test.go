package schema

import "testing"

// BenchmarkCodec compares, on the orders workload, the plain path
// (protojson, dynamicpb, protovalidate) with the compiled plan, each way:
//
//	go test -run XXX -bench Codec -count 6 ./schema
func BenchmarkCodec(b *testing.B) {
	c := orderCodec(b)
	orders := ordersCorpus(b)
	bins := make([][]byte, len(orders))
	for i, o := range orders {
		bin, err := c.JSONToBinary(o)
		if err != nil {
			b.Fatal(err)
		}
		bins[i] = bin
	}
	run := func(name string, in [][]byte, f func([]byte) error) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := f(in[i%len(in)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("json-to-binary/plain", orders, func(o []byte) error { _, err := slowJSON(c, o); return err })
	run("json-to-binary/plan", orders, func(o []byte) error { _, err := c.JSONToBinary(o); return err })
	run("binary-to-json/plain", bins, func(o []byte) error { _, err := slowWire(c, o); return err })
	run("binary-to-json/plan", bins, func(o []byte) error { _, err := c.BinaryToJSON(o); return err })
	run("check-binary/plain", bins, func(o []byte) error {
		m, err := c.FromBinary(o)
		if err != nil {
			return err
		}
		return c.Validate(m)
	})
	run("check-binary/plan", bins, func(o []byte) error { return c.CheckBinary(o) })
}

// BenchmarkProjectCheck is the host's check scan of a projected bound
// JSON stream (Projection.Check) on the orders workload with the
// reference mask's three paths. Count its instructions with callgrind,
// collecting inside Check only (load does not change them):
//
//	go test -c -o schema.test ./schema
//	valgrind --tool=callgrind --toggle-collect='github.com/weirstream/weir/schema.(*Projection).Check' \
//	  ./schema.test -test.run XXX -test.bench ProjectCheck -test.benchtime 3000x
func BenchmarkProjectCheck(b *testing.B) {
	p, err := orderCodec(b).Project([]string{"customer.email", "customer.phone", "customer.card"})
	if err != nil {
		b.Fatal(err)
	}
	orders := ordersCorpus(b)
	var found []Found
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, found, err = p.Check(orders[i%len(orders)], found[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
