package host

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaTxnInput is the kafka input in exactly-once mode. It drives the
// transaction: it begins one before polling, hands over up to maxBatches
// batches, waits until every one of them was acknowledged (written by the
// outputs inside the transaction), then ends it, which commits the consumed
// offsets with the produced records. A nack, a rebalance or a failed offset
// commit aborts instead; franz-go then rewinds the consumer to the last
// committed offsets, so the aborted records are read again.
//
// Every GroupTransactSession call but Produce happens on the ReadBatch
// goroutine (franz-go forbids polling concurrently with Begin and End), and
// End runs only once no batch of the transaction is in flight, so no output
// produces while a transaction ends.
type kafkaTxnInput struct {
	opts       []kgo.Opt // the at-least-once input's consumer options
	session    *txnSession
	seq        *sequencer // stamps batches in read order, for the outputs' order gates
	timeout    time.Duration
	maxPoll    int
	maxBatches int
	period     time.Duration
	log        *service.Logger

	sess *kgo.GroupTransactSession

	mu      sync.Mutex
	txn     txnState
	settled chan struct{} // signalled on every acknowledgement
}

// txnState is where the current transaction stands.
type txnState struct {
	open    bool      // begun and not yet ended
	began   time.Time // first batch delivered
	batches int       // batches delivered in it
	pending int       // delivered, not yet acknowledged
	nack    error     // first nack: the transaction must abort
}

// due reports whether the transaction should end now.
func (s txnState) due(maxBatches int, period time.Duration) bool {
	if !s.open || s.batches == 0 {
		return false
	}
	return s.nack != nil || s.batches >= maxBatches || time.Since(s.began) >= period
}

// kafkaTxnInputOr returns the exactly-once input when transaction.id is set,
// nil otherwise.
func kafkaTxnInputOr(conf *service.ParsedConfig, in *kafkaInput, mgr *service.Resources) (service.BatchInput, error) {
	txn := conf.Namespace(fieldTxn)
	id, err := txn.FieldString(fieldTxnID)
	if err != nil || id == "" {
		return nil, err
	}
	t := &kafkaTxnInput{opts: in.opts, maxPoll: in.maxPoll, log: mgr.Logger(), seq: newSequencer(), settled: make(chan struct{}, 1)}
	if t.timeout, err = txn.FieldDuration(fieldTxnTimeout); err != nil {
		return nil, err
	}
	if t.maxBatches, err = txn.FieldInt(fieldTxnBatches); err != nil {
		return nil, err
	}
	if t.maxBatches < 1 {
		return nil, fmt.Errorf("field %s.%s: %d; want at least 1", fieldTxn, fieldTxnBatches, t.maxBatches)
	}
	if t.period, err = txn.FieldDuration(fieldTxnPeriod); err != nil {
		return nil, err
	}
	if t.timeout <= t.period {
		return nil, fmt.Errorf("field %s.%s: %v must exceed %s (%v), or every transaction would time out", fieldTxn, fieldTxnTimeout, t.timeout, fieldTxnPeriod, t.period)
	}
	if t.session, err = claimTxnSession(id); err != nil {
		return nil, err
	}
	return t, nil
}

// Connect builds the transactional client, once the outputs said how they
// produce (Benthos connects a stream's input only after it built every
// output). An input whose id no output joined is a configuration error: it
// logs the fix and ends, so the stream stops without consuming anything.
func (t *kafkaTxnInput) Connect(ctx context.Context) error {
	popts, err := t.session.producerOpts(t.timeout)
	if err != nil {
		t.log.Error(err.Error())
		return service.ErrEndOfInput
	}
	// The at-least-once input's revoke callbacks stay in t.opts; its
	// offset tracker is never fed in this mode, so they commit nothing.
	sess, err := kgo.NewGroupTransactSession(append(slices.Clone(t.opts), popts...)...)
	if err != nil {
		return fmt.Errorf("kafka input: transaction.id %q: %w", t.session.id, err)
	}
	if err := pingKafka(ctx, sess.Client()); err != nil {
		sess.Close()
		return err
	}
	t.sess = sess
	t.session.set(sess)
	return nil
}

func (t *kafkaTxnInput) ReadBatch(ctx context.Context) (service.MessageBatch, service.AckFunc, error) {
	if t.sess == nil {
		return nil, nil, service.ErrNotConnected
	}
	for {
		if t.state().due(t.maxBatches, t.period) {
			if err := t.waitSettled(ctx); err != nil {
				return nil, nil, err
			}
			if err := t.end(ctx); err != nil {
				return nil, nil, err
			}
		}
		if err := t.begin(); err != nil {
			return nil, nil, err
		}
		recs, err := t.poll(ctx)
		if err != nil {
			return nil, nil, err
		}
		if len(recs) > 0 {
			t.delivered()
			batch := toMessages(recs)
			tk := t.seq.stamp(batch) // the outputs' order gates keep read order within a transaction
			return batch, func(ctx context.Context, err error) error {
				t.seq.finish(tk)
				return t.ack(ctx, err)
			}, nil
		}
	}
}

