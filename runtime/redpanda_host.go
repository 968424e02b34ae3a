package runtime

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// Results read_next_record and the writes return for a refused call, as
// Redpanda's broker does: the SDK panics on them, which stops the guest
// and flags the record.
const (
	redpandaErrNoRecord = -1 // no record left in the batch, or none being transformed
	redpandaErrTooSmall = -2 // the guest's buffer is smaller than the record
	redpandaErrRefused  = -3 // the write was refused (the record is flagged with why)
)

type redpandaFunc func(g *redpandaGuest, mem api.Memory, stack []uint64)

// instantiateRedpanda defines the redpanda_transform host module. Each
// function bounds-checks every pointer and length the guest passes; one
// outside linear memory stops the guest (abiViolation), and none panics
// the host.
func instantiateRedpanda(ctx context.Context, r wazero.Runtime, stateOf func(context.Context, api.Module) *callState) error {
	transform := map[string]redpandaFunc{
		"check_abi_version_1":       func(*redpandaGuest, api.Memory, []uint64) {},
		"check_abi_version_2":       func(*redpandaGuest, api.Memory, []uint64) {},
		"read_batch_header":         readBatchHeader,
		"read_next_record":          readNextRecord,
		"write_record":              writeRecord,
		"write_record_with_options": writeRecordWithOptions,
	}
	if err := hostModule(ctx, r, redpandaModule, transform, redpandaFuncs, stateOf); err != nil {
		return err
	}
	return hostModule(ctx, r, redpandaSchemaRegistry, registryFuncs, redpandaRegistryFuncs, stateOf)
}

func hostModule(ctx context.Context, r wazero.Runtime, name string, funcs map[string]redpandaFunc, sigs map[string]wasmbin.FuncType, stateOf func(context.Context, api.Module) *callState) error {
	b := r.NewHostModuleBuilder(name)
	for fn, f := range funcs {
		sig := sigs[fn]
		b = b.NewFunctionBuilder().WithGoModuleFunction(redpandaCall(name+"."+fn, f, stateOf), valueTypes(sig.Params), valueTypes(sig.Results)).Export(fn)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("weir: instantiate host module %s: %w", name, err)
	}
	return nil
}

func redpandaCall(name string, f redpandaFunc, stateOf func(context.Context, api.Module) *callState) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		s := stateOf(ctx, mod)
		if s == nil || s.rp == nil { // the start function, or a weir guest that imported it anyway
			violate("%s called outside a running Redpanda transform", name)
		}
		f(s.rp, mod.Memory(), stack)
	}
}

// readBatchHeader is read_batch_header(base_offset *i64, record_count
// *i32, partition_leader_epoch *i32, attributes *i16, last_offset_delta
// *i32, base_timestamp *i64, max_timestamp *i64, producer_id *i64,
// producer_epoch *i16, base_sequence *i32) -> max record size. It parks
// the guest until the next batch.
func readBatchHeader(g *redpandaGuest, mem api.Memory, stack []uint64) {
	b := g.park()
	n := len(b.records) - b.next
	first, maxSize, maxTS := int64(0), 0, b.now
	for i := b.next; i < len(b.records); i++ {
		r := &b.records[i]
		maxSize = max(maxSize, payloadSize(r))
		maxTS = max(maxTS, metaInt(r.Meta, metaKafkaTimestamp, b.now))
	}
	if n > 0 {
		first = metaInt(b.records[b.next].Meta, metaKafkaOffset, int64(b.next))
	}
	fields := []struct {
		size int
		v    int64
	}{{8, first}, {4, int64(n)}, {4, 0}, {2, 0}, {4, int64(max(n-1, 0))}, {8, b.now}, {8, maxTS}, {8, -1}, {2, -1}, {4, -1}}
	for i, f := range fields {
		putInt(mem, "read_batch_header", i, uint32(stack[i]), f.size, f.v)
	}
	stack[0] = api.EncodeI32(int32(min(maxSize, 1<<31-1)))
}

// putInt writes the little-endian low size bytes of v at ptr.
func putInt(mem api.Memory, fn string, arg int, ptr uint32, size int, v int64) {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(v))
	if !mem.Write(ptr, buf[:size]) {
		violate("%s: argument %d: pointer %d: [%d, %d) is outside linear memory of %d bytes", fn, arg, ptr, ptr, uint64(ptr)+uint64(size), mem.Size())
	}
}

