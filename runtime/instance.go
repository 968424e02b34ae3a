package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/weirstream/weir/runtime/internal/meter"
)

// instance is one live guest. It is used by one batch at a time.
type instance struct {
	mod     api.Module
	mem     api.Memory
	buffer  api.Function
	process api.Function
	log     *guestLog
	fuel    api.MutableGlobal // nil when not metered
	state   callState         // reused by every call; found by the host functions through Engine.states

	bufPtr, bufCap uint32 // the guest's input buffer, from weir_buffer
	stack          [1]uint64
	calls          int
	seen           []uint8 // decoder scratch, reused by every call

	// set when the instance projects (weir_fields declared paths): its
	// batches go through weir_process_fields (fields.go)
	processFields api.Function
	proj          *projection
}

// newInstance instantiates the module and starts it: the start function
// (inside InstantiateModule), _initialize, then weir_init with the config
// blob. Each phase runs under its own InitFuel budget and the pool's
// Timeout, in every interrupt mode but InterruptNone, and an error names
// the phase.
func (m *Module) newInstance(ctx context.Context, log *guestLog, cfg PoolConfig, bound map[string]any) (*instance, error) {
	ictx, cancel := m.deadline(ctx, cfg.Timeout)
	mod, err := m.engine.runtime.InstantiateModule(m.instantiationState(ictx, log, cfg, bound), m.compiled, m.moduleConfig(log))
	cancel()
	if err != nil {
		return nil, m.classify(ictx, phaseStart, err)
	}
	in := &instance{
		mod:     mod,
		mem:     mod.Memory(),
		buffer:  mod.ExportedFunction("weir_buffer"),
		process: mod.ExportedFunction("weir_process"),
		log:     log,
	}
	if m.metered {
		in.fuel, _ = mod.ExportedGlobal(meter.FuelExport).(api.MutableGlobal)
	}
	in.state = callState{log: log, fuel: in.fuel, checkIn: m.engine.cfg.FuelCheckIn, bound: bound}
	m.engine.states.Store(mod, &in.state)
	if err := in.start(ctx, m, cfg); err != nil {
		in.close(ctx, m.engine)
		return nil, err
	}
	return in, nil
}

// Phases of an instance's start-up, as errors name them.
const (
	phaseStart      = "start function"
	phaseInitialize = "_initialize"
)

// start runs _initialize, if the module exports it, weir_init and then
// weir_fields, if the module exports it.
func (in *instance) start(ctx context.Context, m *Module, cfg PoolConfig) error {
	if initialize := in.mod.ExportedFunction(phaseInitialize); initialize != nil {
		in.prepare(m, cfg.InitFuel, time.Now(), cfg.Timeout)
		ictx, cancel := m.deadline(ctx, cfg.Timeout)
		_, err := initialize.Call(ictx)
		cancel()
		var exit *sys.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 0) { // exit(0) is success, as wazero has it
			return m.classify(ictx, phaseInitialize, err)
		}
	}
	in.prepare(m, cfg.InitFuel, time.Now(), cfg.Timeout)
	ictx, cancel := m.deadline(ctx, cfg.Timeout)
	err := in.init(ictx, m, cfg.Config)
	cancel()
	if err != nil {
		return err
	}
	in.prepare(m, cfg.InitFuel, time.Now(), cfg.Timeout)
	ictx, cancel = m.deadline(ctx, cfg.Timeout)
	defer cancel()
	if err := in.loadFields(ictx, m); err != nil {
		return err
	}
	return in.declare(m, cfg)
}

// deadline bounds a start-up phase under InterruptCloseOnContextDone (fuel
// checks its deadline at check-ins; InterruptNone has none).
func (m *Module) deadline(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if m.engine.cfg.Interrupt != InterruptCloseOnContextDone {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, timeout)
}

func (in *instance) init(ctx context.Context, m *Module, config []byte) error {
	if err := in.write(ctx, m, config); err != nil {
		return err
	}
	init := in.mod.ExportedFunction("weir_init")
	in.stack[0] = api.EncodeU32(uint32(len(config)))
	if err := init.CallWithStack(ctx, in.stack[:]); err != nil {
		return m.classify(ctx, "weir_init", err)
	}
	msg, err := in.result(m, 64<<10)
	if err != nil {
		return err
	}
	if len(msg) > 0 {
		return &Error{Class: ClassGuest, Transform: m.Manifest.ID(), Msg: "init: " + guestText(msg, maxGuestErrorBytes)}
	}
	return nil
}

// write copies b into the guest's input buffer, growing it through weir_buffer.
func (in *instance) write(ctx context.Context, m *Module, b []byte) error {
	view, err := in.reserve(ctx, m, len(b))
	if err == nil {
		copy(view, b)
	}
	return err
}

// reserve returns a view of n bytes of the guest's input buffer.
func (in *instance) reserve(ctx context.Context, m *Module, n int) ([]byte, error) {
	if n == 0 {
		return nil, nil // nothing to write: no buffer needed
	}
	if uint64(n) > uint64(in.bufCap) || in.bufPtr == 0 {
		if n > 1<<31-1 {
			return nil, &Error{Class: ClassBadInput, Transform: m.Manifest.ID(), Msg: fmt.Sprintf("batch of %d bytes is too large for a 32-bit guest: send smaller batches", n)} // the input's size, not the guest's doing
		}
		in.stack[0] = api.EncodeU32(uint32(n))
		if err := in.buffer.CallWithStack(ctx, in.stack[:]); err != nil {
			return nil, m.classify(ctx, "weir_buffer", err)
		}
		in.bufPtr, in.bufCap = api.DecodeU32(in.stack[0]), uint32(n)
	}
	ptr := in.bufPtr
	view, ok := in.mem.Read(ptr, uint32(n))
	if !ok || ptr == 0 {
		in.bufPtr, in.bufCap = 0, 0 // ask again next time
		return nil, &Error{Class: ClassBadOutput, Transform: m.Manifest.ID(), Msg: badBuffer(n, ptr, in.mem.Size())}
	}
	return view, nil
}

