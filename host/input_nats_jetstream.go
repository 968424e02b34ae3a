package host

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redpanda-data/benthos/v4/public/service"
)

// Field names of the NATS JetStream input and output.
const (
	fieldURLs       = "urls"
	fieldStream     = "stream"
	fieldSubjects   = "filter_subjects"
	fieldDurable    = "durable"
	fieldFetchBatch = "batch_size"
	fieldMaxDeliver = "max_deliver"
	fieldAckWait    = "ack_wait"
	fieldBackoff    = "nak_backoff"
	fieldSubject    = "subject"
	fieldAckPending = "max_ack_pending"
	fieldUnacked    = "max_unacked"
)

func natsInputSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Categories("Services").
		Summary("Consumes a NATS JetStream stream through a durable pull consumer, at least once.").
		Description(`
Each message is acknowledged after the output wrote it. A message the output
failed is negatively acknowledged with a growing delay (` + "`nak_backoff`" + `) and
redelivered by JetStream, at most ` + "`max_deliver`" + ` times. Metadata carries
` + "`nats_subject`, `nats_stream_sequence`, `nats_num_delivered`, `nats_max_deliver`" + ` and every
header, so a pipeline can send a message's final attempt to a dead-letter
output: ` + "`check: errored() || @nats_num_delivered.number() >= @nats_max_deliver.number()`" + `.`).
		Field(service.NewStringListField(fieldURLs).Description("NATS server URLs.").Example([]string{"nats://127.0.0.1:4222"})).
		Field(service.NewStringField(fieldStream).Description("The JetStream stream.")).
		Field(service.NewStringListField(fieldSubjects).Description("Subjects of the stream to consume (all when empty).").Default([]any{})).
		Field(service.NewStringField(fieldDurable).Description("Durable consumer name; processes sharing it share the work.")).
		Field(service.NewIntField(fieldFetchBatch).Description("Most messages fetched per batch.").Default(256).Advanced()).
		Field(service.NewIntField(fieldMaxDeliver).Description("Deliveries of one message before JetStream gives up on it.").Default(5)).
		Field(service.NewDurationField(fieldAckWait).Description("How long JetStream waits for an acknowledgement before redelivering; after a crash, what the dead process held comes back after it.").Default("15s").Advanced()).
		Field(service.NewIntField(fieldUnacked).Description("Most messages this process holds fetched and not yet acknowledged; fetching pauses above it (it may exceed it by one batch_size). It bounds the duplicates a crash can cause.").Default(2048).Advanced()).
		Field(service.NewIntField(fieldAckPending).Description("The consumer's MaxAckPending: messages all processes sharing the durable may hold unacknowledged. Keep it at least (processes + 1) × (max_unacked + batch_size), so a restarted process is served at once while its predecessor's messages wait out ack_wait.").Default(20000).Advanced()).
		Field(service.NewDurationField(fieldBackoff).Description("Delay of a redelivery after a failure, doubled per attempt.").Default("1s").Advanced())
}

func init() {
	err := service.RegisterBatchInput("nats_jetstream", natsInputSpec(), func(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchInput, error) {
		return newNatsInput(conf, mgr)
	})
	if err != nil {
		panic(err)
	}
}

type natsInput struct {
	urls    []string
	stream  string
	cfg     jetstream.ConsumerConfig
	batch   int
	backoff time.Duration
	unacked int
	held    atomic.Int64 // fetched, not yet acknowledged
	seq     *sequencer
	log     *service.Logger
	nc      *nats.Conn
	cons    jetstream.Consumer
}

