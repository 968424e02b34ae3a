package host

import (
	"testing"

	"github.com/weirstream/weir/schema"
	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// BenchmarkSchemaProjection is the host side of a projected bound JSON
// stream, per record, on the orders workload with the reference mask's
// three paths: "project" is the check scan that finds the fields in the
// same pass (what the host runs); "check+scan" is the alternative, the
// check scan and then the runtime's own jsonpath scan; "check" is the
// check scan alone; "replaced" checks the three masked values:
//
//	go test -run XXX -bench 'SchemaProjection' -count 6 ./host
func BenchmarkSchemaProjection(b *testing.B) {
	bd := ordersBinding(b)
	orders := ordersWorkload(b)
	paths := []string{"customer.email", "customer.phone", "customer.card"}
	proj, err := bd.in.Project(paths)
	if err != nil {
		b.Fatal(err)
	}
	set, err := jsonpath.NewSet(jsonpath.MustCompile(paths[0]), jsonpath.MustCompile(paths[1]), jsonpath.MustCompile(paths[2]))
	if err != nil {
		b.Fatal(err)
	}
	var found []schema.Found
	var spans []jsonpath.Match
	b.Run("project", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, found, err = proj.Check(orders[i%len(orders)], found[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("check+scan", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			o := orders[i%len(orders)]
			if err := bd.in.CheckJSON(o); err != nil {
				b.Fatal(err)
			}
			if spans, err = set.Spans(o, spans[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("check", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if err := bd.in.CheckJSON(orders[i%len(orders)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	masked := [][]byte{[]byte("***@mail.example.org"), []byte("***4701"), []byte("************8868")}
	b.Run("replaced", func(b *testing.B) {
		for b.Loop() {
			for ref, v := range masked {
				if !proj.CheckText(ref, v) {
					b.Fatal("refused")
				}
			}
		}
	})
}
