package host

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/runtime"
)

// version is one transform version serving batches.
type version struct {
	mod    *runtime.Module // one reference, closed when the slot drops the version
	pool   *runtime.Pool
	id     string // its identity in the source: artifact or module digest
	origin string // file path or reference@digest
	since  time.Time
	life   *lifecycle     // its state and record in the slot's history, guarded by the slot's mu
	series *versionSeries // its second-by-second ring for the console (console_series.go)

	mu     sync.RWMutex // held shared by each batch in flight, exclusively to retire
	closed bool

	// On probation (it replaced a version), its records and failures are
	// counted for automatic rollback.
	probation       bool
	records, failed atomic.Int64
	rolledBack      atomic.Bool
}

// slot holds the version a processor serves and swaps it: prepare fully,
// swap a pointer between batches, let in-flight batches finish on the old
// version, then close it (docs/registry.md, "The swap protocol").
type slot struct {
	name   string
	source moduleSource
	// admit loads a module: admission and compile (cached). selfTest,
	// if set, checks it against the pipeline: schema contract, golden
	// fixtures. warm starts its instances.
	admit    func(ctx context.Context, wasm []byte) (*runtime.Module, error)
	selfTest func(ctx context.Context, mod *runtime.Module) error
	warm     func(ctx context.Context, mod *runtime.Module) (*runtime.Pool, error)
	policy   rollbackPolicy
	log      *service.Logger
	swaps    *service.MetricCounter
	series   slotSeries // the console's rings, one per recent version

	cur atomic.Pointer[version]

	// swapMu serializes what changes the serving version: installs and
	// operator commands. It is never held while a candidate is fetched or
	// warmed (that may wait on a registry, or on a guest's start-up up to
	// its timeout): an operator command cancels the prepare in flight
	// instead of waiting behind it (docs/RATIONALE.md, "How quickly is a
	// looping guest stopped?").
	swapMu   sync.Mutex
	updateMu sync.Mutex // serializes the watcher's updates

	mu          sync.Mutex // guards what follows, briefly: status never waits for a swap
	prev        *version   // the last version that served healthily before cur, kept compiled (pool closed) for rollback
	pinned      bool
	rejected    map[string]string // id → why it can never go live
	history     []SwapEvent
	lives       []*lifecycle // the versions' lifecycles, oldest first, at most historyLen
	failure     *SwapEvent   // the last failed step
	lastGood    string       // the id cached as the source's last known good
	watching    bool
	stop        context.CancelFunc // stops the watcher
	watcherDone chan struct{}      // closed when the watcher has returned; nil without one

	preparing context.CancelFunc // cancels the prepare in flight, if any
	epoch     uint64             // bumped by each operator command: a prepare begun before one is dropped
	released  bool               // the processor closed the slot: nothing more may be installed
}

// rollbackPolicy: roll back to the previous version when, within window of
// a swap, at least minRecords went through and the failed share reached rate.
type rollbackPolicy struct {
	rate       float64 // 0: never
	window     time.Duration
	minRecords int64
}

// SwapEvent is one entry of a slot's history, as status shows it.
type SwapEvent struct {
	At      time.Time `json:"at"`
	Outcome string    `json:"outcome"` // served, swapped, refused, failed, rolled_back, pinned, unpinned
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Class   string    `json:"class,omitempty"` // a refusal's failure class (runtime.Class)
	Reason  string    `json:"reason,omitempty"`
	TookMs  float64   `json:"took_ms,omitempty"` // from resolve to serving
	Repeats int       `json:"repeats,omitempty"` // the same failure again, at each watch interval
}

const historyLen = 32

// acquire returns the serving version, held until release.
func (s *slot) acquire() *version {
	for {
		v := s.cur.Load()
		v.mu.RLock()
		if !v.closed {
			return v
		}
		v.mu.RUnlock() // swapped out meanwhile: take the new one
	}
}

func (v *version) release() { v.mu.RUnlock() }

// retire waits for v's in-flight batches, then closes its pool.
func retire(v *version) {
	v.mu.Lock()
	v.closed = true
	v.mu.Unlock()
	v.pool.Close(context.Background())
}

