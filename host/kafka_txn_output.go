package host

import (
	"context"
	"fmt"
	"sync"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaTxnOutput is the kafka output in exactly-once mode: it produces with
// the client of the kafka input that claimed its transaction.id, inside the
// transaction that input began. It never retries a record: a record that
// failed inside a transaction fails the transaction, so the error goes back
// to the input, whose nack aborts it.
type kafkaTxnOutput struct {
	*kafkaOutput
	session *txnSession
}

// kafkaTxnOutputOr returns the exactly-once output when transaction.id is
// set, out itself otherwise.
func kafkaTxnOutputOr(conf *service.ParsedConfig, out *kafkaOutput) (service.BatchOutput, error) {
	id, err := conf.Namespace(fieldTxn).FieldString(fieldTxnID)
	if err != nil || id == "" {
		return out, err
	}
	codec, err := conf.FieldString(fieldCompression)
	if err != nil {
		return nil, err
	}
	s, err := joinTxnSession(id, codec, out.manualPartition)
	if err != nil {
		return nil, err
	}
	return &kafkaTxnOutput{kafkaOutput: out, session: s}, nil
}

// Connect has nothing to do: the input owns the client.
func (o *kafkaTxnOutput) Connect(context.Context) error { return nil }

func (o *kafkaTxnOutput) WriteBatch(ctx context.Context, batch service.MessageBatch) error {
	sess := o.session.current()
	if sess == nil {
		return service.ErrNotConnected
	}
	recs := make([]*kgo.Record, 0, len(batch))
	for i, m := range batch {
		r, err := o.record(m)
		if err != nil {
			return fmt.Errorf("kafka: message %d: %w", i, err)
		}
		recs = append(recs, r)
	}
	enqueued, err := o.gate.wait(ctx, batch)
	if err != nil {
		return err
	}
	if err := o.produceIn(ctx, sess, recs, enqueued); err != nil {
		return fmt.Errorf("kafka: transaction.id %q: %w", o.session.id, err)
	}
	return nil
}

// produceIn enqueues every record in the transaction, then calls enqueued
// (the order gate lets the next batch enqueue), then waits for them all. A
// failed record fails the batch, and so the transaction: never retried.
func (o *kafkaTxnOutput) produceIn(ctx context.Context, sess *kgo.GroupTransactSession, recs []*kgo.Record, enqueued func()) error {
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	wg.Add(len(recs))
	for _, r := range recs {
		sess.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
			wg.Done()
		})
	}
	enqueued()
	wg.Wait()
	return first
}

// Close leaves the client to the input, which closes it.
func (o *kafkaTxnOutput) Close(context.Context) error { return nil }
