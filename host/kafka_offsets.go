package host

import (
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// offsetTracker decides what may be committed: per partition, records are
// registered in delivery order and acknowledged in any order; the commit
// point only advances over a contiguous run of acknowledged records, so an
// out-of-order ack never commits past a record still in flight.
type offsetTracker struct {
	mu    sync.Mutex
	parts map[topicPartition]*partitionLog
}

type topicPartition struct {
	topic     string
	partition int32
}

type partitionLog struct {
	epoch   int32          // leader epoch of the last record, for the commit
	pending []int64        // delivered, in order, not yet committed
	acked   map[int64]bool // acknowledged among pending
	commit  int64          // next offset to commit (last committed + 1), -1 if none
}

func newOffsetTracker() *offsetTracker {
	return &offsetTracker{parts: map[topicPartition]*partitionLog{}}
}

// delivered registers records handed to the pipeline.
func (t *offsetTracker) delivered(recs []*kgo.Record) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range recs {
		tp := topicPartition{r.Topic, r.Partition}
		p := t.parts[tp]
		if p == nil {
			p = &partitionLog{acked: map[int64]bool{}, commit: -1}
			t.parts[tp] = p
		}
		p.pending = append(p.pending, r.Offset)
		p.epoch = r.LeaderEpoch
	}
}

// acked marks records done and returns, per partition whose commit point
// moved, the offset to commit (the next one to read).
func (t *offsetTracker) acked(recs []*kgo.Record) map[topicPartition]kgo.EpochOffset {
	t.mu.Lock()
	defer t.mu.Unlock()
	moved := map[topicPartition]kgo.EpochOffset{}
	for _, r := range recs {
		tp := topicPartition{r.Topic, r.Partition}
		p := t.parts[tp]
		if p == nil {
			continue // the partition was revoked meanwhile: its new owner re-reads it
		}
		p.acked[r.Offset] = true
		for len(p.pending) > 0 && p.acked[p.pending[0]] {
			delete(p.acked, p.pending[0])
			p.commit = p.pending[0] + 1
			p.pending = p.pending[1:]
			moved[tp] = kgo.EpochOffset{Epoch: p.epoch, Offset: p.commit}
		}
	}
	return moved
}

// revoked forgets partitions and returns their final commit points.
func (t *offsetTracker) revoked(lost map[string][]int32) map[topicPartition]kgo.EpochOffset {
	t.mu.Lock()
	defer t.mu.Unlock()
	final := map[topicPartition]kgo.EpochOffset{}
	for topic, parts := range lost {
		for _, part := range parts {
			tp := topicPartition{topic, part}
			if p := t.parts[tp]; p != nil && p.commit >= 0 {
				final[tp] = kgo.EpochOffset{Epoch: p.epoch, Offset: p.commit}
			}
			delete(t.parts, tp)
		}
	}
	return final
}

// inFlight counts records delivered and not yet committed.
func (t *offsetTracker) inFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, p := range t.parts {
		n += len(p.pending)
	}
	return n
}

func toCommit(m map[topicPartition]kgo.EpochOffset) map[string]map[int32]kgo.EpochOffset {
	out := map[string]map[int32]kgo.EpochOffset{}
	for tp, eo := range m {
		if out[tp.topic] == nil {
			out[tp.topic] = map[int32]kgo.EpochOffset{}
		}
		out[tp.topic][tp.partition] = eo
	}
	return out
}
