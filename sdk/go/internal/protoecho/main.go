// Command protoecho is a schema-declaring test guest (input and output
// shop.v1.Order): it keeps every record, or with config "clear-order-id"
// empties field 1, which breaks the output type's min_len rule.
package main

import (
	weir "github.com/weirstream/weir/sdk/go"
	"github.com/weirstream/weir/sdk/go/pbwire"
)

var clear bool

func init() {
	weir.OnInit(func(config []byte) error {
		clear = string(config) == "clear-order-id"
		return nil
	})
	weir.Handle(func(r *weir.Record) error {
		if !clear {
			return nil
		}
		out, err := pbwire.ReplaceAll(nil, r.Value(), []uint32{1}, func([]byte) []byte { return nil })
		if err != nil {
			return err
		}
		r.SetValue(out)
		return nil
	})
}

func main() {}
