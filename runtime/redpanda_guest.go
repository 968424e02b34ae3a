package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/weirstream/weir/runtime/internal/meter"
)

// redpandaGuest is one running Redpanda transform: its _start on a
// goroutine of its own, looping in the SDK's OnRecordWritten, parked in
// read_batch_header between batches. Its lifecycle:
//
//	starting → (first read_batch_header) parked → (batch) running → parked …
//	starting | running → ended (trap, fuel, timeout, exit: _start returned)
//	parked → (stop, or the engine closed) ended
//
// The goroutine never outlives the guest: stop wakes it and waits for it.
type redpandaGuest struct {
	mod     api.Module
	config  *redpandaConfig
	batches chan *redpandaBatch // host → parked guest
	parked  chan struct{}       // guest → host: back in read_batch_header (buffered: never blocks the guest)
	ended   chan struct{}       // closed when _start returned; err is then set
	err     error               // what _start returned
	quit    chan struct{}       // closed by stop
	engine  <-chan struct{}     // closed when the engine closes
	cancel  context.CancelFunc  // of _start's context: stops a running guest under InterruptCloseOnContextDone
	stopped sync.Once
	stderr  *stderrHead // the start of what it wrote to stderr in the current batch

	batch *redpandaBatch // the guest goroutine's, between receiving it and parking again
}

// errExited is the cause of a guest whose _start returned.
var errExited = errors.New("_start returned: a Redpanda transform loops in transform.OnRecordWritten and never returns")

// abiViolation is a guest call that breaks Redpanda's ABI: a pointer or
// length outside linear memory. The host function panics with it, which
// stops the guest; the record is flagged bad_output.
type abiViolation struct{ msg string }

func (v *abiViolation) Error() string { return v.msg }

func violate(format string, args ...any) { panic(&abiViolation{fmt.Sprintf(format, args...)}) }

// startRedpanda instantiates the module into in and runs its _start until
// it parks in its first read_batch_header, under InitFuel and Timeout.
func (m *Module) startRedpanda(ctx context.Context, in *instance, cfg PoolConfig, rc *redpandaConfig) error {
	ictx, cancel := m.deadline(ctx, cfg.Timeout)
	stderr := &stderrHead{}
	mod, err := m.engine.runtime.InstantiateModule(m.instantiationState(ictx, in.log, cfg, nil), m.compiled, m.redpandaModuleConfig(in.log, rc, stderr))
	cancel()
	if err != nil {
		return m.classify(ictx, phaseStart, err)
	}
	gctx, stop := context.WithCancel(context.Background())
	g := &redpandaGuest{mod: mod, config: rc, stderr: stderr, batches: make(chan *redpandaBatch), parked: make(chan struct{}, 1),
		ended: make(chan struct{}), quit: make(chan struct{}), engine: m.engine.done, cancel: stop}
	in.mod, in.mem, in.rp, in.fuel = mod, mod.Memory(), g, nil
	if m.metered {
		in.fuel, _ = mod.ExportedGlobal(meter.FuelExport).(api.MutableGlobal)
	}
	in.state = callState{log: in.log, fuel: in.fuel, checkIn: m.engine.cfg.FuelCheckIn, rp: g}
	m.engine.states.Store(mod, &in.state)
	in.prepare(m, cfg.InitFuel, time.Now(), cfg.Timeout)
	go g.run(gctx)
	if err := g.await(m, cfg.Timeout); err != nil {
		return g.failure(m, gctx, "_start (before its first read_batch_header)", err)
	}
	return nil
}

// redpandaModuleConfig is moduleConfig with the transform's environment,
// stderr also kept in stderr.
func (m *Module) redpandaModuleConfig(log *guestLog, rc *redpandaConfig, stderr *stderrHead) wazero.ModuleConfig {
	mc := m.moduleConfig(log).WithArgs("transform").WithStderr(io.MultiWriter(log.writer(levelWarn), stderr))
	for _, kv := range rc.environ() {
		mc = mc.WithEnv(kv[0], kv[1])
	}
	return mc
}

func (g *redpandaGuest) run(ctx context.Context) {
	defer close(g.ended)
	_, err := g.mod.ExportedFunction("_start").Call(ctx)
	var exit *sys.ExitError
	if err == nil || (errors.As(err, &exit) && exit.ExitCode() == 0) {
		err = errExited
	}
	g.err = err
}

// await waits for the guest to park, or to end (its error). Under
// InterruptCloseOnContextDone a guest running past timeout is stopped
// here; under fuel it stops itself at a check-in.
func (g *redpandaGuest) await(m *Module, timeout time.Duration) error {
	var expired <-chan time.Time
	if m.engine.cfg.Interrupt == InterruptCloseOnContextDone {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-g.parked:
		return nil
	case <-g.ended:
		return g.err
	case <-expired:
		g.cancel()
		<-g.ended
		return g.err
	}
}

// process hands the parked guest a batch and waits until it parks again.
func (g *redpandaGuest) process(m *Module, b *redpandaBatch, timeout time.Duration) error {
	g.stderr.reset()
	select {
	case g.batches <- b:
	case <-g.ended:
		return g.err
	}
	return g.await(m, timeout)
}

// park is read_batch_header's wait, on the guest goroutine: it reports
// the batch done and waits for the next. Stopped, it ends the guest as
// proc_exit(0) would, running no more guest code.
func (g *redpandaGuest) park() *redpandaBatch {
	g.batch = nil
	g.parked <- struct{}{}
	select {
	case b := <-g.batches:
		g.batch = b
		return b
	case <-g.quit:
	case <-g.engine:
	}
	panic(sys.NewExitError(0))
}

// stop ends the goroutine of a guest that is parked or ended, and waits
// for it.
func (g *redpandaGuest) stop() {
	g.stopped.Do(func() {
		close(g.quit)
		g.cancel()
		<-g.ended
	})
}

// failure is what stopped the guest, classified, with the start of what
// it wrote to stderr (a Go guest's panic message).
func (g *redpandaGuest) failure(m *Module, ctx context.Context, fn string, err error) *Error {
	e := m.classifyRedpanda(ctx, fn, err)
	if reason := g.stderr.reason(); reason != "" {
		e.Msg += ": stderr: " + reason
	}
	return e
}

// classifyRedpanda is classify for what stopped a Redpanda guest: an ABI
// violation is bad_output, a _start that returned a trap.
func (m *Module) classifyRedpanda(ctx context.Context, fn string, err error) *Error {
	var v *abiViolation
	if errors.As(err, &v) {
		return &Error{Class: ClassBadOutput, Transform: m.Manifest.ID(), Msg: fn + ": " + v.msg}
	}
	return m.classify(ctx, fn, err)
}
