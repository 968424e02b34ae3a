package host

import (
	"context"
	"sync"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// Per-key order across an output's concurrent writes.
//
// Benthos runs max_in_flight goroutines per output; each takes the next
// batch and calls WriteBatch, and which of two goroutines reaches the
// broker first is the scheduler's choice: batch N+1 can be enqueued, and
// land, before batch N. An input that keeps order (kafka, nats_jetstream)
// stamps every batch with a ticket from its sequencer, in read order. An
// output enqueues a batch only once every earlier ticket of the same
// sequencer is either enqueued by this output or finished (acknowledged back
// to the input: written, dropped, or routed to another output). Only the
// enqueue is ordered; waiting for the broker's acknowledgements stays
// concurrent, so max_in_flight still pipelines.
//
// Bounds: a sequencer remembers finished tickets above the oldest
// unfinished one, a gate the enqueued tickets above its own watermark; both
// are bounded by the batches in flight, which the input bounds
// (max_uncommitted, or the server's max_ack_pending). A gate never blocks
// every one of its output's goroutines: when all max_in_flight of them wait,
// the oldest goes ahead, so a predecessor that cannot arrive (another
// input's ordering was lost upstream, e.g. pipeline.threads > 1 with a slow
// batch) costs order, never progress.

// sequencer issues tickets in the order an input reads its batches.
type sequencer struct {
	mu       sync.Mutex
	next     uint64              // the next ticket to issue
	low      uint64              // every ticket below it is finished
	finished map[uint64]struct{} // finished tickets at or above low
	gates    map[*orderGate]struct{}
}

// ticket is one batch's place in its input's read order.
type ticket struct {
	seq *sequencer
	n   uint64
}

type ticketKey struct{}

func newSequencer() *sequencer {
	return &sequencer{finished: map[uint64]struct{}{}, gates: map[*orderGate]struct{}{}}
}

// stamp gives batch the next ticket; it rides in each message's context,
// which copies of the message (processors, switch cases) keep.
func (s *sequencer) stamp(batch service.MessageBatch) *ticket {
	s.mu.Lock()
	t := &ticket{seq: s, n: s.next}
	s.next++
	s.mu.Unlock()
	ctx := context.WithValue(context.Background(), ticketKey{}, t)
	for i, m := range batch {
		batch[i] = m.WithContext(ctx)
	}
	return t
}

// finish records that the batch of t was acknowledged (any outcome) and
// wakes the gates waiting on this sequencer.
func (s *sequencer) finish(t *ticket) {
	s.mu.Lock()
	s.finished[t.n] = struct{}{}
	for {
		if _, ok := s.finished[s.low]; !ok {
			break
		}
		delete(s.finished, s.low)
		s.low++
	}
	gates := make([]*orderGate, 0, len(s.gates))
	for g := range s.gates {
		gates = append(gates, g)
	}
	s.mu.Unlock()
	for _, g := range gates {
		g.poke()
	}
}

// done reports whether ticket n is finished; the caller holds s.mu.
func (s *sequencer) done(n uint64) bool {
	if n < s.low {
		return true
	}
	_, ok := s.finished[n]
	return ok
}

// orderGate orders one output's enqueues by ticket.
type orderGate struct {
	slots   int // the output's max_in_flight: WriteBatch calls that can wait at once
	mu      sync.Mutex
	lanes   map[*sequencer]*lane
	waiting []*[]*ticket // WriteBatch calls waiting, oldest first
	changed chan struct{}
}

// lane is what one gate knows of one sequencer.
type lane struct {
	low      uint64              // every ticket below it is enqueued here or finished
	enqueued map[uint64]struct{} // tickets at or above low enqueued here
}

func newOrderGate(slots int) *orderGate {
	return &orderGate{slots: max(slots, 1), lanes: map[*sequencer]*lane{}, changed: make(chan struct{})}
}

// tickets lists the distinct tickets of a batch (one, unless the output's
// batching merged several input batches).
func tickets(batch service.MessageBatch) []*ticket {
	var out []*ticket
	for _, m := range batch {
		t, _ := m.Context().Value(ticketKey{}).(*ticket)
		if t != nil && (len(out) == 0 || out[len(out)-1] != t) {
			out = append(out, t)
		}
	}
	return out
}

// wait blocks until the batch may be enqueued, and returns the function to
// call once it is. A batch without tickets (from another input) never
// waits. A gate that is nil keeps no order.
func (g *orderGate) wait(ctx context.Context, batch service.MessageBatch) (enqueued func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	ts := tickets(batch)
	if len(ts) == 0 {
		return func() {}, nil
	}
	me := &ts
	g.mu.Lock()
	g.waiting = append(g.waiting, me)
	g.pokeLocked() // the oldest waiter may now be the last free writer
	for !g.ready(ts) && !(len(g.waiting) >= g.slots && g.waiting[0] == me) {
		changed := g.changed
		g.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			g.mu.Lock()
			g.leave(me)
			g.mu.Unlock()
			return nil, ctx.Err()
		}
		g.mu.Lock()
	}
	g.leave(me)
	g.mu.Unlock()
	return func() { g.enqueue(ts) }, nil
}

