package host

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redpanda-data/benthos/v4/public/service"
)

func natsOutputSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Categories("Services").
		Summary("Publishes to NATS JetStream and waits for each publish acknowledgement.").
		Description("A batch succeeds only when JetStream acknowledged every message; otherwise the error goes back to the input. The subject is interpolated, so route ports can map to subjects. Metadata becomes headers.").
		Field(service.NewStringListField(fieldURLs).Description("NATS server URLs.").Example([]string{"nats://127.0.0.1:4222"})).
		Field(service.NewInterpolatedStringField(fieldSubject).Description("Subject of each message.").Example(`orders.masked.${! @weir_port.or("default") }`)).
		Field(service.NewMetadataExcludeFilterField(fieldHeaders).Description("Which metadata to send as headers (all, by default).")).
		Field(service.NewOutputMaxInFlightField()).
		Field(keepOrderField())
}

func init() {
	err := service.RegisterBatchOutput("nats_jetstream", natsOutputSpec(), func(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchOutput, service.BatchPolicy, int, error) {
		inFlight, err := conf.FieldMaxInFlight()
		if err != nil {
			return nil, service.BatchPolicy{}, 0, err
		}
		out, err := newNatsOutput(conf, inFlight)
		return out, service.BatchPolicy{}, inFlight, err
	})
	if err != nil {
		panic(err)
	}
}

type natsOutput struct {
	urls    []string
	subject *service.InterpolatedString
	headers *service.MetadataExcludeFilter
	gate    *orderGate // nil with keep_order: false
	nc      *nats.Conn
	js      jetstream.JetStream
}

func newNatsOutput(conf *service.ParsedConfig, inFlight int) (*natsOutput, error) {
	o := &natsOutput{}
	var err error
	if o.gate, err = keepOrderGate(conf, inFlight); err != nil {
		return nil, err
	}
	if o.urls, err = conf.FieldStringList(fieldURLs); err != nil {
		return nil, err
	}
	if o.subject, err = conf.FieldInterpolatedString(fieldSubject); err != nil {
		return nil, err
	}
	o.headers, err = conf.FieldMetadataExcludeFilter(fieldHeaders)
	return o, err
}

func (o *natsOutput) Connect(context.Context) error {
	nc, js, err := natsConnect(o.urls)
	if err != nil {
		return err
	}
	o.nc, o.js = nc, js
	return nil
}

// WriteBatch publishes every message asynchronously, in the input's order
// (the order gate), then waits for all acks.
func (o *natsOutput) WriteBatch(ctx context.Context, batch service.MessageBatch) error {
	if o.js == nil {
		return service.ErrNotConnected
	}
	msgs := make([]*nats.Msg, len(batch))
	for i, m := range batch {
		msg, err := o.message(m)
		if err != nil {
			return fmt.Errorf("nats: message %d: %w", i, err)
		}
		msgs[i] = msg
	}
	enqueued, err := o.gate.wait(ctx, batch)
	if err != nil {
		return err
	}
	futures, err := o.publish(msgs)
	enqueued()
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			errs = append(errs, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return errors.Join(errs...)
}

// publish hands every message to the connection in order.
func (o *natsOutput) publish(msgs []*nats.Msg) ([]jetstream.PubAckFuture, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for i, msg := range msgs {
		f, err := o.js.PublishMsgAsync(msg)
		if err != nil {
			return nil, fmt.Errorf("nats: message %d: %w", i, err)
		}
		futures = append(futures, f)
	}
	return futures, nil
}

func (o *natsOutput) message(m *service.Message) (*nats.Msg, error) {
	data, err := m.AsBytes()
	if err != nil {
		return nil, err
	}
	subject, err := o.subject.TryString(m)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	msg := nats.NewMsg(subject)
	msg.Data = data
	_ = o.headers.Walk(m, func(k, v string) error {
		msg.Header.Set(k, v)
		return nil
	})
	return msg, nil
}

func (o *natsOutput) Close(context.Context) error {
	o.gate.close()
	if o.nc != nil {
		o.nc.Close()
	}
	return nil
}
