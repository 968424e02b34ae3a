package host

import (
	"context"
	"math/rand"
	"sync"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// stamped returns n one-message batches stamped in read order.
func stamped(s *sequencer, n int) []service.MessageBatch {
	out := make([]service.MessageBatch, n)
	for i := range out {
		out[i] = service.MessageBatch{service.NewMessage([]byte("m"))}
		s.stamp(out[i])
	}
	return out
}

// TestOrderGateEnqueuesInReadOrder hands batches to the gate from
// goroutines started in a shuffled order (what Benthos's max_in_flight
// writers do); every fifth batch goes to "another output" and is only
// finished. The gate must let them enqueue in read order.
func TestOrderGateEnqueuesInReadOrder(t *testing.T) {
	const n = 300
	s := newSequencer()
	g := newOrderGate(n)
	batches := stamped(s, n)
	var mu sync.Mutex
	var order []uint64
	var wg sync.WaitGroup
	for _, i := range rand.Perm(n) {
		b := batches[i]
		tk := tickets(b)[0]
		if i%5 == 0 {
			go s.finish(tk) // routed elsewhere: acknowledged without reaching this gate
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			enqueued, err := g.wait(context.Background(), b)
			if !assert.NoError(t, err) {
				return
			}
			mu.Lock()
			order = append(order, tk.n)
			mu.Unlock()
			enqueued()
			s.finish(tk)
		}()
	}
	wg.Wait()
	require.Len(t, order, n-n/5)
	for i := 1; i < len(order); i++ {
		require.Less(t, order[i-1], order[i], "enqueued out of read order at %d: %v", i, order)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Equal(t, uint64(n), s.low, "every ticket finished")
	assert.Empty(t, s.finished, "nothing remembered below the watermark")
}

// TestOrderGateNeverBlocksEveryWriter: with max_in_flight 2 and the first
// batch nowhere (lost upstream), two waiting writers are every writer the
// output has; the older must go ahead, the younger once the first
// finishes.
func TestOrderGateNeverBlocksEveryWriter(t *testing.T) {
	s := newSequencer()
	g := newOrderGate(2)
	b := stamped(s, 3)
	done := make(chan uint64, 2)
	for _, i := range []int{1, 2} {
		go func() {
			enqueued, err := g.wait(context.Background(), b[i])
			if assert.NoError(t, err) {
				enqueued()
				done <- uint64(i)
			}
		}()
		fixtures.WaitUntil(t, "the writer waits", func() bool {
			g.mu.Lock()
			defer g.mu.Unlock()
			return len(g.waiting) == i || len(done) > 0
		})
	}
	assert.Equal(t, uint64(1), <-done, "the oldest waiter went ahead")
	s.finish(tickets(b[0])[0])
	assert.Equal(t, uint64(2), <-done)
}

// TestOrderGateWaitEndsWithItsContext: a writer waiting for a predecessor
// returns when its context ends (the output is closing) and leaves no
// waiter behind.
func TestOrderGateWaitEndsWithItsContext(t *testing.T) {
	s := newSequencer()
	g := newOrderGate(4)
	b := stamped(s, 2)
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() {
		_, err := g.wait(ctx, b[1])
		errs <- err
	}()
	fixtures.WaitUntil(t, "the writer waits", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return len(g.waiting) == 1
	})
	cancel()
	assert.ErrorIs(t, <-errs, context.Canceled)
	g.mu.Lock()
	defer g.mu.Unlock()
	assert.Empty(t, g.waiting)
}

// TestOrderGateLetsUnstampedBatchesThrough: batches from inputs without a
// sequencer, and every batch with keep_order: false (a nil gate), never wait.
func TestOrderGateLetsUnstampedBatchesThrough(t *testing.T) {
	g := newOrderGate(1)
	enqueued, err := g.wait(context.Background(), service.MessageBatch{service.NewMessage(nil)})
	require.NoError(t, err)
	enqueued()
	var off *orderGate
	s := newSequencer()
	b := stamped(s, 2)
	enqueued, err = off.wait(context.Background(), b[1])
	require.NoError(t, err)
	enqueued()
	off.close()
}

// TestOrderGateForgetsWhatFinishedElsewhere: a gate that sees one batch in
// a thousand (a dead-letter output) keeps nothing of the others and lets
// its next batch through at once.
func TestOrderGateForgetsWhatFinishedElsewhere(t *testing.T) {
	s := newSequencer()
	g := newOrderGate(4)
	b := stamped(s, 1001)
	enqueued, err := g.wait(context.Background(), b[0])
	require.NoError(t, err)
	enqueued()
	for _, batch := range b[:1000] {
		s.finish(tickets(batch)[0])
	}
	enqueued, err = g.wait(context.Background(), b[1000])
	require.NoError(t, err)
	enqueued()
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.lanes[s]
	assert.Equal(t, uint64(1000), l.low)
	assert.Len(t, l.enqueued, 1, "only the batch above the watermark is remembered")
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Empty(t, s.finished)
}
