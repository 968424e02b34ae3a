package runtime

import (
	"context"
	"time"
)

// newRedpandaInstance starts a Redpanda transform: its config read from
// the pool's Config (redpandaConfig), its _start run up to its first
// read_batch_header.
func (m *Module) newRedpandaInstance(ctx context.Context, log *guestLog, cfg PoolConfig) (*instance, error) {
	rc, err := parseRedpandaConfig(m.Manifest.ID(), cfg.Config)
	if err != nil {
		return nil, err
	}
	in := &instance{log: log}
	if err := m.startRedpanda(ctx, in, cfg, rc); err != nil {
		if in.mod != nil {
			in.close(ctx, m.engine)
		}
		return nil, err
	}
	return in, nil
}

// runRedpanda runs one batch through a Redpanda guest. A record whose
// transform stops the guest (trap, fuel, timeout, ABI violation) is
// flagged with that class, the guest is replaced, and the fresh one goes
// on with the records after it, each run with the batch's budgets anew:
// a batch of n records costs at most n+1 runs of Fuel and Timeout. Only
// a replacement that fails to start fails the batch (the rest of it is
// the host's to retry).
func (in *instance) runRedpanda(ctx context.Context, m *Module, records []Record, cfg PoolConfig, start time.Time, into *Outcomes) ([]Outcome, int64, error) {
	in.calls++
	b := newRedpandaBatch(records, into.reset(len(records)), in.rp.config.routes, cfg.outputLimits(records), start.UnixMilli())
	var fuel int64
	for {
		in.prepare(m, cfg.Fuel, start, cfg.Timeout)
		err := in.rp.process(m, b, cfg.Timeout)
		fuel += in.state.used()
		if err == nil {
			break
		}
		b.fail(in.rp.failure(m, context.Background(), "_start", err))
		if err := in.replace(ctx, m, cfg); err != nil {
			return nil, fuel, err
		}
		if b.next >= len(records) {
			break
		}
		b.cur, start = -1, time.Now()
	}
	b.finish()
	return b.outcomes, fuel, nil
}

// replace closes the instance's stopped guest and starts a fresh one in
// its place.
func (in *instance) replace(ctx context.Context, m *Module, cfg PoolConfig) error {
	rc := in.rp.config
	in.close(ctx, m.engine)
	in.rp = nil
	if err := m.startRedpanda(withLinearMemory(ctx), in, cfg, rc); err != nil {
		return &Error{Class: ClassHost, Transform: m.Manifest.ID(), Msg: "replace the Redpanda guest that stopped", Cause: err}
	}
	return nil
}
