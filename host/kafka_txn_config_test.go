package host_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nowhere is a broker address nothing listens on: these streams fail
// before they connect.
const nowhere = "127.0.0.1:1"

func txnConfigStream(t *testing.T, logs *syncBuffer, input, output string) *service.Stream {
	b := service.NewStreamBuilder()
	b.SetLogger(slog.New(slog.NewTextHandler(logs, nil)))
	require.NoError(t, b.AddInputYAML(input))
	require.NoError(t, b.AddOutputYAML(output))
	stream, err := b.Build()
	require.NoError(t, err)
	return stream
}

func txnInputYAML(group, id string) string {
	return fmt.Sprintf("kafka: { seed_brokers: [%q], topics: [in], consumer_group: %s, transaction: { id: %q } }", nowhere, group, id)
}

func txnOutputYAML(id string) string {
	return fmt.Sprintf("kafka: { seed_brokers: [%q], topic: out, transaction: { id: %q } }", nowhere, id)
}

// TestKafkaTransactionConfigErrors: a transaction on one side only, ids
// that do not match, or one id on two inputs fail at start, saying what to
// set; none of them consumes a record.
func TestKafkaTransactionConfigErrors(t *testing.T) {
	cases := []struct {
		name, input, output, want string
	}{
		{"output only", txnInputYAML("g1", ""), txnOutputYAML("cfg-out-only"),
			`transaction.id "cfg-out-only": no kafka input has this transaction.id`},
		{"mismatched ids", txnInputYAML("g2", "cfg-a"), txnOutputYAML("cfg-b"),
			`transaction.id "cfg-b": no kafka input has this transaction.id (inputs with one: [`},
		{"one id on two inputs", fmt.Sprintf("broker: { inputs: [ { %s }, { %s } ] }", txnInputYAML("g3", "cfg-dup"), txnInputYAML("g4", "cfg-dup")),
			txnOutputYAML("cfg-dup"), `transaction.id "cfg-dup" is already used by another kafka input`},
		{"no batches", `kafka: { seed_brokers: [x], topics: [in], consumer_group: g5, transaction: { id: cfg-zero, max_batches: 0 } }`,
			txnOutputYAML("cfg-zero"), "transaction.max_batches: 0; want at least 1"},
		{"timeout below period", `kafka: { seed_brokers: [x], topics: [in], consumer_group: g6, transaction: { id: cfg-t, timeout: 1s, max_period: 2s } }`,
			txnOutputYAML("cfg-t"), "transaction.timeout: 1s must exceed max_period"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := txnConfigStream(t, &syncBuffer{}, c.input, c.output).Run(context.Background())
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// TestKafkaTransactionOnTheInputOnly: the input names a transaction no
// output joined (here the output drops everything): the stream
// logs the fix and stops before it reads anything.
func TestKafkaTransactionOnTheInputOnly(t *testing.T) {
	logs := &syncBuffer{}
	stream := txnConfigStream(t, logs, txnInputYAML("g7", "cfg-in-only"), "drop: {}")
	require.NoError(t, stream.Run(context.Background()), "the stream ends by itself")
	assert.Contains(t, logs.String(), `transaction.id \"cfg-in-only\": no kafka output of this stream has this transaction.id`)
}

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
