package ledger_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/bench/ledger"
	"github.com/weirstream/weir/internal/fixtures"
)

const eosRecords = 30_000

// eosPipeline is the ledger pipeline in exactly-once mode. Each process
// has its own transactional ID (EOS_ID): a restart with the same one fences
// the killed process's open transaction at once; a member that dies for
// good leaves its transaction to the broker's timeout (10 s here).
const eosPipeline = `
input:
  kafka:
    seed_brokers: [ %[1]q ]
    topics: [ in ]
    consumer_group: ledger-eos
    max_poll_records: 1024
    session_timeout: 6s
    transaction: { id: "${EOS_ID}", timeout: 10s }
pipeline:
  threads: 1
  processors:
    - wasm:
        module: %[2]s
        config: { fields: [ { path: secret, action: redact } ] }
output:
  switch:
    cases:
      - check: errored()
        output: { kafka: { seed_brokers: [ %[1]q ], topic: dlq, key: '${! @kafka_key }', transaction: { id: "${EOS_ID}" } } }
      - output: { kafka: { seed_brokers: [ %[1]q ], topic: out, key: '${! @kafka_key }', transaction: { id: "${EOS_ID}" } } }
logger: { level: ${LOG_LEVEL:warn} }
http: { enabled: false }
`

// eosRun is one exactly-once ledger: a broker holding the written records
// and a pipeline config that weir processes run.
type eosRun struct {
	broker string
	cl     *kgo.Client
	conf   string
	env    []string
}

func eosSetup(t *testing.T) *eosRun {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "in", "out", "dlq"))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	r := &eosRun{broker: strings.Join(c.ListenAddrs(), ",")}
	r.cl, err = kgo.NewClient(kgo.SeedBrokers(r.broker))
	require.NoError(t, err)
	t.Cleanup(r.cl.Close)
	require.NoError(t, ledger.Write(context.Background(), r.cl, "in", eosRecords, 100))
	dir := t.TempDir()
	mask := filepath.Join(dir, "mask.wasm")
	require.NoError(t, os.WriteFile(mask, fixtures.Go(t, "plugins/mask"), 0o644))
	r.conf = filepath.Join(dir, "pipeline.yaml")
	require.NoError(t, os.WriteFile(r.conf, []byte(fmt.Sprintf(eosPipeline, r.broker, mask)), 0o644))
	r.env = append(os.Environ(), "XDG_CACHE_HOME="+fixtures.CacheHome(t))
	return r
}

// start runs a weir process with transactional ID id.
func (r *eosRun) start(t *testing.T, id string) *exec.Cmd {
	cmd := exec.Command(fixtures.Weir(t), "run", r.conf)
	cmd.Env = append(r.env, "EOS_ID="+id)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// waitWritten waits until out and dlq hold at least mark records
// (committed or not).
func (r *eosRun) waitWritten(t *testing.T, mark int64) {
	fixtures.WaitUntil(t, fmt.Sprintf("%d records written", mark), func() bool { return written(t, r.cl) >= mark })
}

// check waits until the group committed "in" to its end (the records of
// every committed transaction are in out and dlq then), stops the
// processes and reads both topics to their ends with a read_committed
// reader.
func (r *eosRun) check(t *testing.T, procs ...*exec.Cmd) ledger.Report {
	adm := kadm.NewClient(r.cl)
	ends, err := adm.ListEndOffsets(context.Background(), "in")
	require.NoError(t, err)
	fixtures.WaitUntil(t, "the group committed every record of in", func() bool {
		offsets, err := adm.FetchOffsets(context.Background(), "ledger-eos")
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
	for _, p := range procs {
		_ = p.Process.Signal(syscall.SIGKILL)
		_ = p.Wait()
	}
	ctx, cancel := context.WithTimeout(context.Background(), fixtures.Patience)
	defer cancel()
	brokers := strings.Split(r.broker, ",")
	all, err := ledger.ReadToEnd(ctx, brokers, "out", "dlq", eosRecords)
	require.NoError(t, err)
	t.Logf("a read_uncommitted reader, aborted transactions included: %s", all)
	rep, err := ledger.ReadToEnd(ctx, brokers, "out", "dlq", eosRecords, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	require.NoError(t, err)
	return rep
}

// TestExactlyOnceUnderSIGKILL kills the weir process three times
// mid-stream; a read_committed reader finds every record exactly once,
// where the transform sent it.
func TestExactlyOnceUnderSIGKILL(t *testing.T) {
	r := eosSetup(t)
	for i := 0; i < kills; i++ {
		cmd := r.start(t, "ledger-eos-0")
		r.waitWritten(t, int64((i+1)*eosRecords/(kills+1))+int64(rand.Intn(3000)))
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		t.Logf("kill %d: %d records written to out and dlq so far (aborted ones included)", i+1, written(t, r.cl))
	}
	rep := r.check(t, r.start(t, "ledger-eos-0"))
	t.Logf("exactly-once after %d SIGKILLs: %s", kills, rep)
	assert.Zero(t, rep.Missing, "missing, first: %v", rep.FirstMissing)
	assert.Zero(t, rep.Duplicated)
	assert.Zero(t, rep.Misplaced)
	assert.Equal(t, eosRecords, rep.Seen)
}

// TestExactlyOnceAcrossRebalances runs the group through two rebalances:
// a third member joins mid-stream (the transactions open at that moment
// abort and their partitions move), then a member is SIGKILLed (its open
// transaction stays until the broker's timeout aborts it, and its
// partitions move once its session times out). Nothing is missing or
// duplicated for a read_committed reader.
func TestExactlyOnceAcrossRebalances(t *testing.T) {
	r := eosSetup(t)
	procs := []*exec.Cmd{r.start(t, "ledger-eos-a"), r.start(t, "ledger-eos-b")}
	r.waitWritten(t, eosRecords/4)
	procs = append(procs, r.start(t, "ledger-eos-c"))
	t.Logf("third member joined at %d records", written(t, r.cl))
	r.waitWritten(t, eosRecords/2)
	require.NoError(t, procs[0].Process.Signal(syscall.SIGKILL))
	_ = procs[0].Wait()
	t.Logf("killed one of three at %d records", written(t, r.cl))
	rep := r.check(t, procs[1:]...)
	t.Logf("exactly-once across rebalances: %s", rep)
	assert.Zero(t, rep.Missing, "missing, first: %v", rep.FirstMissing)
	assert.Zero(t, rep.Duplicated)
	assert.Zero(t, rep.Misplaced)
	assert.Equal(t, eosRecords, rep.Seen)
}
