// Command protogo measures protobuf inside a Go guest: with config
// "generated" it rewrites each record (a descriptorpb.FileDescriptorProto)
// through protobuf-go's generated types (proto.Unmarshal, set a field,
// proto.Marshal); with "pbwire" it rewrites the same field with sdk/go/pbwire.
package main

import (
	"errors"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	weir "github.com/weirstream/weir/sdk/go"
	"github.com/weirstream/weir/sdk/go/pbwire"
)

var generated bool

func init() {
	weir.OnInit(func(config []byte) error {
		switch string(config) {
		case "generated":
			generated = true
		case "pbwire":
		default:
			return errors.New(`config: want "generated" or "pbwire"`)
		}
		return nil
	})
	weir.Handle(func(r *weir.Record) error {
		if generated {
			var fd descriptorpb.FileDescriptorProto
			if err := proto.Unmarshal(r.Value(), &fd); err != nil {
				return err
			}
			fd.Name = proto.String("renamed.proto")
			out, err := proto.Marshal(&fd)
			if err != nil {
				return err
			}
			r.SetValue(out)
			return nil
		}
		out, err := pbwire.ReplaceAll(nil, r.Value(), []uint32{1}, func([]byte) []byte { return []byte("renamed.proto") })
		if err != nil {
			return err
		}
		r.SetValue(out)
		return nil
	})
}

func main() {}
