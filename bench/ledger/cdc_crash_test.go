package ledger_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/bench/ledger"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testpg"
)

const (
	cdcChanges     = 100_000
	cdcKeys        = 100
	cdcMaxInFlight = 5000
)

// cdcPipeline: postgres_cdc → wasm mask → a ledger record → out, failures → dlq.
const cdcPipeline = `
input:
  postgres_cdc:
    dsn: %[1]q
    slot: ledger
    publication: ledger
    tables: [ ledger ]
    max_in_flight: %[4]d
pipeline:
  threads: 1
  processors:
    - wasm:
        module: %[3]s
        config: { fields: [ { path: after.secret, action: email }, { path: before.secret, action: email } ] }
    - mapping: |
        %[5]s
output:
  switch:
    cases:
      - check: errored()
        output: { kafka: { seed_brokers: [ %[2]q ], topic: dlq, key: '${! @pg_key }' } }
      - output: { kafka: { seed_brokers: [ %[2]q ], topic: out, key: '${! @pg_key }' } }
logger: { level: ${LOG_LEVEL:warn} }
http: { enabled: false }
`

// TestCDCAtLeastOnceUnderSIGKILL: 100k row changes (inserts, updates,
// deletes) streamed by a weir process killed 3× mid-stream: nothing
// missing or misplaced, per-key order kept, duplicates within the
// in-flight bound.
func TestCDCAtLeastOnceUnderSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: runs a 100k-change stream")
	}
	broker, cl, conf, env := cdcSetup(t)
	weir := fixtures.Weir(t)
	killMidStream(t, weir, conf, env, cl, cdcChanges, 2*time.Minute, "changes")
	final := exec.Command(weir, "run", conf)
	final.Env = env
	require.NoError(t, final.Start())
	defer func() { _ = final.Process.Kill(); _ = final.Wait() }()
	reader, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics("out", "dlq"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer reader.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	rep, err := ledger.Check(ctx, reader, "out", "dlq", cdcChanges, 150*time.Second)
	require.NoError(t, err)
	t.Logf("CDC after %d SIGKILLs: %s", kills, rep)
	assert.Zero(t, rep.Missing, "missing, first: %v", rep.FirstMissing)
	assert.Zero(t, rep.Misplaced)
	assert.Zero(t, rep.Inversions)
	// a kill replays what was in flight (max_in_flight) plus what was
	// acknowledged and not yet confirmed to the server (at most 100ms of
	// acks, and the rest of the transaction of 100 changes in progress)
	assert.LessOrEqual(t, rep.Duplicated, kills*2*cdcMaxInFlight, "duplicates within the in-flight bound")
}

// cdcSetup starts PostgreSQL and a broker, makes the slot, writes every
// change, and writes the pipeline config.
func cdcSetup(t *testing.T) (broker string, cl *kgo.Client, conf string, env []string) {
	pg := testpg.Start(t)
	ctx := context.Background()
	require.NoError(t, pg.Exec(ctx, "postgres", ledger.CDCSchema, "CREATE PUBLICATION ledger FOR TABLE ledger",
		"SELECT pg_create_logical_replication_slot('ledger', 'pgoutput')"))
	conn, err := pgx.Connect(ctx, pg.DSN("postgres"))
	require.NoError(t, err)
	defer conn.Close(ctx)
	require.NoError(t, ledger.WriteCDC(ctx, conn, cdcChanges, cdcKeys))

	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "out", "dlq"))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	broker = strings.Join(c.ListenAddrs(), ",")
	cl, err = kgo.NewClient(kgo.SeedBrokers(broker))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	dir := t.TempDir()
	mask := filepath.Join(dir, "mask.wasm")
	require.NoError(t, os.WriteFile(mask, fixtures.Go(t, "plugins/mask"), 0o644))
	conf = filepath.Join(dir, "cdc.yaml")
	mapping := strings.ReplaceAll(ledger.CDCMapping, "\n", "\n        ")
	require.NoError(t, os.WriteFile(conf, []byte(fmt.Sprintf(cdcPipeline, pg.DSN("postgres"), broker, mask, cdcMaxInFlight, mapping)), 0o644))
	return broker, cl, conf, append(os.Environ(), "XDG_CACHE_HOME="+fixtures.CacheHome(t))
}
