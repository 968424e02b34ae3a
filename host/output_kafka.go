package host

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Field names of the kafka output.
const (
	fieldTopic       = "topic"
	fieldKey         = "key"
	fieldPartition   = "partition"
	fieldHeaders     = "metadata"
	fieldCompression = "compression"
	fieldBatching    = "batching"
	fieldKeepOrder   = "keep_order"
)

func kafkaOutputSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Categories("Services").
		Summary("Writes messages to Kafka with an idempotent producer and acks from all in-sync replicas.").
		Description(`
A batch is acknowledged only when every record of it was acknowledged by the
brokers; any failure is returned to the input (nacked), never swallowed.
The topic, key and partition are interpolated per message, so weir's route
ports can map to topics: ` + "`topic: ${! @weir_port.or(\"orders\") }`" + `.
Metadata becomes record headers (filter it with ` + "`metadata`" + `).`).
		Fields(kafkaClientFields()...).
		Field(service.NewInterpolatedStringField(fieldTopic).Description("Topic of each message.").Example(`${! @weir_port.or("orders-masked") }`)).
		Field(service.NewInterpolatedStringField(fieldKey).Description("Record key; empty for none.").Default("")).
		Field(service.NewInterpolatedStringField(fieldPartition).Description("Explicit partition; empty lets the key hash choose.").Default("").Advanced()).
		Field(service.NewMetadataExcludeFilterField(fieldHeaders).Description("Which metadata to send as headers (all, by default).")).
		Field(service.NewStringEnumField(fieldCompression, "none", "gzip", "snappy", "lz4", "zstd").Default("none").Advanced()).
		Field(kafkaTxnOutputField()).
		Field(service.NewOutputMaxInFlightField()).
		Field(keepOrderField()).
		Field(service.NewBatchPolicyField(fieldBatching))
}

func init() {
	err := service.RegisterBatchOutput("kafka", kafkaOutputSpec(), func(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchOutput, service.BatchPolicy, int, error) {
		inFlight, err := conf.FieldMaxInFlight()
		if err != nil {
			return nil, service.BatchPolicy{}, 0, err
		}
		out, err := newKafkaOutput(conf, inFlight)
		if err != nil {
			return nil, service.BatchPolicy{}, 0, err
		}
		policy, err := conf.FieldBatchPolicy(fieldBatching)
		if err != nil {
			return nil, policy, 0, err
		}
		bo, err := kafkaTxnOutputOr(conf, out)
		return bo, policy, inFlight, err
	})
	if err != nil {
		panic(err)
	}
}

type kafkaOutput struct {
	opts             []kgo.Opt
	topic, key, part *service.InterpolatedString
	manualPartition  bool
	headers          *service.MetadataExcludeFilter
	gate             *orderGate // nil with keep_order: false
	cl               *kgo.Client
}

func newKafkaOutput(conf *service.ParsedConfig, inFlight int) (*kafkaOutput, error) {
	opts, err := kafkaClientOpts(conf)
	if err != nil {
		return nil, err
	}
	o := &kafkaOutput{}
	if o.gate, err = keepOrderGate(conf, inFlight); err != nil {
		return nil, err
	}
	if o.topic, err = conf.FieldInterpolatedString(fieldTopic); err != nil {
		return nil, err
	}
	if o.key, err = conf.FieldInterpolatedString(fieldKey); err != nil {
		return nil, err
	}
	if o.part, err = conf.FieldInterpolatedString(fieldPartition); err != nil {
		return nil, err
	}
	if o.headers, err = conf.FieldMetadataExcludeFilter(fieldHeaders); err != nil {
		return nil, err
	}
	comp, err := conf.FieldString(fieldCompression)
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerBatchCompression(compressionCodec(comp)))
	raw, _ := conf.FieldString(fieldPartition)
	if o.manualPartition = raw != ""; o.manualPartition {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	o.opts = opts
	return o, nil
}

func compressionCodec(name string) kgo.CompressionCodec {
	switch name {
	case "gzip":
		return kgo.GzipCompression()
	case "snappy":
		return kgo.SnappyCompression()
	case "lz4":
		return kgo.Lz4Compression()
	case "zstd":
		return kgo.ZstdCompression()
	}
	return kgo.NoCompression()
}

func (o *kafkaOutput) Connect(ctx context.Context) error {
	cl, err := kgo.NewClient(o.opts...)
	if err != nil {
		return err
	}
	if err := pingKafka(ctx, cl); err != nil {
		cl.Close()
		return err
	}
	o.cl = cl
	return nil
}

func (o *kafkaOutput) WriteBatch(ctx context.Context, batch service.MessageBatch) error {
	if o.cl == nil {
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
	return o.produce(ctx, recs, enqueued)
}

// produce writes records, re-sending those that failed a few times with a
// growing pause before giving the batch back to the input: a failed batch
// that the input replays later would land after newer ones and break
// per-key order. franz-go itself retries what a broker may accept later,
// in order (idempotent producer); what it gives up on is rare (a
// non-retriable error, a closed client), and those re-sends are not
// ordered against newer batches.
//
// The first attempt enqueues every record, then calls enqueued (the order
// gate lets the next batch enqueue), then waits for the acknowledgements.
func (o *kafkaOutput) produce(ctx context.Context, recs []*kgo.Record, enqueued func()) error {
	pause := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		var failed []*kgo.Record
		var firstErr error
		for _, r := range o.enqueue(ctx, recs, enqueued) {
			if r.Err != nil {
				failed = append(failed, r.Record)
				if firstErr == nil {
					firstErr = r.Err
				}
			}
		}
		enqueued = func() {}
		if len(failed) == 0 {
			return nil
		}
		if attempt == 4 || ctx.Err() != nil {
			return fmt.Errorf("kafka: %d of %d records not written: %w", len(failed), len(recs), firstErr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause *= 2
		recs = failed
	}
}

// enqueue hands every record to franz-go in order, calls enqueued, then
// waits for the results (ProduceSync, with the gate released in between).
func (o *kafkaOutput) enqueue(ctx context.Context, recs []*kgo.Record, enqueued func()) kgo.ProduceResults {
	results := make(kgo.ProduceResults, 0, len(recs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(len(recs))
	for _, r := range recs {
		o.cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			mu.Lock()
			results = append(results, kgo.ProduceResult{Record: r, Err: err})
			mu.Unlock()
			wg.Done()
		})
	}
	enqueued()
	wg.Wait()
	return results
}

func (o *kafkaOutput) record(m *service.Message) (*kgo.Record, error) {
	value, err := m.AsBytes()
	if err != nil {
		return nil, err
	}
	r := &kgo.Record{Value: value}
	if r.Topic, err = o.topic.TryString(m); err != nil {
		return nil, fmt.Errorf("topic: %w", err)
	}
	if r.Topic == "" {
		return nil, fmt.Errorf("topic: interpolated to an empty string")
	}
	key, err := o.key.TryString(m)
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	if key != "" {
		r.Key = []byte(key)
	}
	if o.manualPartition {
		p, err := o.part.TryString(m)
		if err != nil {
			return nil, fmt.Errorf("partition: %w", err)
		}
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("partition: %q is not a number", p)
		}
		r.Partition = int32(n)
	}
	_ = o.headers.Walk(m, func(k, v string) error {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
		return nil
	})
	return r, nil
}

func (o *kafkaOutput) Close(context.Context) error {
	o.gate.close()
	if o.cl != nil {
		o.cl.Close()
	}
	return nil
}
