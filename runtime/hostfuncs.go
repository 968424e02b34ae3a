package runtime

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/weirstream/weir/runtime/internal/meter"
)

// Guest log levels of weir.log (docs/abi.md).
const (
	levelDebug = 0
	levelInfo  = 1
	levelWarn  = 2
	levelError = 3
)

// instantiateHost defines the "weir" host module. Every host function
// bounds-checks what the guest passes and never panics on guest input.
func instantiateHost(ctx context.Context, r wazero.Runtime, stateOf func(context.Context, api.Module) *callState) error {
	_, err := r.NewHostModuleBuilder(HostModule).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			hostLog(stateOf(ctx, mod), mod, stack)
		}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32}, nil).
		Export("log").
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, _ []uint64) {
			hostFuel(stateOf(ctx, mod), mod)
		}), nil, nil).
		Export(meter.CheckInName).
		Instantiate(ctx)
	if err != nil {
		return fmt.Errorf("weir: instantiate host module: %w", err)
	}
	return nil
}

// hostLog is weir.log(level, ptr, len). A line over the pool's rate is
// dropped before guest memory is read; an out-of-bounds one becomes an
// error line, itself under the rate.
func hostLog(s *callState, mod api.Module, stack []uint64) {
	level, ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2])
	if s == nil {
		return
	}
	l, mem := s.log, mod.Memory()
	if uint64(ptr)+uint64(n) > uint64(mem.Size()) {
		msg := fmt.Appendf(nil, "weir.log: guest passed an out-of-bounds message (ptr %d, len %d)", ptr, n)
		if l.admit(len(msg)) {
			l.write(levelError, msg, len(msg))
		}
		return
	}
	if !l.admit(int(n)) {
		return
	}
	head, _ := mem.Read(ptr, min(n, maxLogBytes))
	l.write(level, head, int(n))
}
