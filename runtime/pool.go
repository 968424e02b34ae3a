package runtime

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Pool holds warm instances of one module and runs batches through them,
// one batch per instance at a time. An instance that trapped, timed out or
// returned bad output is discarded and replaced on next use; instances are
// also recycled after MaxCallsPerInstance calls or past MaxMemoryBytes.
//
// A pool is open until Close; then Process fails at once with ErrClosed.
// Close may be called while batches are in flight: it waits for them.
type Pool struct {
	mod    *Module
	cfg    PoolConfig
	log    *guestLog
	idle   chan *instance // nil entries are slots to fill on demand
	memory uint64         // reserved from the engine's MemoryBudget
	bound  map[string]any // capability bindings, by name: what the pool granted the module

	replaced atomic.Int64 // instances closed broken or worn out, to be made again on demand

	mu       sync.Mutex     // guards closing and the start of each batch
	closing  bool           // Close was called: no batch may start
	shut     chan struct{}  // closed by Close: wakes batches waiting for an instance
	inflight sync.WaitGroup // batches between enter and leave
	closed   sync.Once      // closes the instances and releases the pool's reference to mod and its reservation
}

// NewPool creates Size instances up front so the first batch is not slow,
// and fails if the config breaks the manifest's config_schema
// (ClassConfig, naming the fields), if the guest's init refuses it, or if the pool's worst
// case (Size × InstanceBytes) does not fit in the engine's MemoryBudget
// (ErrMemoryBudget).
func (m *Module) NewPool(ctx context.Context, cfg PoolConfig) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if err := m.checkConfig(cfg.Config); err != nil {
		return nil, err
	}
	bound, err := m.bindCapabilities(cfg.Grants)
	if err != nil {
		return nil, err
	}
	reserved, err := m.reserve(cfg.Size, m.kernelBytes(cfg))
	if err != nil {
		closeBindings(bound)
		return nil, err
	}
	if !m.retain() {
		closeBindings(bound)
		m.engine.budget.release(reserved)
		return nil, fmt.Errorf("weir: new pool of %s: the module was closed", m.Manifest.ID())
	}
	p := &Pool{
		mod:    m,
		cfg:    cfg,
		log:    newGuestLog(cmp.Or(cfg.Logger, m.engine.cfg.Logger), m.Manifest.ID(), cfg),
		idle:   make(chan *instance, cfg.Size),
		memory: reserved,
		bound:  bound,
		shut:   make(chan struct{}),
	}
	for i := 0; i < cfg.Size; i++ {
		in, err := p.newInstance(ctx)
		if err != nil {
			p.Close(ctx)
			return nil, err
		}
		p.idle <- in
	}
	p.log.report(false)
	return p, nil
}

// LogsDropped is how many guest log lines, and bytes in all, the pool's
// rate limit dropped since it started (PoolConfig.LogLinesPerSecond).
func (p *Pool) LogsDropped() (lines, bytes int64) {
	c := p.log.dropped()
	return c.lines, c.bytes
}

// Replaced is how many instances the pool has discarded since it
// started (trapped, timed out, returned bad output, or worn out): each
// is made again on its next use.
func (p *Pool) Replaced() int64 { return p.replaced.Load() }

// Limits is the pool's config, defaults filled in.
func (p *Pool) Limits() PoolConfig { return p.cfg }

// Module returns the transform version this pool runs.
func (p *Pool) Module() *Module { return p.mod }

// Process runs one batch. A batch-wide failure (trap, timeout, bad output)
// is returned as an *Error; otherwise there is one Outcome per record.
func (p *Pool) Process(ctx context.Context, records []Record) ([]Outcome, error) {
	return p.ProcessInto(ctx, records, nil)
}

// ProcessInto is Process reusing into's memory for the outcomes: what it
// returns is valid until the next call with the same into (Outcomes). A
// nil into is a fresh one, as Process has.
func (p *Pool) ProcessInto(ctx context.Context, records []Record, into *Outcomes) ([]Outcome, error) {
	if into == nil {
		into = &Outcomes{}
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.inflight.Done()
	in, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if p.mod.engine.cfg.Interrupt == InterruptCloseOnContextDone {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.Timeout)
		defer cancel()
	}
	outcomes, fuel, err := in.run(ctx, p.mod, p.handed(records), p.cfg, start, into)
	p.release(in, err)
	p.log.report(false)
	if p.cfg.OnBatch != nil {
		p.cfg.OnBatch(fuel, time.Since(start))
	}
	return outcomes, err
}