// start loads the first version: what the source offers, else its last
// known good copy. It fails, saying why, when neither works.
func (s *slot) start(ctx context.Context) error {
	c, v, l, err := s.load(ctx, "")
	if err != nil {
		s.refusedAtStart(l, err)
		if c, err = s.fallBack(ctx, err); err != nil {
			return err
		}
		if v, l, err = s.prepare(ctx, c); err != nil {
			s.refusedAtStart(l, err)
			return fmt.Errorf("module %s: last known good %s: %w", s.source, c.origin, err)
		}
	}
	s.cur.Store(v)
	s.mu.Lock()
	s.move(v.life, stateServing)
	s.record(SwapEvent{Outcome: "served", To: v.origin})
	s.mu.Unlock()
	s.keep(ctx, c)
	return nil
}

// refusedAtStart records a version that failed to load at start-up.
func (s *slot) refusedAtStart(l *lifecycle, err error) {
	if l != nil && errors.Is(err, errRefused) { // as failed does; nothing serves yet, and start's caller reports err
		s.mu.Lock()
		s.rejected[l.rec.ID] = err.Error()
		s.record(SwapEvent{Outcome: "refused", To: l.rec.ID, Class: string(refusalClass(err)), Reason: err.Error()})
		s.failure = &s.history[len(s.history)-1]
		s.mu.Unlock()
	}
	s.ended(l, err, false)
}

func (s *slot) fallBack(ctx context.Context, why error) (candidate, error) {
	c, err := s.source.lastGood(ctx)
	if err != nil {
		return c, fmt.Errorf("module %s: %w (and %v)", s.source, why, err)
	}
	s.log.Warnf("weir: %s: %v; serving the last known good version %s", s.name, why, c.origin)
	return c, nil
}

// load resolves (unless id is given), fetches and prepares a version. It
// returns the version's lifecycle, nil when nothing was fetched, for the
// caller to end (s.ended) if loading failed.
func (s *slot) load(ctx context.Context, id string) (candidate, *version, *lifecycle, error) {
	var err error
	if id == "" {
		if id, err = s.source.resolve(ctx); err != nil {
			return candidate{}, nil, nil, fmt.Errorf("resolve: %w", err)
		}
	}
	c, err := s.source.fetch(ctx, id)
	if errors.Is(err, errRefused) { // fetched, then refused (its signature)
		return c, nil, s.track(newLifecycle(id, id, stateFetched)), err
	}
	if err != nil {
		return c, nil, nil, err
	}
	v, l, err := s.prepare(ctx, c)
	return c, v, l, err
}

// keep records a serving candidate as the source's last known good.
func (s *slot) keep(ctx context.Context, c candidate) {
	if c.keep == nil {
		return
	}
	if err := c.keep(ctx); err != nil {
		s.log.Warnf("weir: %s: caching %s as last known good: %v", s.name, c.origin, err)
		return
	}
	s.mu.Lock()
	s.lastGood = c.id
	s.mu.Unlock()
}

// update swaps to what the source offers now, if it is new and allowed.
func (s *slot) update(ctx context.Context) {
	s.updateMu.Lock()
	defer s.updateMu.Unlock()
	if ctx.Err() != nil { // the watcher was stopped: touch neither source nor slot
		return
	}
	began := time.Now()
	s.mu.Lock()
	pinned := s.pinned
	s.mu.Unlock()
	if pinned {
		return
	}
	pctx, epoch, done := s.beginPrepare(ctx)
	defer done()
	id, err := s.source.resolve(pctx)
	if err != nil {
		s.failedUnlessInterrupted(pctx, SwapEvent{Outcome: "failed", Reason: "resolve: " + err.Error()})
		return
	}
	s.mu.Lock()
	skip := id == s.cur.Load().id || s.rejected[id] != ""
	s.mu.Unlock()
	if !skip {
		_ = s.auditSwap(s.cur.Load(), id, s.swapTo(pctx, epoch, id, SwapEvent{Outcome: "swapped"}, nil, began))
	}
}