func newNatsInput(conf *service.ParsedConfig, mgr *service.Resources) (*natsInput, error) {
	in := &natsInput{log: mgr.Logger(), seq: newSequencer()}
	var err error
	if in.urls, err = conf.FieldStringList(fieldURLs); err != nil {
		return nil, err
	}
	if in.stream, err = conf.FieldString(fieldStream); err != nil {
		return nil, err
	}
	subjects, err := conf.FieldStringList(fieldSubjects)
	if err != nil {
		return nil, err
	}
	durable, err := conf.FieldString(fieldDurable)
	if err != nil {
		return nil, err
	}
	maxDeliver, err := conf.FieldInt(fieldMaxDeliver)
	if err != nil {
		return nil, err
	}
	ackWait, err := conf.FieldDuration(fieldAckWait)
	if err != nil {
		return nil, err
	}
	if in.batch, err = conf.FieldInt(fieldFetchBatch); err != nil {
		return nil, err
	}
	if in.backoff, err = conf.FieldDuration(fieldBackoff); err != nil {
		return nil, err
	}
	if in.unacked, err = conf.FieldInt(fieldUnacked); err != nil {
		return nil, err
	}
	ackPending, err := conf.FieldInt(fieldAckPending)
	if err != nil {
		return nil, err
	}
	if in.batch < 1 || in.unacked < 1 || ackPending < in.unacked+in.batch {
		return nil, fmt.Errorf("nats: fields %s (%d), %s (%d) must be positive and %s (%d) at least their sum", fieldFetchBatch, in.batch, fieldUnacked, in.unacked, fieldAckPending, ackPending)
	}
	in.cfg = jetstream.ConsumerConfig{Durable: durable, FilterSubjects: subjects, AckPolicy: jetstream.AckExplicitPolicy,
		MaxDeliver: maxDeliver, AckWait: ackWait, MaxAckPending: ackPending}
	return in, nil
}

func (in *natsInput) Connect(ctx context.Context) error {
	nc, js, err := natsConnect(in.urls)
	if err != nil {
		return err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, in.stream, in.cfg)
	if err != nil {
		nc.Close()
		return err
	}
	in.nc, in.cons = nc, cons
	return nil
}

func (in *natsInput) ReadBatch(ctx context.Context) (service.MessageBatch, service.AckFunc, error) {
	if in.cons == nil {
		return nil, nil, service.ErrNotConnected
	}
	for in.held.Load() >= int64(in.unacked) {
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	for {
		fetched, err := in.cons.Fetch(in.batch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if errors.Is(err, nats.ErrConnectionClosed) {
				return nil, nil, service.ErrNotConnected
			}
			return nil, nil, err
		}
		var msgs []jetstream.Msg
		for m := range fetched.Messages() {
			msgs = append(msgs, m)
		}
		if len(msgs) > 0 {
			in.held.Add(int64(len(msgs)))
			batch := in.toMessages(msgs)
			return batch, in.ack(msgs, in.seq.stamp(batch)), nil
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
	}
}

func (in *natsInput) toMessages(msgs []jetstream.Msg) service.MessageBatch {
	batch := make(service.MessageBatch, len(msgs))
	for i, m := range msgs {
		bm := service.NewMessage(m.Data())
		bm.MetaSetMut("nats_subject", m.Subject())
		bm.MetaSetMut("nats_max_deliver", strconv.Itoa(in.cfg.MaxDeliver))
		if md, err := m.Metadata(); err == nil {
			bm.MetaSetMut("nats_stream_sequence", strconv.FormatUint(md.Sequence.Stream, 10))
			bm.MetaSetMut("nats_num_delivered", strconv.FormatUint(md.NumDelivered, 10))
		}
		for k, vs := range m.Headers() {
			if len(vs) > 0 {
				bm.MetaSetMut(k, vs[0])
			}
		}
		batch[i] = bm
	}
	return batch
}

// ack acknowledges after the output wrote the batch, or asks JetStream to
// redeliver after a delay that doubles with each delivery.
func (in *natsInput) ack(msgs []jetstream.Msg, t *ticket) service.AckFunc {
	return func(ctx context.Context, err error) error {
		in.seq.finish(t)
		defer in.held.Add(-int64(len(msgs)))
		var errs []error
		for _, m := range msgs {
			if err == nil {
				errs = append(errs, m.Ack())
				continue
			}
			delay := in.backoff
			if md, mdErr := m.Metadata(); mdErr == nil && md.NumDelivered > 1 {
				delay <<= min(md.NumDelivered-1, 10)
			}
			errs = append(errs, m.NakWithDelay(delay))
		}
		return errors.Join(errs...)
	}
}

func (in *natsInput) Close(context.Context) error {
	if in.nc != nil {
		in.nc.Close()
	}
	return nil
}

// natsConnect connects and opens JetStream, closing the connection on failure.
func natsConnect(urls []string) (*nats.Conn, jetstream.JetStream, error) {
	if len(urls) == 0 {
		return nil, nil, errors.New("nats: field urls: at least one URL is required")
	}
	nc, err := nats.Connect(strings.Join(urls, ","), nats.Name("weir"))
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}