// handed is records as the guest is handed them: without their metadata
// when the manifest says it reads none. Such records are a copy, made only
// when one of them carries metadata (a caller that knows the manifest, as
// the host does, passes none and pays nothing); the guest's outcomes and
// the batch's output limits then count no metadata of the input's.
func (p *Pool) handed(records []Record) []Record {
	if p.mod.Manifest.ReadsMetadata() || !slices.ContainsFunc(records, hasMeta) {
		return records
	}
	bare := slices.Clone(records)
	for i := range bare {
		bare[i].Meta = nil
	}
	return bare
}

func hasMeta(r Record) bool { return len(r.Meta) > 0 }

// enter counts a batch in flight, unless the pool is closing.
func (p *Pool) enter() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return p.hostError("", ErrClosed)
	}
	p.inflight.Add(1)
	return nil
}

// acquire takes an idle instance, or fills an empty slot. Its failures
// are the host's (ClassHost), not the batch's.
func (p *Pool) acquire(ctx context.Context) (*instance, error) {
	select {
	case in := <-p.idle:
		if in != nil && in.mod.IsClosed() { // the engine was closed: its memory is unmapped
			p.idle <- in
			return nil, p.hostError("the engine was closed", nil)
		}
		if in != nil {
			return in, nil
		}
		in, err := p.newInstance(ctx)
		if err != nil {
			p.idle <- nil // keep the slot for the next try
			return nil, p.hostError("replace instance", err)
		}
		return in, nil
	case <-p.shut:
		return nil, p.hostError("", ErrClosed)
	case <-ctx.Done():
		return nil, p.hostError("waiting for an instance", ctx.Err())
	}
}

func (p *Pool) hostError(msg string, cause error) *Error {
	return &Error{Class: ClassHost, Transform: p.mod.Manifest.ID(), Msg: msg, Cause: cause}
}

// newInstance creates an instance whose linear memory lives outside the Go
// heap (mappedMemory).
func (p *Pool) newInstance(ctx context.Context) (*instance, error) {
	return p.mod.newInstance(withLinearMemory(ctx), p.log, p.cfg, p.bound)
}

// release returns a healthy instance to the pool; a broken or worn-out
// one is closed and its slot refilled on next use.
func (p *Pool) release(in *instance, err error) {
	if err != nil || p.wornOut(in) {
		in.close(context.Background(), p.mod.engine)
		p.replaced.Add(1)
		in = nil
	}
	p.idle <- in
}

func (p *Pool) wornOut(in *instance) bool {
	if p.cfg.MaxCallsPerInstance > 0 && in.calls >= p.cfg.MaxCallsPerInstance {
		return true
	}
	return p.cfg.MaxMemoryBytes > 0 && uint64(in.mem.Size()) > p.cfg.MaxMemoryBytes
}

// Close stops new batches (they fail with ErrClosed), wakes those waiting
// for an instance, waits for the batches running in the guest (each ends
// by its Timeout), then closes every instance and releases the pool's
// reference to its module and its memory reservation. Closing again, or
// concurrently, waits for the first Close and does nothing more.
func (p *Pool) Close(ctx context.Context) {
	p.mu.Lock()
	if !p.closing {
		p.closing = true
		close(p.shut)
	}
	p.mu.Unlock()
	p.closed.Do(func() {
		p.inflight.Wait()
		p.closeIdle(ctx)
		closeBindings(p.bound)
		p.log.report(true)
		p.mod.engine.budget.release(p.memory)
		_ = p.mod.Close(ctx)
	})
}

// closeIdle closes the instances in the pool; with no batch in flight,
// that is all of them.
func (p *Pool) closeIdle(ctx context.Context) {
	for {
		select {
		case in := <-p.idle:
			if in != nil {
				in.close(ctx, p.mod.engine)
			}
		default:
			return
		}
	}
}