func (t *kafkaTxnInput) state() txnState {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.txn
}

// begin opens a transaction unless one is open.
func (t *kafkaTxnInput) begin() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.txn.open {
		return nil
	}
	if err := t.sess.Begin(); err != nil {
		return fmt.Errorf("kafka input: transaction.id %q: begin: %w", t.session.id, err)
	}
	t.txn = txnState{open: true}
	return nil
}

// poll fetches the next records; with batches already in the transaction,
// only until the transaction's period is over.
func (t *kafkaTxnInput) poll(ctx context.Context) ([]*kgo.Record, error) {
	pctx := ctx
	if s := t.state(); s.batches > 0 {
		var cancel context.CancelFunc
		pctx, cancel = context.WithDeadline(ctx, s.began.Add(t.period))
		defer cancel()
	}
	fetches := t.sess.PollRecords(pctx, t.maxPoll)
	if fetches.IsClientClosed() {
		return nil, service.ErrEndOfInput
	}
	recs := fetches.Records()
	if err := ctx.Err(); err != nil {
		if len(recs) > 0 {
			t.abortWith(err) // polled, never delivered: their offsets must not commit
		}
		return nil, err
	}
	fetches.EachError(func(topic string, part int32, err error) {
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			t.log.Warnf("kafka: fetching %s[%d]: %v", topic, part, err)
		}
	})
	return recs, nil
}

func (t *kafkaTxnInput) delivered() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.txn.batches == 0 {
		t.txn.began = time.Now()
	}
	t.txn.batches++
	t.txn.pending++
}

// ack settles one batch; a nack dooms the transaction it belongs to.
func (t *kafkaTxnInput) ack(_ context.Context, err error) error {
	t.mu.Lock()
	t.txn.pending--
	if err != nil && t.txn.nack == nil {
		t.txn.nack = err
	}
	t.mu.Unlock()
	select {
	case t.settled <- struct{}{}:
	default:
	}
	return nil
}

func (t *kafkaTxnInput) abortWith(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.txn.nack == nil {
		t.txn.nack = err
	}
}

// waitSettled waits until no batch of the transaction is in flight.
func (t *kafkaTxnInput) waitSettled(ctx context.Context) error {
	for t.state().pending > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.settled:
		}
	}
	return nil
}

// end commits the transaction if every batch of it was written, aborts it
// otherwise. An error leaves the transactional client unusable: it is
// closed, and Benthos reconnects (the new client fences the old ID).
func (t *kafkaTxnInput) end(ctx context.Context) error {
	s := t.state()
	// End must not be cancelled half-way (franz-go: that leaves the client
	// in an invalid state); the transaction timeout bounds it instead.
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.timeout)
	defer cancel()
	committed, err := t.sess.End(ectx, kgo.TransactionEndTry(s.nack == nil))
	t.mu.Lock()
	t.txn = txnState{}
	t.mu.Unlock()
	if err != nil {
		t.log.Errorf("kafka: transaction.id %q: ending the transaction failed, reconnecting (its records are read again): %v", t.session.id, err)
		t.closeClient()
		return service.ErrNotConnected
	}
	switch {
	case s.nack != nil:
		t.log.Warnf("kafka: transaction.id %q: aborted, a batch was not written (%v); its %d batches are read again", t.session.id, s.nack, s.batches)
	case !committed:
		t.log.Warnf("kafka: transaction.id %q: aborted (the group rebalanced or the offset commit was refused); its %d batches are read again by the partitions' owners", t.session.id, s.batches)
	}
	return nil
}

func (t *kafkaTxnInput) closeClient() {
	t.session.set(nil)
	t.sess.Close()
	t.sess = nil
}

// Close ends an open transaction (Benthos closes an input only once every
// batch was acknowledged, so it commits unless one was nacked), leaves the
// group and frees the transaction ID.
func (t *kafkaTxnInput) Close(ctx context.Context) error {
	defer t.session.release()
	if t.sess == nil {
		return nil
	}
	if s := t.state(); s.open && s.pending > 0 {
		t.abortWith(errors.New("closed with batches in flight"))
	}
	if t.state().open {
		if err := t.end(ctx); err != nil {
			return nil // end closed the client
		}
	}
	t.closeClient()
	return nil
}
