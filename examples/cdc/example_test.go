package cdc_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/examples/cdc/loadgen"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testpg"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// TestCDCExample runs examples/cdc as make run-cdc does: the seed rows,
// the pipeline (snapshot, then streaming), the live changes; every change
// reaches its table's topic with the PII masked, the legacy order the
// mask refuses reaches cdc.dlq.
func TestCDCExample(t *testing.T) {
	pg := testpg.Shared(t)
	db := pg.CreateDB(t)
	k, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "cdc.public.customers", "cdc.public.orders", "cdc.dlq"))
	require.NoError(t, err)
	t.Cleanup(k.Close)
	broker := strings.Join(k.ListenAddrs(), ",")
	mask := filepath.Join(t.TempDir(), "mask.wasm")
	require.NoError(t, os.WriteFile(mask, fixtures.Go(t, "plugins/mask"), 0o644))
	env := append(os.Environ(), "KAFKA="+broker, "WEIR_MASK="+mask, "HTTP_ADDRESS=127.0.0.1:0", "PG_DSN="+pg.DSN(db),
		"XDG_CACHE_HOME="+fixtures.CacheHome(t))
	weir := fixtures.Weir(t)

	lint := exec.Command(weir, "lint", "examples/cdc/pipeline.yaml", "examples/cdc/show.yaml")
	lint.Dir = fixtures.Root()
	out, err := lint.CombinedOutput()
	require.NoError(t, err, "%s", out)

	ctx := fixtures.Patient(t)
	conn, err := loadgen.Connect(ctx, pg.DSN(db))
	require.NoError(t, err)
	defer conn.Close(ctx)
	require.NoError(t, loadgen.Seed(ctx, conn))
	pipeline := exec.CommandContext(ctx, weir, "run", "examples/cdc/pipeline.yaml")
	pipeline.Dir, pipeline.Env = fixtures.Root(), env
	pipeline.Stdout, pipeline.Stderr = os.Stderr, os.Stderr
	require.NoError(t, pipeline.Start())
	defer func() { _ = pipeline.Process.Kill(); _ = pipeline.Wait() }()
	require.NoError(t, loadgen.WaitSlot(ctx, conn, "weir"))
	require.NoError(t, loadgen.Live(ctx, conn))

	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics("cdc.public.customers", "cdc.public.orders", "cdc.dlq"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	counts := map[string]int{}
	ops := map[string]int{}
	total := loadgen.SeedCustomers + loadgen.SeedOrders + loadgen.LiveCustomers + loadgen.LiveOrders + loadgen.LiveUpdates + loadgen.LiveDeletes
	for counts["cdc.public.customers"]+counts["cdc.public.orders"]+counts["cdc.dlq"] < total && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			counts[r.Topic]++
			checkMasked(t, r)
			var e struct{ Op string }
			require.NoError(t, json.Unmarshal(r.Value, &e))
			ops[r.Topic+" "+e.Op]++
		})
	}
	// customers: 20 seeded (snapshot reads) + 10 live inserts; orders: 60
	// reads + 39 inserts + 30 updates + 5 deletes; the legacy order: dlq
	assert.Equal(t, map[string]int{"cdc.public.customers": 30, "cdc.public.orders": 134, "cdc.dlq": 1}, counts)
	assert.Equal(t, map[string]int{"cdc.public.customers read": 20, "cdc.public.customers insert": 10,
		"cdc.public.orders read": 60, "cdc.public.orders insert": 39, "cdc.public.orders update": 30, "cdc.public.orders delete": 5,
		"cdc.dlq insert": 1}, ops)
}

// checkMasked: no raw PII left in a masked topic, and a key on every change.
func checkMasked(t *testing.T, r *kgo.Record) {
	t.Helper()
	assert.True(t, strings.HasPrefix(string(r.Key), "["), "key %q is the primary key as a JSON array", r.Key)
	if r.Topic == "cdc.dlq" {
		return
	}
	v := string(r.Value)
	for _, raw := range []string{"Customer ", "+1-555-", "4111 1111 1111"} {
		assert.NotContains(t, v, raw, "%s: %s", r.Topic, v)
	}
	assert.NotRegexp(t, rawEmail, v)
}

var rawEmail = regexp.MustCompile(`customer\d+@`)