// beginPrepare starts a prepare that operator commands can cancel. It
// returns the prepare's context, the epoch it began in, and a func to call
// when it is over.
func (s *slot) beginPrepare(ctx context.Context) (context.Context, uint64, func()) {
	pctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.preparing = cancel
	epoch := s.epoch
	return pctx, epoch, func() {
		cancel()
		s.mu.Lock()
		if s.epoch == epoch {
			s.preparing = nil
		}
		s.mu.Unlock()
	}
}

// interrupt cancels the prepare in flight and makes sure whatever it
// prepared is dropped: an operator command wins over it at once.
func (s *slot) interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch++
	if s.preparing != nil {
		s.preparing()
		s.preparing = nil
	}
}

var errInterrupted = errors.New("interrupted by an operator command")

// swapTo loads id outside s.swapMu, then swaps it in unless an operator
// command came meanwhile (the epoch moved), ctx ended, or (from set) the
// slot no longer serves from. ev is the swap's event: "swapped", or
// "rolled_back" with its reason, which then rejects from.
func (s *slot) swapTo(ctx context.Context, epoch uint64, id string, ev SwapEvent, from *version, began time.Time) error {
	c, v, l, err := s.load(ctx, id)
	if err != nil {
		fe := SwapEvent{Outcome: "failed", To: id, Reason: err.Error()}
		if errors.Is(err, errRefused) {
			fe.Outcome, fe.Class = "refused", string(refusalClass(err))
		}
		interrupted := s.failedUnlessInterrupted(ctx, fe)
		s.ended(l, err, interrupted)
		if interrupted {
			return errInterrupted
		}
		return err
	}
	s.swapMu.Lock()
	s.mu.Lock()
	current := s.epoch == epoch && ctx.Err() == nil && !s.released
	moved := from != nil && s.cur.Load() != from
	s.mu.Unlock()
	if !current || moved {
		s.swapMu.Unlock()
		s.drop(v)
		if moved {
			return nil // already swapped away from what was to be rolled back
		}
		return errInterrupted
	}
	ev.TookMs = float64(time.Since(began).Microseconds()) / 1000
	s.install(v, ev, rejectReason(ev))
	s.swapMu.Unlock()
	s.keep(ctx, c)
	return nil
}

// rejectReason is what a swap rejects the replaced version for: a
// rollback's reason, nothing for a plain swap.
func rejectReason(ev SwapEvent) string {
	if ev.Outcome != "rolled_back" {
		return ""
	}
	return "rolled back: " + ev.Reason
}

// failedUnlessInterrupted records a failed step, unless it failed because
// an operator command (or the slot's shutdown) cancelled it; it reports
// whether it was interrupted.
func (s *slot) failedUnlessInterrupted(ctx context.Context, ev SwapEvent) bool {
	if ctx.Err() != nil {
		return true
	}
	s.failed(ev)
	return false
}

// drop closes a prepared version that never served.
func (s *slot) drop(v *version) {
	v.pool.Close(context.Background())
	_ = v.mod.Close(context.Background())
	s.mu.Lock()
	s.move(v.life, stateClosed)
	v.life.rec.Outcome = outcomeDropped
	s.mu.Unlock()
}

// prepare takes a fetched candidate (digest, size and signature checked)
// through admission, compile and self-test, and warms its instances. It
// returns the version's lifecycle, for the caller to end if it failed.
func (s *slot) prepare(ctx context.Context, c candidate) (*version, *lifecycle, error) {
	l := newLifecycle(c.id, c.origin, stateFetched)
	l.rec.Signer = c.signer
	s.track(l)
	s.advance(l, stateVerified)
	mod, err := s.admit(ctx, c.wasm)
	if err != nil {
		if isCompileFailure(err) {
			s.advance(l, stateAdmitted)
		}
		return nil, l, refuse("admit", err)
	}
	s.mu.Lock()
	l.rec.Transform, l.rec.ModuleDigest = mod.Manifest.ID(), mod.Digest
	s.move(l, stateAdmitted)
	s.move(l, stateCompiled)
	s.mu.Unlock()
	if s.selfTest != nil {
		if err := s.selfTest(ctx, mod); err != nil {
			_ = mod.Close(ctx) // a refused version's compiled code is freed
			return nil, l, refuse("self-test", err)
		}
	}
	v, err := s.warmed(ctx, mod, c.id, c.origin, l)
	return v, l, err
}

