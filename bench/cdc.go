package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/bench/ledger"
	"github.com/weirstream/weir/internal/testpg"
)

// CDCMaskFields is the mask's config for the ledger table's changes.
const CDCMaskFields = "{ fields: [ { path: after.secret, action: email }, { path: before.secret, action: email } ] }"

// CDCThroughput writes n row changes (the ledger's inserts, updates and
// deletes, 100 per transaction) into a throwaway PostgreSQL cluster, then
// times a Benthos stream postgres_cdc → processor → kafka out (kfake, in
// process) until all n reached the output topic. It returns changes per
// second and the process's CPU time per change (the broker's included,
// PostgreSQL's not: it is another process).
func CDCThroughput(processor string, n int) (rate, cpuNsPerMsg float64, err error) {
	pg, err := testpg.New()
	if err != nil {
		return 0, 0, err
	}
	defer pg.Close()
	if err := cdcLoad(pg, n); err != nil {
		return 0, 0, err
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "out"))
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	broker := strings.Join(c.ListenAddrs(), ",")
	stream, err := cdcStream(pg.DSN("postgres"), broker, processor)
	if err != nil {
		return 0, 0, err
	}
	return timeToOutput(stream, broker, n)
}

// cdcLoad makes the slot first, so the stream has every change.
func cdcLoad(pg *testpg.Cluster, n int) error {
	ctx := context.Background()
	err := pg.Exec(ctx, "postgres", ledger.CDCSchema, "CREATE PUBLICATION weir FOR TABLE ledger",
		"SELECT pg_create_logical_replication_slot('weir', 'pgoutput')")
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, pg.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return ledger.WriteCDC(ctx, conn, n, 100)
}

func cdcStream(dsn, broker, processor string) (*service.Stream, error) {
	sb := service.NewStreamBuilder()
	if err := sb.SetLoggerYAML("level: warn"); err != nil {
		return nil, err
	}
	if err := sb.AddInputYAML(fmt.Sprintf("postgres_cdc: { dsn: %q, tables: [ledger] }", dsn)); err != nil {
		return nil, err
	}
	if err := sb.AddProcessorYAML(processor); err != nil {
		return nil, err
	}
	if err := sb.AddOutputYAML(fmt.Sprintf("kafka: { seed_brokers: [%q], topic: out, key: '${! @pg_key }' }", broker)); err != nil {
		return nil, err
	}
	return sb.Build()
}

// timeToOutput runs stream until n records reached topic out.
func timeToOutput(stream *service.Stream, broker string, n int) (rate, cpuNsPerMsg float64, err error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		return 0, 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start, cpu0 := time.Now(), CPUTime()
	go func() { _ = stream.Run(ctx) }()
	adm := kadm.NewClient(cl)
	for deadline := start.Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		ends, err := adm.ListEndOffsets(ctx, "out")
		if err != nil {
			return 0, 0, err
		}
		var total int64
		ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
		if total >= int64(n) {
			elapsed, cpu := time.Since(start), CPUTime()-cpu0
			_ = stream.Stop(context.Background())
			return float64(n) / elapsed.Seconds(), float64(cpu.Nanoseconds()) / float64(n), nil
		}
	}
	return 0, 0, fmt.Errorf("cdc throughput: output incomplete after 5 minutes")
}
