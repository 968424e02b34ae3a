package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"

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

// maxLogBytes truncates a single guest log line.
const maxLogBytes = 16 << 10

// guestLog sends a guest's logs to the host logger, tagged with the transform.
type guestLog struct {
	logger    *slog.Logger
	transform string
}

func (l *guestLog) log(level uint32, msg []byte) {
	if len(msg) > maxLogBytes {
		msg = append(msg[:maxLogBytes:maxLogBytes], "…(truncated)"...)
	}
	msg = bytes.TrimRight(msg, "\n")
	l.logger.Log(context.Background(), slogLevel(level), string(msg), "transform", l.transform)
}

func slogLevel(level uint32) slog.Level {
	switch level {
	case levelDebug:
		return slog.LevelDebug
	case levelWarn:
		return slog.LevelWarn
	case levelError:
		return slog.LevelError
	}
	return slog.LevelInfo
}

// writer adapts the log to a WASI stdout or stderr.
func (l *guestLog) writer(level uint32) io.Writer {
	return logWriter{l, level}
}

type logWriter struct {
	l     *guestLog
	level uint32
}

func (w logWriter) Write(p []byte) (int, error) {
	if len(bytes.TrimSpace(p)) > 0 {
		w.l.log(w.level, p)
	}
	return len(p), nil
}

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

// hostLog is weir.log(level, ptr, len).
func hostLog(s *callState, mod api.Module, stack []uint64) {
	level, ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2])
	if s == nil {
		return
	}
	l := s.log
	if n > maxLogBytes {
		n = maxLogBytes
	}
	msg, ok := mod.Memory().Read(ptr, n)
	if !ok {
		l.log(levelError, fmt.Appendf(nil, "weir.log: guest passed an out-of-bounds message (ptr %d, len %d)", ptr, n))
		return
	}
	l.log(level, msg)
}