// readNextRecord is read_next_record(attributes *u8, timestamp *i64,
// offset *i64, buf *u8, len i32) -> bytes written: the next record's
// payload in Kafka record format.
func readNextRecord(g *redpandaGuest, mem api.Memory, stack []uint64) {
	b := g.current("read_next_record")
	b.cur = -1 // the previous record is done
	if b.next >= len(b.records) {
		stack[0] = api.EncodeI32(redpandaErrNoRecord)
		return
	}
	r := &b.records[b.next]
	size, capacity := payloadSize(r), api.DecodeI32(stack[4])
	if capacity < 0 || size > int(capacity) {
		stack[0] = api.EncodeI32(redpandaErrTooSmall)
		return
	}
	view := guestBytes(mem, "read_next_record", uint32(stack[3]), int32(size))
	encodePayload(view, r)
	putInt(mem, "read_next_record", 0, uint32(stack[0]), 1, 0)
	putInt(mem, "read_next_record", 1, uint32(stack[1]), 8, metaInt(r.Meta, metaKafkaTimestamp, b.now))
	putInt(mem, "read_next_record", 2, uint32(stack[2]), 8, metaInt(r.Meta, metaKafkaOffset, int64(b.next)))
	b.cur, b.next = b.next, b.next+1
	stack[0] = api.EncodeI32(int32(size))
}

// guestBytes is a view of [ptr, ptr+n) of guest memory, or an ABI
// violation.
func guestBytes(mem api.Memory, fn string, ptr uint32, n int32) []byte {
	var view []byte
	ok := n >= 0
	if ok {
		view, ok = mem.Read(ptr, uint32(n))
	}
	if !ok {
		violate("%s: buffer at pointer %d of length %d is outside linear memory of %d bytes", fn, ptr, n, mem.Size())
	}
	return view
}

// current is the batch being transformed, or an ABI violation: a guest
// reading or writing records before its first read_batch_header.
func (g *redpandaGuest) current(fn string) *redpandaBatch {
	if g.batch == nil {
		violate("%s called before read_batch_header", fn)
	}
	return g.batch
}

// writeRecord is write_record(buf *u8, len i32) -> len: an output of the
// record being transformed, to the default output topic.
func writeRecord(g *redpandaGuest, mem api.Memory, stack []uint64) {
	n := api.DecodeI32(stack[1])
	payload := guestBytes(mem, "write_record", uint32(stack[0]), n)
	stack[0] = writeResult(g.current("write_record").write(payload, "", false), n)
}

// writeRecordWithOptions is write_record_with_options(buf *u8, len i32,
// opts *u8, opts_len i32) -> len. The options are key 0x01 (the output
// topic: varint length and name), the only one Redpanda defines.
func writeRecordWithOptions(g *redpandaGuest, mem api.Memory, stack []uint64) {
	n := api.DecodeI32(stack[1])
	payload := guestBytes(mem, "write_record_with_options", uint32(stack[0]), n)
	opts := guestBytes(mem, "write_record_with_options", uint32(stack[2]), api.DecodeI32(stack[3]))
	b := g.current("write_record_with_options")
	topic, hasTopic, ok := parseWriteOptions(opts)
	if !ok {
		b.refuse(fmt.Sprintf("write options %s: only 0x01 (output topic, a varint length and the name) is defined", excerpt(opts)))
		stack[0] = api.EncodeI32(redpandaErrRefused)
		return
	}
	stack[0] = writeResult(b.write(payload, topic, hasTopic), n)
}

func writeResult(ok bool, n int32) uint64 {
	if !ok {
		return api.EncodeI32(redpandaErrRefused)
	}
	return api.EncodeI32(n)
}

// parseWriteOptions reads a series of options; only 0x01, the topic, is
// known (ok false otherwise).
func parseWriteOptions(b []byte) (topic string, hasTopic, ok bool) {
	for p := 0; p < len(b); {
		if b[p] != 0x01 {
			return "", false, false
		}
		name, present, next, err := readSized(b, p+1)
		if err != nil || !present {
			return "", false, false
		}
		topic, hasTopic, p = string(name), true, next
	}
	return topic, hasTopic, true
}
