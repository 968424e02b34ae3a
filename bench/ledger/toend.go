package ledger

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// endKey marks the sentinel records ReadToEnd writes.
const endKey = "ledger-end"

// ReadToEnd reads out and dlq to their ends and compares with what Write
// wrote. Unlike Check it counts duplicates that arrive after every record
// was seen: it appends a sentinel record to every partition of both topics
// (non-transactional, so a read_committed reader reaches it only once every
// transaction before it ended) and reads until each sentinel arrived. Call
// it once nothing writes to out and dlq any more. opts configure the reader
// (its isolation level).
func ReadToEnd(ctx context.Context, brokers []string, out, dlq string, n int, opts ...kgo.Opt) (Report, error) {
	sentinels, err := writeSentinels(ctx, brokers, out, dlq)
	if err != nil {
		return Report{}, err
	}
	reader, err := kgo.NewClient(append(opts, kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(out, dlq), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		return Report{}, err
	}
	defer reader.Close()
	t := newTally(n, dlq)
	for len(sentinels) > 0 {
		if err := ctx.Err(); err != nil {
			return t.report(), fmt.Errorf("%d partitions not read to their end: %w", len(sentinels), err)
		}
		fetches := reader.PollFetches(ctx)
		for _, r := range fetches.Records() {
			if string(r.Key) == endKey {
				// an earlier call's sentinel is skipped like this one's
				if at, ok := sentinels[partitionOf(r)]; ok && r.Offset >= at {
					delete(sentinels, partitionOf(r))
				}
				continue
			}
			if err := t.add(r.Topic, r.Value); err != nil {
				return t.rep, fmt.Errorf("topic %s offset %d: %w", r.Topic, r.Offset, err)
			}
		}
	}
	return t.report(), nil
}

type partition struct {
	topic string
	part  int32
}

func partitionOf(r *kgo.Record) partition { return partition{r.Topic, r.Partition} }

// writeSentinels appends one sentinel to every partition of the topics and
// returns where each landed.
func writeSentinels(ctx context.Context, brokers []string, topics ...string) (map[partition]int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, err
	}
	var recs []*kgo.Record
	ends.Each(func(o kadm.ListedOffset) {
		recs = append(recs, &kgo.Record{Topic: o.Topic, Partition: o.Partition, Key: []byte(endKey)})
	})
	results := cl.ProduceSync(ctx, recs...)
	if err := results.FirstErr(); err != nil {
		return nil, err
	}
	at := map[partition]int64{}
	for _, r := range results {
		at[partitionOf(r.Record)] = r.Record.Offset
	}
	return at, nil
}
