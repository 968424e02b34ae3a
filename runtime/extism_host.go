package runtime

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// extismFunc is one kernel function: it reads its parameters from and
// writes its results to the stack, and panics with an *extismFault when
// the plugin passed something it must refuse.
type extismFunc struct {
	name string
	fn   func(k *extismKernel, stack []uint64)
}

// extismKernelFuncs implement extismFuncs (extism_admission.go).
var extismKernelFuncs = []extismFunc{
	{"alloc", func(k *extismKernel, s []uint64) { s[0] = k.alloc(s[0]) }},
	{"free", func(k *extismKernel, s []uint64) { k.free(s[0]) }},
	{"length", func(k *extismKernel, s []uint64) { s[0] = k.length(s[0]) }},
	{"length_unsafe", func(k *extismKernel, s []uint64) { s[0] = k.length(s[0]) }},
	{"load_u8", func(k *extismKernel, s []uint64) { s[0] = uint64(k.view("load_u8", s[0], 1)[0]) }},
	{"load_u64", func(k *extismKernel, s []uint64) { s[0] = binary.LittleEndian.Uint64(k.view("load_u64", s[0], 8)) }},
	{"store_u8", func(k *extismKernel, s []uint64) { k.view("store_u8", s[0], 1)[0] = byte(s[1]) }},
	{"store_u64", func(k *extismKernel, s []uint64) { binary.LittleEndian.PutUint64(k.view("store_u64", s[0], 8), s[1]) }},
	{"input_length", func(k *extismKernel, s []uint64) { s[0] = k.input.n }},
	{"input_offset", func(k *extismKernel, s []uint64) { s[0] = k.input.off }},
	{"input_load_u8", func(k *extismKernel, s []uint64) { s[0] = uint64(k.inputView("input_load_u8", s[0], 1)[0]) }},
	{"input_load_u64", func(k *extismKernel, s []uint64) {
		s[0] = binary.LittleEndian.Uint64(k.inputView("input_load_u64", s[0], 8))
	}},
	{"output_set", func(k *extismKernel, s []uint64) { k.setOutput(s[0], s[1]) }},
	{"error_set", func(k *extismKernel, s []uint64) { k.setError(s[0]) }},
	{"config_get", func(k *extismKernel, s []uint64) { s[0] = k.configGet(s[0]) }},
	{"var_get", func(k *extismKernel, s []uint64) { s[0] = k.varGet(s[0]) }},
	{"var_set", func(k *extismKernel, s []uint64) { k.varSet(s[0], s[1]) }},
	{"log_trace", func(k *extismKernel, s []uint64) { k.logLine("log_trace", levelDebug, s[0]) }},
	{"log_debug", func(k *extismKernel, s []uint64) { k.logLine("log_debug", levelDebug, s[0]) }},
	{"log_info", func(k *extismKernel, s []uint64) { k.logLine("log_info", levelInfo, s[0]) }},
	{"log_warn", func(k *extismKernel, s []uint64) { k.logLine("log_warn", levelWarn, s[0]) }},
	{"log_error", func(k *extismKernel, s []uint64) { k.logLine("log_error", levelError, s[0]) }},
	{"get_log_level", func(k *extismKernel, s []uint64) { s[0] = uint64(k.logLevel()) }},
}

// instantiateExtism defines the ExtismModule host module. A kernel
// function finds the calling instance's kernel through its call state;
// called with none (during instantiation), it stops the call.
func instantiateExtism(ctx context.Context, r wazero.Runtime, stateOf func(context.Context, api.Module) *callState) error {
	b := r.NewHostModuleBuilder(ExtismModule)
	for _, f := range extismKernelFuncs {
		sig := extismFuncs[f.name]
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
				s := stateOf(ctx, mod)
				if s == nil || s.extism == nil {
					panic(fault(f.name, "called outside a call of the plugin's function (during instantiation or _initialize)"))
				}
				f.fn(s.extism, stack)
			}), valueTypes(sig.Params), valueTypes(sig.Results)).
			Export(f.name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("weir: instantiate host module %s: %w", ExtismModule, err)
	}
	return nil
}

func valueTypes(ts []byte) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t) // wasmbin's value type bytes are the binary format's, as wazero's are
	}
	return out
}

// logLine writes the block at off to the pool's guest log, under its
// rate; an offset that starts no block becomes an error line, as an
// out-of-bounds weir.log does.
func (k *extismKernel) logLine(fn string, level uint32, off uint64) {
	b, ok := k.block(off)
	if !ok {
		msg := fmt.Appendf(nil, "%s.%s: plugin passed offset %d, which starts no block", ExtismModule, fn, off)
		if k.log.admit(len(msg)) {
			k.log.write(levelError, msg, len(msg))
		}
		return
	}
	if !k.log.admit(int(b.n)) {
		return
	}
	k.log.write(level, k.arena[b.off:b.off+min(b.n, maxLogBytes)], int(b.n))
}

// logLevel is the lowest Extism level (trace 0 … error 4) the host
// logger writes, so a plugin skips formatting lines nobody keeps.
func (k *extismKernel) logLevel() int32 {
	ctx := context.Background()
	for _, l := range []struct {
		slog   slog.Level
		extism int32
	}{{slog.LevelDebug, 1}, {slog.LevelInfo, 2}, {slog.LevelWarn, 3}} {
		if k.log.logger.Enabled(ctx, l.slog) {
			return l.extism
		}
	}
	return 4
}
