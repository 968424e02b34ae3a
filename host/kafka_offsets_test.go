package host

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/twmb/franz-go/pkg/kgo"
)

func recs(part int32, offsets ...int64) []*kgo.Record {
	out := make([]*kgo.Record, len(offsets))
	for i, o := range offsets {
		out[i] = &kgo.Record{Topic: "t", Partition: part, Offset: o}
	}
	return out
}

func TestOutOfOrderAcksNeverCommitPastAnUnackedRecord(t *testing.T) {
	tr := newOffsetTracker()
	a, b, c := recs(0, 10, 11), recs(0, 12, 13), recs(1, 5)
	tr.delivered(a)
	tr.delivered(b)
	tr.delivered(c)
	assert.Equal(t, 5, tr.inFlight())

	assert.Empty(t, tr.acked(b), "12-13 acked while 10-11 are in flight: nothing moves")
	assert.Equal(t, map[topicPartition]kgo.EpochOffset{{"t", 1}: {Offset: 6}}, tr.acked(c))
	assert.Equal(t, map[topicPartition]kgo.EpochOffset{{"t", 0}: {Offset: 14}}, tr.acked(a), "now the run 10-13 is contiguous")
	assert.Equal(t, 0, tr.inFlight())
}

func TestRevokedPartitionsAreForgotten(t *testing.T) {
	tr := newOffsetTracker()
	a, b := recs(0, 1), recs(0, 2)
	tr.delivered(a)
	tr.delivered(b)
	tr.acked(a)
	final := tr.revoked(map[string][]int32{"t": {0}})
	assert.Equal(t, map[topicPartition]kgo.EpochOffset{{"t", 0}: {Offset: 2}}, final, "commit what is done")
	assert.Empty(t, tr.acked(b), "a late ack for a revoked partition commits nothing: its new owner re-reads it")
	assert.Equal(t, 0, tr.inFlight())
}
