package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The CLI writes a ledger, and checks it: complete when every record was
// copied to where the mask would send it, a loss when one is not.
func TestWriteAndCheck(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "in", "out", "dlq"))
	require.NoError(t, err)
	defer c.Close()
	brokers := strings.Join(c.ListenAddrs(), ",")
	ctx := context.Background()
	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"write", "-brokers", brokers, "-topic", "in", "-n", "100"}, &out))
	assert.Contains(t, out.String(), "wrote 100 records")

	// a stand-in for weir: copy every record, JSON to out and the rest to dlq, but the last
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("in"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	var copied []*kgo.Record
	for len(copied) < 100 {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			topic := "out"
			if !strings.HasPrefix(string(r.Value), "{") {
				topic = "dlq"
			}
			copied = append(copied, &kgo.Record{Topic: topic, Key: r.Key, Value: r.Value})
		})
	}
	require.NoError(t, cl.ProduceSync(ctx, copied[:99]...).FirstErr())
	args := []string{"check", "-brokers", brokers, "-out", "out", "-dlq", "dlq", "-n", "100", "-idle", "2s"}
	out.Reset()
	err = run(ctx, args, &out)
	require.ErrorIs(t, err, errLoss)
	assert.Contains(t, out.String(), "missing 1")

	require.NoError(t, cl.ProduceSync(ctx, copied[99]).FirstErr())
	out.Reset()
	require.NoError(t, run(ctx, args, &out))
	assert.Contains(t, out.String(), "missing 0, duplicated 0, misplaced 0")
}
