package host

import (
	"context"
	"fmt"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Fields shared by the Kafka input and output.
const (
	fieldSeedBrokers = "seed_brokers"
	fieldClientID    = "client_id"
	fieldTLS         = "tls"
	fieldSASL        = "sasl"
	fieldMechanism   = "mechanism"
	fieldUser        = "username"
	fieldPassword    = "password"
)

func kafkaClientFields() []*service.ConfigField {
	return []*service.ConfigField{
		service.NewStringListField(fieldSeedBrokers).
			Description("Brokers to bootstrap from; entries may hold several comma-separated addresses.").
			Example([]string{"localhost:9092"}),
		service.NewStringField(fieldClientID).Description("Client ID reported to the brokers.").Default("weir"),
		service.NewTLSToggledField(fieldTLS),
		service.NewObjectField(fieldSASL,
			service.NewStringEnumField(fieldMechanism, "none", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512").Default("none"),
			service.NewStringField(fieldUser).Default(""),
			service.NewStringField(fieldPassword).Default("").Secret(),
		).Description("SASL authentication.").Advanced(),
	}
}

// kafkaClientOpts turns the shared fields into franz-go options.
func kafkaClientOpts(conf *service.ParsedConfig) ([]kgo.Opt, error) {
	raw, err := conf.FieldStringList(fieldSeedBrokers)
	if err != nil {
		return nil, err
	}
	var brokers []string
	for _, r := range raw {
		for _, b := range strings.Split(r, ",") {
			if b = strings.TrimSpace(b); b != "" {
				brokers = append(brokers, b)
			}
		}
	}
	if len(brokers) == 0 {
		return nil, fmt.Errorf("field %s: at least one broker is required", fieldSeedBrokers)
	}
	id, err := conf.FieldString(fieldClientID)
	if err != nil {
		return nil, err
	}
	opts := []kgo.Opt{kgo.SeedBrokers(brokers...), kgo.ClientID(id)}
	tlsConf, tlsOn, err := conf.FieldTLSToggled(fieldTLS)
	if err != nil {
		return nil, err
	}
	if tlsOn {
		opts = append(opts, kgo.DialTLSConfig(tlsConf))
	}
	mech, err := saslMechanism(conf.Namespace(fieldSASL))
	if err != nil {
		return nil, err
	}
	if mech != nil {
		opts = append(opts, mech)
	}
	return opts, nil
}

func saslMechanism(conf *service.ParsedConfig) (kgo.Opt, error) {
	mech, err := conf.FieldString(fieldMechanism)
	if err != nil {
		return nil, err
	}
	user, _ := conf.FieldString(fieldUser)
	pass, _ := conf.FieldString(fieldPassword)
	switch mech {
	case "none":
		return nil, nil
	case "PLAIN":
		return kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()), nil
	case "SCRAM-SHA-256":
		return kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()), nil
	case "SCRAM-SHA-512":
		return kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()), nil
	}
	return nil, fmt.Errorf("field %s.%s: unknown mechanism %q", fieldSASL, fieldMechanism, mech)
}

// pingKafka fails fast, naming the brokers, when none answers.
func pingKafka(ctx context.Context, cl *kgo.Client) error {
	if err := cl.Ping(ctx); err != nil {
		return fmt.Errorf("kafka: no seed broker answered: %w", err)
	}
	return nil
}
