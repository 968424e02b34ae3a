package host

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Field names of the kafka input.
const (
	fieldTopics      = "topics"
	fieldGroup       = "consumer_group"
	fieldStartFrom   = "start_from"
	fieldMaxPoll     = "max_poll_records"
	fieldMaxInFlight = "max_uncommitted"
	fieldSession     = "session_timeout"
	fieldRebalance   = "rebalance_timeout"
	fieldInstanceID  = "instance_id"
)

func kafkaInputSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Categories("Services").
		Summary("Consumes Kafka topics as a member of a consumer group, at least once.").
		Description(`
Built on franz-go. Offsets are committed only after Benthos acknowledged
every record up to them: per partition, the commit point advances over a
contiguous run of acknowledged records, so an out-of-order acknowledgement
never commits past a record still in flight. On a rebalance, the revoked
partitions' commit points are committed synchronously and their in-flight
records are left to the new owner, which re-reads them (duplicates, never
gaps). Records keep their partition order within a batch.

Metadata: ` + "`kafka_key`, `kafka_topic`, `kafka_partition`, `kafka_offset`, `kafka_timestamp_unix_ms`" + `,
and every record header under its own key.`).
		Fields(kafkaClientFields()...).
		Field(service.NewStringListField(fieldTopics).Description("Topics to consume.").Example([]string{"orders"})).
		Field(service.NewStringField(fieldGroup).Description("Consumer group to join; processes in one group share the partitions.")).
		Field(service.NewStringEnumField(fieldStartFrom, "earliest", "latest").
			Description("Where a partition starts when the group has no committed offset for it (committed offsets always win).").
			Default("earliest")).
		Field(service.NewIntField(fieldMaxPoll).Description("Most records handed over in one batch.").Default(1024).Advanced()).
		Field(service.NewIntField(fieldMaxInFlight).Description("Most records delivered and not yet committed; polling pauses above it. It bounds the duplicates a crash can cause.").Default(10000).Advanced()).
		Field(service.NewDurationField(fieldSession).Description("How long the group waits for a silent member (a crashed process) before giving its partitions to the others.").Default("45s").Advanced()).
		Field(service.NewDurationField(fieldRebalance).Description("How long a rebalance waits for the members to rejoin; a member that does not (a crashed process still listed) is dropped after it. With session_timeout it bounds a restart's pause, see docs/deploy.md.").Default("15s").Advanced()).
		Field(service.NewStringField(fieldInstanceID).Description("Static group membership (group.instance.id): a process restarted with the same ID takes its old member's place and partitions at once, without waiting for the session timeout or a rebalance. Give each process of the group its own stable ID (e.g. the pod name); empty for dynamic membership.").Default("").Advanced()).
		Field(kafkaTxnInputField()).
		Field(service.NewAutoRetryNacksToggleField())
}

func init() {
	err := service.RegisterBatchInput("kafka", kafkaInputSpec(), func(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchInput, error) {
		in, err := newKafkaInput(conf, mgr)
		if err != nil {
			return nil, err
		}
		if txn, err := kafkaTxnInputOr(conf, in, mgr); txn != nil || err != nil {
			return txn, err // exactly-once: a nack aborts, so no retry wrapper
		}
		return service.AutoRetryNacksBatchedToggled(conf, in)
	})
	if err != nil {
		panic(err)
	}
}

type kafkaInput struct {
	opts      []kgo.Opt
	maxPoll   int
	maxFlight int
	log       *service.Logger

	cl      *kgo.Client
	tracker *offsetTracker
	seq     *sequencer
}