// isCompileFailure reports whether Engine.Load refused a module at
// compile, after its admission checks passed.
func isCompileFailure(err error) bool {
	var re *runtime.Error
	return errors.As(err, &re) && re.Class == runtime.ClassAdmission && re.Msg == "compile"
}

// warmed makes a version of mod, taking over the caller's reference to
// it; l is its lifecycle, at compiled.
func (s *slot) warmed(ctx context.Context, mod *runtime.Module, id, origin string, l *lifecycle) (*version, error) {
	pool, err := s.warm(ctx, mod)
	if err != nil {
		_ = mod.Close(ctx)
		return nil, refuse("warm", err)
	}
	s.advance(l, stateSelfTested)
	return &version{mod: mod, pool: pool, id: id, origin: origin, since: time.Now(), life: l, series: s.series.of(mod)}, nil
}

// install makes v serve and drains the version it replaces. A healthy
// replacement becomes the version kept compiled for rollback; with reject
// set, the replaced version is rolled back instead: its id is rejected
// and its code freed once drained. The caller holds s.swapMu.
func (s *slot) install(v *version, ev SwapEvent, reject string) {
	v.probation = ev.Outcome == "swapped"
	v.since = time.Now()
	s.mu.Lock()
	old := s.cur.Swap(v)
	ev.From, ev.To = old.origin, v.origin
	s.move(v.life, stateServing)
	s.move(old.life, stateDraining)
	var free *version // a version whose compiled code is no longer kept
	if reject == "" {
		old.life.rec.Outcome = outcomeReplaced
		free, s.prev = s.prev, old
	} else {
		old.life.rec.Outcome, old.life.rec.Reason = outcomeRolledBack, reject
		s.rejected[old.id] = reject
		if s.prev != nil && s.prev.id == v.id { // it serves again, on its own reference
			free, s.prev = s.prev, nil
		}
	}
	s.record(ev)
	s.mu.Unlock()
	s.log.Infof("weir: %s: %s %s → %s", s.name, ev.Outcome, ev.From, ev.To)
	go s.drain(old, reject != "")
	if free != nil { // its pool was closed when it was replaced
		_ = free.mod.Close(context.Background())
	}
}

// drain retires a replaced version: once its batches in flight are done
// its pool is closed, and with forget its compiled code too.
func (s *slot) drain(v *version, forget bool) {
	retire(v)
	if forget {
		_ = v.mod.Close(context.Background())
	}
	s.mu.Lock()
	s.move(v.life, stateClosed)
	s.mu.Unlock()
}

// record appends to the history; the caller holds s.mu.
func (s *slot) record(ev SwapEvent) {
	ev.At = time.Now()
	s.history = append(s.history, ev)
	if len(s.history) > historyLen {
		s.history = s.history[1:]
	}
	if s.swaps != nil {
		s.swaps.Incr(1, ev.Outcome, s.name)
	}
}

// failed records a failed step, rejecting the version for good when the
// step was a refusal. A failure repeating the last one is counted in it
// rather than logged and recorded again.
func (s *slot) failed(ev SwapEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ev.Outcome == "refused" {
		s.rejected[ev.To] = ev.Reason
	}
	if n := len(s.history); n > 0 {
		if last := &s.history[n-1]; last.Outcome == ev.Outcome && last.To == ev.To && last.Reason == ev.Reason {
			last.At = time.Now()
			last.Repeats++
			s.failure = last
			return
		}
	}
	s.record(ev)
	s.failure = &s.history[len(s.history)-1]
	s.log.Errorf("weir: %s: %s: %s; still serving %s", s.name, ev.Outcome, ev.Reason, s.cur.Load().origin)
}