// ready reports whether every ticket before the batch's earliest, per
// sequencer, is enqueued here or finished; the caller holds g.mu.
func (g *orderGate) ready(ts []*ticket) bool {
	for _, t := range ts {
		l := g.lane(t.seq)
		t.seq.mu.Lock()
		if l.low < t.seq.low { // jump over what finished while this gate saw nothing
			for n := range l.enqueued {
				if n < t.seq.low {
					delete(l.enqueued, n)
				}
			}
			l.low = t.seq.low
		}
		for l.low < t.n {
			_, here := l.enqueued[l.low]
			if !here && !t.seq.done(l.low) {
				break
			}
			delete(l.enqueued, l.low)
			l.low++
		}
		ok := l.low >= t.n
		t.seq.mu.Unlock()
		if !ok {
			return false
		}
	}
	return true
}

// lane returns the gate's lane of s, registering the gate with s on first
// sight so that s's finished tickets wake it; the caller holds g.mu.
func (g *orderGate) lane(s *sequencer) *lane {
	l := g.lanes[s]
	if l == nil {
		l = &lane{enqueued: map[uint64]struct{}{}}
		g.lanes[s] = l
		s.mu.Lock()
		s.gates[g] = struct{}{}
		l.low = s.low
		s.mu.Unlock()
	}
	return l
}

// leave removes a waiter and wakes the others (the oldest may now go
// ahead); the caller holds g.mu.
func (g *orderGate) leave(me *[]*ticket) {
	for i, w := range g.waiting {
		if w == me {
			g.waiting = append(g.waiting[:i], g.waiting[i+1:]...)
			break
		}
	}
	g.pokeLocked()
}

func (g *orderGate) enqueue(ts []*ticket) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, t := range ts {
		l := g.lane(t.seq)
		if t.n >= l.low {
			l.enqueued[t.n] = struct{}{}
		}
	}
	g.pokeLocked()
}

func (g *orderGate) poke() {
	g.mu.Lock()
	g.pokeLocked()
	g.mu.Unlock()
}

func (g *orderGate) pokeLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// close unregisters the gate from the sequencers it knows.
func (g *orderGate) close() {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for s := range g.lanes {
		s.mu.Lock()
		delete(s.gates, g)
		s.mu.Unlock()
	}
	g.lanes = map[*sequencer]*lane{}
}

// keepOrderField is the outputs' switch for the order gate.
func keepOrderField() *service.ConfigField {
	return service.NewBoolField(fieldKeepOrder).
		Description("Enqueue batches in the order the input read them, so max_in_flight pipelines without reordering records of a key (a partition, a subject). Applies to batches from the kafka and nats_jetstream inputs; false lets concurrent writes overtake each other. See docs/deploy.md.").
		Default(true).Advanced()
}

// keepOrderGate returns the output's order gate, or nil with keep_order: false.
func keepOrderGate(conf *service.ParsedConfig, inFlight int) (*orderGate, error) {
	keep, err := conf.FieldBool(fieldKeepOrder)
	if err != nil || !keep {
		return nil, err
	}
	return newOrderGate(inFlight), nil
}
