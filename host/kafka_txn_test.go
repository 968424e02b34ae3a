package host_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirstream/weir/internal/fixtures"
)

// txnRecords writes n records into "in": JSON with a secret, every tenth
// not JSON (the mask sends those to the dead-letter topic).
func txnRecords(t *testing.T, brokers string, n int) {
	recs := make([]*kgo.Record, n)
	for i := range recs {
		v := fmt.Sprintf(`{"n":%d,"secret":"s3cr3t-%d"}`, i, i)
		if i%10 == 9 {
			v = fmt.Sprintf("bad %d", i)
		}
		recs[i] = &kgo.Record{Topic: "in", Key: []byte(fmt.Sprint(i)), Value: []byte(v)}
	}
	require.NoError(t, kafkaClient(t, brokers).ProduceSync(context.Background(), recs...).FirstErr())
}

// txnStream builds kafka in → mask → out, failures → dlq, all in the
// transaction id, up to three batches per transaction (the ledger tests
// run the default, one).
func txnStream(t *testing.T, brokers, id string) *service.Stream {
	mask := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "plugins/mask")))
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: error"))
	require.NoError(t, b.AddInputYAML(fmt.Sprintf(`
kafka:
  seed_brokers: [%q]
  topics: [in]
  consumer_group: %s
  max_poll_records: 50
  transaction: { id: %s, max_batches: 3 }
`, brokers, id, id)))
	require.NoError(t, b.AddProcessorYAML(fmt.Sprintf(`
wasm:
  module: %s
  cache_dir: %s
  config: { fields: [ { path: secret, action: redact } ] }
`, mask, fixtures.CacheDir(t))))
	require.NoError(t, b.AddOutputYAML(fmt.Sprintf(`
switch:
  cases:
    - check: errored()
      output: { kafka: { seed_brokers: [%[1]q], topic: dlq, key: '${! @kafka_key }', transaction: { id: %[2]s } } }
    - output: { kafka: { seed_brokers: [%[1]q], topic: out, key: '${! @kafka_key }', transaction: { id: %[2]s } } }
`, brokers, id)))
	stream, err := b.Build()
	require.NoError(t, err)
	return stream
}

// runStream runs stream until the returned stop is called.
func runStream(t *testing.T, stream *service.Stream) (stop func()) {
	done := make(chan error, 1)
	go func() { done <- stream.Run(context.Background()) }()
	var once atomic.Bool
	stop = func() {
		if once.CompareAndSwap(false, true) {
			require.NoError(t, stream.Stop(context.Background()))
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

// TestKafkaExactlyOnceRoundTrip: the first transaction's offset commit is
// refused (the group generation changed, as in a rebalance), so that
// transaction aborts after its records were written and is redone; then
// one write fails, the output nacks, and that transaction aborts too. A
// read_committed consumer sees every record exactly once, masked, failures
// in the dead-letter topic; a read_uncommitted one sees the aborted
// records as well; the group's committed offsets reach the end.
func TestKafkaExactlyOnceRoundTrip(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "in", "out", "dlq"))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	brokers := strings.Join(c.ListenAddrs(), ",")
	const n = 300
	txnRecords(t, brokers, n)

	var refused, failed atomic.Int32
	c.ControlKey(int16(kmsg.TxnOffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		refused.Add(1)
		return refuseTxnCommit(req.(*kmsg.TxnOffsetCommitRequest)), nil, true
	})
	// after that, one transactional write fails: the output nacks
	c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		produce := req.(*kmsg.ProduceRequest)
		if refused.Load() == 0 || produce.TransactionID == nil {
			return nil, nil, false
		}
		failed.Add(1)
		return failProduce(produce), nil, true
	})
	stop := runStream(t, txnStream(t, brokers, "eos-roundtrip"))
	waitCommittedToEnd(t, brokers, "eos-roundtrip")
	stop()
	assert.EqualValues(t, 1, refused.Load(), "the commit fault fired once")
	assert.EqualValues(t, 1, failed.Load(), "the write fault fired once")

	seen := map[string]int{}
	for _, r := range readToEnd(t, brokers, kgo.FetchIsolationLevel(kgo.ReadCommitted())) {
		seen[string(r.Key)]++
		assert.NotContains(t, string(r.Value), "s3cr3t", "masked")
		var i int
		_, err := fmt.Sscan(string(r.Key), &i)
		require.NoError(t, err)
		assert.Equal(t, i%10 == 9, r.Topic == "dlq", "record %d in %s", i, r.Topic)
	}
	assert.Len(t, seen, n, "read_committed: every record")
	for k, c := range seen {
		assert.Equal(t, 1, c, "read_committed: record %s exactly once", k)
	}
	uncommitted := readToEnd(t, brokers)
	assert.Greater(t, len(uncommitted), n, "read_uncommitted also sees the aborted transaction's records")
}

// waitCommittedToEnd waits until group committed every partition of "in"
// up to its end.
func waitCommittedToEnd(t *testing.T, brokers, group string) {
	adm := kadm.NewClient(kafkaClient(t, brokers))
	ends, err := adm.ListEndOffsets(context.Background(), "in")
	require.NoError(t, err)
	fixtures.WaitUntil(t, "the group's offsets committed up to the end of in", func() bool {
		offsets, err := adm.FetchOffsets(context.Background(), group)
		if err != nil {
			return false
		}
		all := true
		ends.Each(func(o kadm.ListedOffset) {
			c, ok := offsets.Lookup("in", o.Partition)
			all = all && ok && c.At == o.Offset
		})
		return all
	})
}

// refuseTxnCommit answers a TxnOffsetCommit as a broker whose group moved
// on does: ILLEGAL_GENERATION for every partition.
func refuseTxnCommit(req *kmsg.TxnOffsetCommitRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	resp.Version = req.Version
	for _, rt := range req.Topics {
		st := kmsg.NewTxnOffsetCommitResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.ErrorCode = kerr.IllegalGeneration.Code
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

// failProduce answers a produce request as a broker refusing its records
// does: MESSAGE_TOO_LARGE, which a producer does not retry.
func failProduce(req *kmsg.ProduceRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	resp.Version = req.Version
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		for _, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.ErrorCode = kerr.MessageTooLarge.Code
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

// readToEnd stops nothing: it marks the end of every partition of out and
// dlq with a sentinel record (non-transactional, so a read_committed reader
// reaches it only once every transaction before it ended), then reads with
// opts until every sentinel arrived, and returns what came before them.
func readToEnd(t *testing.T, brokers string, opts ...kgo.Opt) []*kgo.Record {
	var sentinels []*kgo.Record
	for _, topic := range []string{"out", "dlq"} {
		for p := int32(0); p < 3; p++ {
			sentinels = append(sentinels, &kgo.Record{Topic: topic, Partition: p, Key: []byte("end")})
		}
	}
	w := kafkaClient(t, brokers, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, w.ProduceSync(context.Background(), sentinels...).FirstErr())
	r := kafkaClient(t, brokers, append(opts, kgo.ConsumeTopics("out", "dlq"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	ctx := fixtures.Patient(t)
	var got []*kgo.Record
	for ends := 0; ends < len(sentinels) && ctx.Err() == nil; {
		r.PollFetches(ctx).EachRecord(func(rec *kgo.Record) {
			if string(rec.Key) == "end" {
				ends++
			} else {
				got = append(got, rec)
			}
		})
	}
	require.NoError(t, ctx.Err(), "every partition read to its end")
	return got
}