// rollback goes back from version from (the serving one, if nil) to the
// last version that served healthily, and rejects from's id so the
// watcher does not take it again. It never goes back to a rejected
// version: with none to go to it fails, saying why. It cancels a swap
// being prepared rather than wait for it.
func (s *slot) rollback(ctx context.Context, from *version, reason string) error {
	s.interrupt()
	s.swapMu.Lock()
	s.mu.Lock()
	cur, kept := s.cur.Load(), s.prev
	target, why := s.rollbackTarget(cur)
	s.mu.Unlock()
	switch {
	case from != nil && cur != from:
		s.swapMu.Unlock()
		return nil // already swapped away
	case target == "":
		s.swapMu.Unlock()
		return fmt.Errorf("%s: no version to roll back to from %s: %s", s.name, cur.origin, why)
	case kept == nil || kept.id != target:
		s.swapMu.Unlock() // not kept compiled: fetched again, through the whole protocol
		pctx, epoch, done := s.beginPrepare(ctx)
		defer done()
		return s.swapTo(pctx, epoch, target, SwapEvent{Outcome: "rolled_back", Reason: reason}, cur, time.Now())
	}
	defer s.swapMu.Unlock()
	l := newLifecycle(kept.id, kept.origin, stateCompiled)
	l.rec.Signer = s.signerOf(kept.id)
	s.track(l)
	v, err := s.warmed(ctx, kept.mod.Retain(), kept.id, kept.origin, l)
	if err != nil {
		s.failed(SwapEvent{Outcome: "failed", To: kept.origin, Reason: "rollback: " + err.Error()})
		s.ended(l, err, ctx.Err() != nil)
		return err
	}
	s.install(v, SwapEvent{Outcome: "rolled_back", Reason: reason}, "rolled back: "+reason)
	return nil
}

// pin holds the slot at version id (the serving one if empty): the watcher
// stops following the source until unpin. It cancels a swap being
// prepared rather than wait for it; its own prepare of id can in turn be
// cancelled by the next operator command.
func (s *slot) pin(ctx context.Context, id string) error {
	s.interrupt()
	if id != "" && id != s.cur.Load().id {
		s.mu.Lock()
		was := s.pinned
		s.pinned = true        // the watcher starts no prepare meanwhile
		delete(s.rejected, id) // an operator's explicit choice
		s.mu.Unlock()
		pctx, epoch, done := s.beginPrepare(ctx)
		defer done()
		if err := s.swapTo(pctx, epoch, id, SwapEvent{Outcome: "swapped"}, nil, time.Now()); err != nil {
			s.mu.Lock()
			s.pinned = was
			s.mu.Unlock()
			return err
		}
	}
	s.swapMu.Lock()
	defer s.swapMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pinned = true
	s.record(SwapEvent{Outcome: "pinned", To: s.cur.Load().origin})
	return nil
}

// unpin lets the watcher follow the source again; it cancels a pin's
// prepare in flight.
func (s *slot) unpin() {
	s.interrupt()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pinned = false
	s.record(SwapEvent{Outcome: "unpinned"})
}

// observe counts a batch's records against v and rolls back automatically
// when v fails too often soon after going live.
func (s *slot) observe(v *version, records, failed int) {
	if !v.probation || s.policy.rate <= 0 || time.Since(v.since) > s.policy.window {
		return
	}
	n, f := v.records.Add(int64(records)), v.failed.Add(int64(failed))
	if n < s.policy.minRecords || float64(f) < s.policy.rate*float64(n) || !v.rolledBack.CompareAndSwap(false, true) {
		return
	}
	reason := fmt.Sprintf("%d of %d records failed within %s of the swap (threshold %.0f%%)", f, n, time.Since(v.since).Round(time.Millisecond), s.policy.rate*100)
	go func() {
		if err := s.auditRollback(v, reason, s.rollback(context.Background(), v, reason)); err != nil {
			s.log.Errorf("weir: %s: automatic rollback failed: %v", s.name, err)
		}
	}()
}
