package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// A per-message ABI in the style of Redpanda Connect's `wasm` processor,
// written from its public description (no code of it is used): for each
// message the host calls one guest export that takes no arguments; the
// guest calls host functions to read the message and its metadata and to
// write its result, and the host copies bytes into the guest through an
// allocator the guest exports. It is a peer to measure weir's batch ABI
// against, not a component to ship.
//
// The host module, "connect_peer", offers:
//
//	msg_as_bytes() i64                  allocate, copy the message in; ptr<<32 | len
//	msg_set_bytes(ptr, len i32)         the message's new content
//	msg_get_meta(kptr, klen i32) i64    allocate, copy the value in; ptr<<32 | len (0 if unset)
//	msg_set_meta(kptr, klen, vptr, vlen i32)
//
// and the guest exports memory, allocate(size i32) i32 and the function
// named in the config (default process). Pointers and lengths from the
// guest are bounds-checked; a bad one fails the message.
const connectHostModule = "connect_peer"

func init() {
	registerPeer("bench_connect_wasm", "Benchmark peer: a per-message wasm ABI in the style of Redpanda Connect's wasm processor.", service.NewStringField("function").Default("process"), func(w []byte, fn string) (service.Processor, error) {
		return NewConnectPeer(context.Background(), w, fn)
	})
}

// ConnectPeer runs one instance of a Connect-style module, one message at
// a time.
type ConnectPeer struct {
	mu      sync.Mutex
	rt      wazero.Runtime
	mod     api.Module
	process api.Function
	alloc   api.Function
	cur     *service.Message // the message being processed
	failed  error            // a host function's error for cur
}

// NewConnectPeer compiles and instantiates wasm, whose export fn is
// called per message.
func NewConnectPeer(ctx context.Context, wasm []byte, fn string) (*ConnectPeer, error) {
	p := &ConnectPeer{rt: wazero.NewRuntime(ctx)}
	wasi_snapshot_preview1.MustInstantiate(ctx, p.rt)
	_, err := p.rt.NewHostModuleBuilder(connectHostModule).
		NewFunctionBuilder().WithFunc(p.asBytes).Export("msg_as_bytes").
		NewFunctionBuilder().WithFunc(p.setBytes).Export("msg_set_bytes").
		NewFunctionBuilder().WithFunc(p.getMeta).Export("msg_get_meta").
		NewFunctionBuilder().WithFunc(p.setMeta).Export("msg_set_meta").
		Instantiate(ctx)
	if err == nil {
		p.mod, err = p.rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().
			WithStartFunctions("_initialize").WithSysWalltime().WithSysNanotime().
			WithStdout(os.Stderr).WithStderr(os.Stderr))
	}
	if err != nil {
		_ = p.rt.Close(ctx)
		return nil, fmt.Errorf("connect peer: %w", err)
	}
	p.process, p.alloc = p.mod.ExportedFunction(fn), p.mod.ExportedFunction("allocate")
	if p.process == nil || p.alloc == nil {
		_ = p.rt.Close(ctx)
		return nil, fmt.Errorf("connect peer: the module must export %q and \"allocate\"", fn)
	}
	return p, nil
}

// Process calls the guest once for m.
func (p *ConnectPeer) Process(ctx context.Context, m *service.Message) (service.MessageBatch, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur, p.failed = m, nil
	_, err := p.process.Call(ctx)
	p.cur = nil
	if err = errors.Join(err, p.failed); err != nil {
		return nil, fmt.Errorf("connect peer: %w", err)
	}
	return service.MessageBatch{m}, nil
}

// Close releases the runtime.
func (p *ConnectPeer) Close(ctx context.Context) error { return p.rt.Close(ctx) }

var errGuestBounds = errors.New("guest pointer or length out of bounds")

// give copies b into memory the guest allocates and returns ptr<<32|len.
func (p *ConnectPeer) give(ctx context.Context, mod api.Module, b []byte) uint64 {
	res, err := p.alloc.Call(ctx, uint64(len(b)))
	if err != nil {
		p.failed = err
		return 0
	}
	ptr := uint32(res[0])
	if !mod.Memory().Write(ptr, b) {
		p.failed = errGuestBounds
		return 0
	}
	return uint64(ptr)<<32 | uint64(len(b))
}

// read returns a copy of the guest's [ptr, ptr+n).
func (p *ConnectPeer) read(mod api.Module, ptr, n uint32) ([]byte, bool) {
	b, ok := mod.Memory().Read(ptr, n)
	if !ok {
		p.failed = errGuestBounds
		return nil, false
	}
	return append([]byte(nil), b...), true
}

func (p *ConnectPeer) asBytes(ctx context.Context, mod api.Module) uint64 {
	b, err := p.cur.AsBytes()
	if err != nil {
		p.failed = err
		return 0
	}
	return p.give(ctx, mod, b)
}

func (p *ConnectPeer) setBytes(_ context.Context, mod api.Module, ptr, n uint32) {
	if b, ok := p.read(mod, ptr, n); ok {
		p.cur.SetBytes(b)
	}
}

func (p *ConnectPeer) getMeta(ctx context.Context, mod api.Module, kptr, klen uint32) uint64 {
	k, ok := p.read(mod, kptr, klen)
	if !ok {
		return 0
	}
	v, ok := p.cur.MetaGet(string(k))
	if !ok {
		return 0
	}
	return p.give(ctx, mod, []byte(v))
}

func (p *ConnectPeer) setMeta(_ context.Context, mod api.Module, kptr, klen, vptr, vlen uint32) {
	k, ok1 := p.read(mod, kptr, klen)
	v, ok2 := p.read(mod, vptr, vlen)
	if ok1 && ok2 {
		p.cur.MetaSetMut(string(k), string(v))
	}
}
