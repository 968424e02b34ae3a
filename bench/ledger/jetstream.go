package ledger

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// WriteJetStream is Write into a JetStream subject, with publish acks.
func WriteJetStream(ctx context.Context, js jetstream.JetStream, subject string, n, keys int) error {
	perKey := make([]int, keys)
	for seq := 0; seq < n; seq++ {
		k := seq % keys
		r := Record{Key: "k" + strconv.Itoa(k), Seq: seq, N: perKey[k]}
		perKey[k]++
		if _, err := js.PublishAsync(subject, encode(r)); err != nil {
			return err
		}
		if seq%1000 == 999 || seq == n-1 {
			select {
			case <-js.PublishAsyncComplete():
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// CheckJetStream is Check over the out and dlq subjects of a stream, read
// from its start with an ordered consumer.
func CheckJetStream(ctx context.Context, js jetstream.JetStream, stream, out, dlq string, n int, idle time.Duration) (Report, error) {
	t := newTally(n, dlq)
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{out, dlq}})
	if err != nil {
		return t.rep, err
	}
	for t.waiting(idle) && ctx.Err() == nil {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(min(idle, 2*time.Second)))
		if err != nil {
			return t.rep, err
		}
		for msg := range batch.Messages() {
			if err := t.add(msg.Subject(), msg.Data()); err != nil {
				meta, _ := msg.Metadata()
				return t.rep, fmt.Errorf("subject %s sequence %v: %w", msg.Subject(), meta, err)
			}
		}
		if err := batch.Error(); err != nil && ctx.Err() == nil {
			return t.rep, err
		}
	}
	return t.report(), nil
}