func newKafkaInput(conf *service.ParsedConfig, mgr *service.Resources) (*kafkaInput, error) {
	opts, err := kafkaClientOpts(conf)
	if err != nil {
		return nil, err
	}
	topics, err := conf.FieldStringList(fieldTopics)
	if err != nil {
		return nil, err
	}
	group, err := conf.FieldString(fieldGroup)
	if err != nil {
		return nil, err
	}
	start, err := conf.FieldString(fieldStartFrom)
	if err != nil {
		return nil, err
	}
	in := &kafkaInput{log: mgr.Logger(), tracker: newOffsetTracker(), seq: newSequencer()}
	if in.maxPoll, err = conf.FieldInt(fieldMaxPoll); err != nil {
		return nil, err
	}
	if in.maxFlight, err = conf.FieldInt(fieldMaxInFlight); err != nil {
		return nil, err
	}
	membership, err := groupOpts(conf)
	if err != nil {
		return nil, err
	}
	reset := kgo.NewOffset().AtStart()
	if start == "latest" {
		reset = kgo.NewOffset().AtEnd()
	}
	in.opts = append(opts,
		kgo.ConsumeTopics(topics...),
		kgo.ConsumerGroup(group),
		kgo.ConsumeResetOffset(reset),
		kgo.DisableAutoCommit(),
		kgo.OnPartitionsRevoked(in.onRevoked),
		kgo.OnPartitionsLost(in.onLost),
	)
	in.opts = append(in.opts, membership...)
	return in, nil
}

func (in *kafkaInput) Connect(ctx context.Context) error {
	cl, err := kgo.NewClient(in.opts...)
	if err != nil {
		return err
	}
	if err := pingKafka(ctx, cl); err != nil {
		cl.Close()
		return err
	}
	in.cl = cl
	return nil
}

// onRevoked commits the final commit points of partitions leaving us.
func (in *kafkaInput) onRevoked(ctx context.Context, cl *kgo.Client, lost map[string][]int32) {
	final := in.tracker.revoked(lost)
	if len(final) == 0 {
		return
	}
	cl.CommitOffsetsSync(ctx, toCommit(final), func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, _ *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			in.log.Warnf("kafka: commit on revoke failed (the new owner re-reads from the last commit): %v", err)
		}
	})
}

// onLost forgets partitions taken from us without a chance to commit.
func (in *kafkaInput) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	in.tracker.revoked(lost)
}

func (in *kafkaInput) ReadBatch(ctx context.Context) (service.MessageBatch, service.AckFunc, error) {
	if in.cl == nil {
		return nil, nil, service.ErrNotConnected
	}
	for in.tracker.inFlight() >= in.maxFlight {
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	for {
		fetches := in.cl.PollRecords(ctx, in.maxPoll)
		if fetches.IsClientClosed() {
			return nil, nil, service.ErrEndOfInput
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		fetches.EachError(func(topic string, part int32, err error) {
			if !errors.Is(err, context.Canceled) {
				in.log.Warnf("kafka: fetching %s[%d]: %v", topic, part, err)
			}
		})
		recs := fetches.Records()
		if len(recs) == 0 {
			continue
		}
		in.tracker.delivered(recs)
		batch := toMessages(recs)
		return batch, in.ack(recs, in.seq.stamp(batch)), nil
	}
}

func (in *kafkaInput) ack(recs []*kgo.Record, t *ticket) service.AckFunc {
	return func(ctx context.Context, err error) error {
		in.seq.finish(t)
		if err != nil {
			return nil // nacked: the retry wrapper redelivers; nothing is committed past them
		}
		moved := in.tracker.acked(recs)
		if len(moved) == 0 {
			return nil
		}
		in.cl.CommitOffsets(ctx, toCommit(moved), func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, _ *kmsg.OffsetCommitResponse, err error) {
			if err != nil {
				in.log.Debugf("kafka: commit failed (a later commit covers it): %v", err)
			}
		})
		return nil
	}
}

func toMessages(recs []*kgo.Record) service.MessageBatch {
	batch := make(service.MessageBatch, len(recs))
	for i, r := range recs {
		m := service.NewMessage(r.Value)
		for _, h := range r.Headers {
			m.MetaSetMut(h.Key, string(h.Value))
		}
		// set after the headers, so a header copied from an earlier hop
		// (kafka_topic…) never hides where this record really came from
		m.MetaSetMut("kafka_key", string(r.Key))
		m.MetaSetMut("kafka_topic", r.Topic)
		m.MetaSetMut("kafka_partition", strconv.Itoa(int(r.Partition)))
		m.MetaSetMut("kafka_offset", strconv.FormatInt(r.Offset, 10))
		m.MetaSetMut("kafka_timestamp_unix_ms", strconv.FormatInt(r.Timestamp.UnixMilli(), 10))
		batch[i] = m
	}
	return batch
}

func (in *kafkaInput) Close(ctx context.Context) error {
	if in.cl != nil {
		in.cl.Close()
	}
	return nil
}
