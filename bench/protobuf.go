package bench

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/schema"
)

// GuestProtobuf measures bench/guests/protogo in mode "pbwire" or
// "generated": rewriting one field of a ~2.8 KB message (the
// FileDescriptorProto of examples/orders-proto/proto/orders.proto), batch of 64.
func GuestProtobuf(b *testing.B, mode string) error {
	set, err := schema.Compile(context.Background(), []string{filepath.Join(fixtures.Root(), "examples/orders-proto/proto")}, "orders.proto")
	if err != nil {
		return err
	}
	var record []byte
	for _, f := range set.DescriptorSet().File {
		if f.GetName() == "orders.proto" {
			record, _ = proto.Marshal(f)
		}
	}
	wasm, err := fixtures.BuildGo("bench/guests/protogo")
	if err != nil {
		return err
	}
	e, err := runtime.NewEngine(context.Background(), runtime.EngineConfig{})
	if err != nil {
		return err
	}
	defer e.Close(context.Background())
	m, err := e.Load(context.Background(), wasm)
	if err != nil {
		return err
	}
	p, err := m.NewPool(context.Background(), runtime.PoolConfig{Config: []byte(mode), Fuel: 1 << 40})
	if err != nil {
		return err
	}
	recs := make([]runtime.Record, 64)
	for i := range recs {
		recs[i].Value = record
	}
	b.ResetTimer()
	cpu0 := CPUTime()
	for i := 0; i < b.N; i++ {
		out, err := p.Process(context.Background(), recs)
		if err != nil {
			return err
		}
		if out[0].Err != nil {
			return errors.Join(out[0].Err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/msg")
	b.ReportMetric(float64((CPUTime()-cpu0).Nanoseconds())/float64(b.N*len(recs)), "cpu-ns/msg")
	return nil
}
