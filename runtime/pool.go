package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Pool holds warm instances of one module and runs batches through them,
// one batch per instance at a time. An instance that trapped, timed out or
// returned bad output is discarded and replaced on next use; instances are
// also recycled after MaxCallsPerInstance calls or past MaxMemoryBytes.
type Pool struct {
	mod    *Module
	cfg    PoolConfig
	log    *guestLog
	idle   chan *instance // nil entries are slots to fill on demand
	closed sync.Once      // releases the pool's reference to mod and its reservation
	memory uint64         // reserved from the engine's MemoryBudget
}

// NewPool creates Size instances up front so the first batch is not slow,
// and fails if the guest's init refuses its config, or if the pool's worst
// case (Size × InstanceBytes) does not fit in the engine's MemoryBudget
// (ErrMemoryBudget).
func (m *Module) NewPool(ctx context.Context, cfg PoolConfig) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	reserved, err := m.reserve(cfg.Size)
	if err != nil {
		return nil, err
	}
	if !m.retain() {
		m.engine.budget.release(reserved)
		return nil, fmt.Errorf("weir: new pool of %s: the module was closed", m.Manifest.ID())
	}
	p := &Pool{
		mod:    m,
		cfg:    cfg,
		log:    newGuestLog(m.engine.cfg.Logger, m.Manifest.ID(), cfg),
		idle:   make(chan *instance, cfg.Size),
		memory: reserved,
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
	outcomes, fuel, err := in.run(ctx, p.mod, records, p.cfg, start, into)
	p.release(in, err)
	p.log.report(false)
	if p.cfg.OnBatch != nil {
		p.cfg.OnBatch(fuel, time.Since(start))
	}
	return outcomes, err
}

func (p *Pool) acquire(ctx context.Context) (*instance, error) {
	select {
	case in, ok := <-p.idle:
		if !ok {
			return nil, errors.New("weir: pool is closed")
		}
		if in != nil && in.mod.IsClosed() { // the engine was closed: its memory is unmapped
			p.idle <- in
			return nil, fmt.Errorf("weir: transform %q: the engine was closed", p.mod.Manifest.ID())
		}
		if in != nil {
			return in, nil
		}
		in, err := p.newInstance(ctx)
		if err != nil {
			p.idle <- nil // keep the slot for the next try
			return nil, fmt.Errorf("weir: replace instance: %w", err)
		}
		return in, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// newInstance creates an instance whose linear memory lives outside the Go
// heap (mappedMemory).
func (p *Pool) newInstance(ctx context.Context) (*instance, error) {
	return p.mod.newInstance(withLinearMemory(ctx), p.log, p.cfg)
}

// release returns a healthy instance to the pool; a broken or worn-out
// one is closed and its slot refilled on next use.
func (p *Pool) release(in *instance, err error) {
	if err != nil || p.wornOut(in) {
		in.close(context.Background(), p.mod.engine)
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

// Close closes every idle instance and releases the pool's reference to
// its module and its memory reservation. Call it once no batch is in flight.
func (p *Pool) Close(ctx context.Context) {
	for {
		select {
		case in := <-p.idle:
			if in != nil {
				in.close(ctx, p.mod.engine)
			}
		default:
			p.closed.Do(func() {
				p.log.report(true)
				p.mod.engine.budget.release(p.memory)
				_ = p.mod.Close(ctx)
			})
			return
		}
	}
}
