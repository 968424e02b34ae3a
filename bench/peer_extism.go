package bench

import (
	"context"
	"fmt"
	"sync"

	extism "github.com/extism/go-sdk"
	"github.com/redpanda-data/benthos/v4/public/service"
)

// The Extism Go SDK as a Benthos processor: one plugin instance, one call
// of the named export per message, the message as the call's input and the
// output as the new message. It is a peer to measure weir against, not a
// component to ship.
func init() {
	registerPeer("bench_extism", "Benchmark peer: an Extism plugin (github.com/extism/go-sdk) called once per message.", service.NewStringField("function"), func(w []byte, fn string) (service.Processor, error) {
		return NewExtismPeer(context.Background(), w, fn)
	})
}

// ExtismPeer calls one export of an Extism plugin per message.
type ExtismPeer struct {
	mu     sync.Mutex
	plugin *extism.Plugin
	fn     string
}

// NewExtismPeer instantiates wasm as an Extism plugin with WASI, whose
// export fn is called per message.
func NewExtismPeer(ctx context.Context, wasm []byte, fn string) (*ExtismPeer, error) {
	manifest := extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: wasm}}}
	p, err := extism.NewPlugin(ctx, manifest, extism.PluginConfig{EnableWasi: true}, nil)
	if err != nil {
		return nil, fmt.Errorf("extism peer: %w", err)
	}
	if !p.FunctionExists(fn) {
		_ = p.Close(ctx)
		return nil, fmt.Errorf("extism peer: the plugin exports no %q", fn)
	}
	return &ExtismPeer{plugin: p, fn: fn}, nil
}

// Process calls the plugin once for m.
func (p *ExtismPeer) Process(ctx context.Context, m *service.Message) (service.MessageBatch, error) {
	b, err := m.AsBytes()
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	rc, out, err := p.plugin.CallWithContext(ctx, p.fn, b)
	p.mu.Unlock()
	if err != nil || rc != 0 {
		return nil, fmt.Errorf("extism peer: %s returned %d: %v", p.fn, rc, err)
	}
	m.SetBytes(out)
	return service.MessageBatch{m}, nil
}

// Close releases the plugin.
func (p *ExtismPeer) Close(ctx context.Context) error { return p.plugin.Close(ctx) }