// badBuffer says what was wrong with the pointer weir_buffer(n) returned.
func badBuffer(n int, ptr, memSize uint32) string {
	if ptr == 0 {
		return fmt.Sprintf("weir_buffer(%d) returned the null pointer", n)
	}
	return fmt.Sprintf("weir_buffer(%d) returned pointer %d: [%d, %d) is outside linear memory of %d bytes",
		n, ptr, ptr, uint64(ptr)+uint64(n), memSize)
}

// result reads the (ptr<<32 | len) a guest call returned, bounds-checked.
func (in *instance) result(m *Module, max int) ([]byte, error) {
	ptr, n := uint32(in.stack[0]>>32), uint32(in.stack[0])
	if uint64(n) > uint64(max) {
		return nil, &Error{Class: ClassBadOutput, Transform: m.Manifest.ID(),
			Msg: fmt.Sprintf("output of %d bytes at pointer %d exceeds the cap of %d", n, ptr, max)}
	}
	out, ok := in.mem.Read(ptr, n)
	if !ok {
		return nil, &Error{Class: ClassBadOutput, Transform: m.Manifest.ID(),
			Msg: fmt.Sprintf("output at pointer %d: [%d, %d) is outside linear memory of %d bytes", ptr, ptr, uint64(ptr)+uint64(n), in.mem.Size())}
	}
	return out, nil
}

// run sends one batch, started at start, through weir_process and decodes
// the verdicts. It returns the fuel the batch used.
func (in *instance) run(ctx context.Context, m *Module, records []Record, cfg PoolConfig, start time.Time, into *Outcomes) ([]Outcome, int64, error) {
	in.prepare(m, cfg.Fuel, start, cfg.Timeout)
	outcomes, err := in.processBatch(ctx, m, records, cfg, into)
	return outcomes, in.state.used(), err
}

// prepare resets the instance's call state for the next call: its budget
// and, under fuel, its deadline (checked at check-ins). The caller passes
// the time the call starts: reading the clock costs ~60 ns on a VM, a
// third of an empty call.
func (in *instance) prepare(m *Module, budget int64, start time.Time, timeout time.Duration) {
	in.state.budget, in.state.deadline = budget, time.Time{}
	if m.metered {
		in.state.deadline = start.Add(timeout)
	}
	in.state.hostDeadline = start.Add(timeout)
	in.state.start()
}

func (in *instance) processBatch(ctx context.Context, m *Module, records []Record, cfg PoolConfig, into *Outcomes) ([]Outcome, error) {
	in.calls++
	if in.proj != nil {
		return in.processProjected(ctx, m, records, cfg, into)
	}
	view, err := in.reserve(ctx, m, encodedSize(records))
	if err != nil {
		return nil, err
	}
	encodeBatch(view, records)
	in.stack[0] = api.EncodeU32(uint32(len(view)))
	if err := in.process.CallWithStack(ctx, in.stack[:]); err != nil {
		return nil, m.classify(ctx, "weir_process", err)
	}
	out, err := in.result(m, cfg.MaxOutputBytes)
	if err != nil {
		return nil, err
	}
	outcomes, err := decodeInto(out, records, &m.Manifest, cfg.outputLimits(records), into, &in.seen)
	if err != nil {
		err.(*Error).Transform = m.Manifest.ID()
	}
	return outcomes, err
}

func (in *instance) close(ctx context.Context, e *Engine) {
	e.states.Delete(in.mod)
	_ = in.mod.Close(ctx)
}

// instantiationState is the call state of instantiation (the start
// function runs inside InstantiateModule, before the instance is known):
// the host functions find it in the context.
func (m *Module) instantiationState(ctx context.Context, log *guestLog, cfg PoolConfig, bound map[string]any) context.Context {
	s := &callState{log: log, checkIn: m.engine.cfg.FuelCheckIn, budget: cfg.InitFuel - m.engine.cfg.FuelCheckIn,
		loaded: m.engine.cfg.FuelCheckIn, // the fuel global's initial value
		bound:  bound, hostDeadline: time.Now().Add(cfg.Timeout)}
	if m.metered {
		s.deadline = time.Now().Add(cfg.Timeout)
	}
	return context.WithValue(ctx, callStateKey{}, s)
}

// classify turns a wazero call error into a trap, a timeout or fuel
// exhaustion of the guest function fn.
func (m *Module) classify(ctx context.Context, fn string, err error) *Error {
	class := ClassTrap
	var exit *sys.ExitError
	if fault, ok := faultOf(err); ok { // a host function's: the guest misused it, or the host could not serve it
		return &Error{Class: fault.Class, Transform: m.Manifest.ID(), Msg: fn + ": " + fault.Msg, Cause: fault.Cause}
	}
	switch {
	case errors.Is(err, errFuelExhausted):
		class = ClassFuel
	case errors.Is(err, errDeadline):
		class = ClassTimeout
	case errors.As(err, &exit) && (exit.ExitCode() == sys.ExitCodeDeadlineExceeded || exit.ExitCode() == sys.ExitCodeContextCanceled):
		class = ClassTimeout
	case ctx.Err() != nil:
		class = ClassTimeout
	}
	msg := fn
	if fn == phaseStart && class == ClassTrap {
		msg = "instantiate (data, elements or the start function)"
	}
	return &Error{Class: class, Transform: m.Manifest.ID(), Msg: msg, Cause: err}
}
