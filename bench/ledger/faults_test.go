package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	_ "github.com/redpanda-data/benthos/v4/public/components/pure"

	"github.com/weirstream/weir/bench/ledger"
	_ "github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
)

// TestNoLossUnderBrokerFaults injects broker faults through kfake's control
// hooks while the ledger flows through kafka → wasm mask → kafka: failed
// offset commits and produce connections dropped mid-request. Nothing may be
// lost, misplaced or reordered within a key; duplicates are allowed (at
// least once).
func TestNoLossUnderBrokerFaults(t *testing.T) {
	const n = 30_000
	c, broker, _ := ledgerCluster(t, 1, n)

	var commits, produces, failedCommits, droppedProduces atomic.Int64
	c.ControlKey(int16(kmsg.OffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if commits.Add(1)%3 != 0 {
			return nil, nil, false
		}
		failedCommits.Add(1)
		r := req.(*kmsg.OffsetCommitRequest)
		resp := r.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, tp := range r.Topics {
			rt := kmsg.NewOffsetCommitResponseTopic()
			rt.Topic = tp.Topic
			for _, p := range tp.Partitions {
				rp := kmsg.NewOffsetCommitResponseTopicPartition()
				rp.Partition = p.Partition
				rp.ErrorCode = 15 // COORDINATOR_NOT_AVAILABLE
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if produces.Add(1)%5 != 0 {
			return nil, nil, false
		}
		droppedProduces.Add(1)
		return nil, errors.New("injected: connection dropped"), true
	})

	rep := runMaskPipeline(t, broker, "faults", n)
	t.Logf("faults: %d of %d commits failed, %d of %d produce connections dropped; %s",
		failedCommits.Load(), commits.Load(), droppedProduces.Load(), produces.Load(), rep)
	require.Positive(t, failedCommits.Load(), "commit faults were injected")
	require.Positive(t, droppedProduces.Load(), "produce faults were injected")
	assert.Zero(t, rep.Missing, "missing, first: %v", rep.FirstMissing)
	assert.Zero(t, rep.Misplaced)
	assert.Zero(t, rep.Inversions)
}

// ledgerCluster starts a kfake cluster of brokers with topics in, out and
// dlq, and writes a ledger of n records into in.
func ledgerCluster(t *testing.T, brokers, n int) (*kfake.Cluster, string, *kgo.Client) {
	c, err := kfake.NewCluster(kfake.NumBrokers(brokers), kfake.SeedTopics(3, "in", "out", "dlq"))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	require.NoError(t, ledger.Write(context.Background(), cl, "in", n, 50))
	return c, strings.Join(c.ListenAddrs(), ","), cl
}

// runMaskPipeline runs kafka "in" → wasm mask → kafka "out" / "dlq" (for
// failures) in process until the ledger of n records is read back.
func runMaskPipeline(t *testing.T, broker, group string, n int) ledger.Report {
	mask := filepath.Join(t.TempDir(), "mask.wasm")
	require.NoError(t, os.WriteFile(mask, fixtures.Warm(t, fixtures.Go(t, "plugins/mask")), 0o644))
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: none"))
	b.SetThreads(1) // per-partition order needs one processing thread (docs/deploy.md)
	require.NoError(t, b.AddInputYAML(fmt.Sprintf("kafka: { seed_brokers: [%q], topics: [in], consumer_group: %s }", broker, group)))
	require.NoError(t, b.AddProcessorYAML(fmt.Sprintf("wasm: { module: %s, cache_dir: %s, config: { fields: [ { path: secret, action: redact } ] } }", mask, fixtures.CacheDir(t))))
	require.NoError(t, b.AddOutputYAML(fmt.Sprintf(`
switch:
  cases:
    - check: errored()
      output: { kafka: { seed_brokers: [%[1]q], topic: dlq, key: '${! @kafka_key }' } }
    - output: { kafka: { seed_brokers: [%[1]q], topic: out, key: '${! @kafka_key }' } }
`, broker)))
	stream, err := b.Build()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = stream.Run(ctx) }()
	defer func() { _ = stream.Stop(context.Background()) }()

	cctx, ccancel := context.WithTimeout(ctx, 4*time.Minute)
	defer ccancel()
	reader, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(broker, ",")...), kgo.ConsumeTopics("out", "dlq"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer reader.Close()
	rep, err := ledger.Check(cctx, reader, "out", "dlq", n, time.Minute)
	require.NoError(t, err)
	return rep
}

// TestNoLossUnderLeaderChanges moves every partition's leader among three
// brokers every 20 ms (30 times) while the ledger flows: clients see NOT_LEADER
// errors and stale metadata mid-stream. Nothing may be lost, misplaced or
// reordered within a key.
//
// Duplicates are reported, not asserted. After a leader-epoch bump on a
// partition that got no new batch since, kfake answers OffsetForLeaderEpoch
// with -1, which franz-go takes for log truncation: consumers (weir's input
// and the checker's reader alike) rewind to the start. The log line gives
// how many records the output topics really hold next to what the reader
// saw.
func TestNoLossUnderLeaderChanges(t *testing.T) {
	const n = 30_000
	c, broker, cl := ledgerCluster(t, 3, n)

	var elections atomic.Int64
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for elections.Load() < 30 { // bounded, so the rewinds described above end
			select {
			case <-stop:
				return
			case <-tick.C:
				c.ShufflePartitionLeaders()
				elections.Add(1)
			}
		}
	}()
	rep := runMaskPipeline(t, broker, "elections", n)
	close(stop)
	ends, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), "out", "dlq")
	require.NoError(t, err)
	written := int64(0)
	ends.Each(func(o kadm.ListedOffset) { written += o.Offset })
	t.Logf("%d leader elections; %d records in out and dlq; %s", elections.Load(), written, rep)
	require.Greater(t, elections.Load(), int64(5), "leaders moved while records flowed")
	assert.Zero(t, rep.Missing, "missing, first: %v", rep.FirstMissing)
	assert.Zero(t, rep.Misplaced)
	assert.Zero(t, rep.Inversions)
}
