package ledger_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/weirstream/weir/bench/ledger"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testnats"
)

// longer than fixtures.Patience: if records flow again within a test's
// wait, they did not wait for a session or an ack_wait to end.
const longTimeout = "5m"

// staticPipeline is kafka in → kafka out with static group membership.
const staticPipeline = `
input:
  kafka:
    seed_brokers: [ %[1]q ]
    topics: [ in ]
    consumer_group: recovery
    instance_id: weir-0
    session_timeout: ` + longTimeout + `
    rebalance_timeout: ` + longTimeout + `
    max_poll_records: 500
    max_uncommitted: 2000
pipeline: { threads: 1 }
output:
  kafka: { seed_brokers: [ %[1]q ], topic: out, key: '${! @kafka_key }' }
logger: { level: ${LOG_LEVEL:warn} }
http: { enabled: false }
`

// startWeir runs weir on a config file written into the test's directory.
func startWeir(t *testing.T, config string) *exec.Cmd {
	conf := filepath.Join(t.TempDir(), "pipeline.yaml")
	require.NoError(t, os.WriteFile(conf, []byte(config), 0o644))
	cmd := exec.Command(fixtures.Weir(t), "run", conf)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+fixtures.CacheHome(t))
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

func kill(t *testing.T, cmd *exec.Cmd) {
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
}

// TestRestartedStaticMemberResumesAtOnce SIGKILLs a weir process that is a
// static member (instance_id) of its group and restarts it. The group
// still lists the dead member (its session_timeout is longer than this
// test waits); the restarted process must take that member's place, with
// no second member and no wait for the session or a rebalance to time
// out, and the rest of the stream must flow.
func TestRestartedStaticMemberResumesAtOnce(t *testing.T) {
	const n = 10_000
	_, broker, cl := ledgerCluster(t, 1, n)
	adm := kadm.NewClient(cl)
	config := fmt.Sprintf(staticPipeline, broker)
	members := func() []kadm.DescribedGroupMember {
		groups, err := adm.DescribeGroups(context.Background(), "recovery")
		require.NoError(t, err)
		return groups["recovery"].Members
	}

	first := startWeir(t, config)
	fixtures.WaitUntil(t, "the first process writes", func() bool { return written(t, cl) >= n/10 })
	kill(t, first)
	before := written(t, cl)
	t.Logf("killed at %d written", before)
	require.Len(t, members(), 1, "the killed member is still listed: its session has not timed out")

	startWeir(t, config)
	fixtures.WaitUntilShowing(t, "the restarted process writes the rest", func() bool { return written(t, cl) >= n },
		func() string {
			return fmt.Sprintf("%d of %d written (%d before the kill); members %+v", written(t, cl), n, before, members())
		})
	t.Logf("restarted process wrote the rest")
	ms := members()
	require.Len(t, ms, 1, "the restarted process took the dead member's place")
	require.NotNil(t, ms[0].InstanceID)
	assert.Equal(t, "weir-0", *ms[0].InstanceID)
}

// jsRecoveryPipeline holds few messages per process against a consumer
// with room for more than two processes' worth.
const jsRecoveryPipeline = `
input:
  nats_jetstream:
    urls: [ %[1]q ]
    stream: RECOVERY
    filter_subjects: [ ledger.in ]
    durable: recovery
    batch_size: 100
    max_unacked: 500
    max_ack_pending: 2000
    ack_wait: ` + longTimeout + `
pipeline: { threads: 1 }
output:
  nats_jetstream: { urls: [ %[1]q ], subject: ledger.out }
logger: { level: ${LOG_LEVEL:warn} }
http: { enabled: false }
`

// TestJetStreamRestartIsServedAtOnce SIGKILLs the consuming process and
// restarts it. What the dead process held stays pending until ack_wait
// (longer than this test waits); the consumer's max_ack_pending leaves room
// beyond it, so the restarted process is served at once: everything but
// the dead process's messages flows.
func TestJetStreamRestartIsServedAtOnce(t *testing.T) {
	const n = 10_000
	url, js := testnats.Start(t, "RECOVERY", "ledger.>")
	ctx := context.Background()
	require.NoError(t, ledger.WriteJetStream(ctx, js, "ledger.in", n, 100))
	stream, err := js.Stream(ctx, "RECOVERY")
	require.NoError(t, err)
	written := func() int {
		info, err := stream.Info(ctx)
		require.NoError(t, err)
		return int(info.State.Msgs) - n
	}
	config := fmt.Sprintf(jsRecoveryPipeline, url)

	first := startWeir(t, config)
	fixtures.WaitUntil(t, "the first process writes", func() bool { return written() >= n/10 })
	kill(t, first)
	cons, err := js.Consumer(ctx, "RECOVERY", "recovery")
	require.NoError(t, err)
	info, err := cons.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2000, info.Config.MaxAckPending, "max_ack_pending reached the server")
	assert.Equal(t, 5*time.Minute, info.Config.AckWait)
	held := info.NumAckPending
	require.LessOrEqual(t, held, 500+100, "the dead process held at most max_unacked + batch_size")

	startWeir(t, config)
	fixtures.WaitUntilShowing(t, "the restarted process writes all but what the dead one held", func() bool { return written() >= n-held },
		func() string { return fmt.Sprintf("%d of %d written, %d held by the dead process", written(), n, held) })
}
