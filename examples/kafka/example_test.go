package kafka_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/internal/fixtures"
)

// TestKafkaExample runs examples/kafka against the broker the tests use:
// the orders file into `orders`, the mask pipeline, and checks every order
// came out masked in `orders-masked` and the corrupt line in `orders-dlq`.
func TestKafkaExample(t *testing.T) {
	broker, env, weir := setup(t)

	lint := exec.Command(weir, "lint", "examples/kafka/produce.yaml", "examples/kafka/pipeline.yaml", "examples/kafka/show.yaml")
	lint.Dir = fixtures.Root()
	out, err := lint.CombinedOutput()
	require.NoError(t, err, "%s", out)

	produce := exec.Command(weir, "run", "examples/kafka/produce.yaml")
	produce.Dir, produce.Env = fixtures.Root(), env
	out, err = produce.CombinedOutput()
	require.NoError(t, err, "%s", out)

	ctx := fixtures.Patient(t)
	pipeline := exec.CommandContext(ctx, weir, "run", "examples/kafka/pipeline.yaml")
	pipeline.Dir, pipeline.Env = fixtures.Root(), env
	require.NoError(t, pipeline.Start())
	defer func() { _ = pipeline.Process.Kill(); _ = pipeline.Wait() }()

	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics("orders-masked", "orders-dlq"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	counts := map[string]int{}
	for counts["orders-masked"]+counts["orders-dlq"] < 1025 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			counts[r.Topic]++
			if r.Topic == "orders-masked" {
				var o struct{ Customer struct{ Email, Card string } }
				require.NoError(t, json.Unmarshal(r.Value, &o))
				assert.True(t, strings.HasPrefix(o.Customer.Email, "***@"), o.Customer.Email)
				assert.True(t, strings.HasPrefix(o.Customer.Card, "************"), o.Customer.Card)
			}
		})
	}
	assert.Equal(t, map[string]int{"orders-masked": 1024, "orders-dlq": 1}, counts)
}

// setup starts the broker the tests use with the example's topics and
// returns it, the examples' environment and the weir binary.
func setup(t *testing.T) (broker string, env []string, weir string) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "orders", "orders-masked", "orders-dlq"))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	broker = strings.Join(c.ListenAddrs(), ",")
	mask := filepath.Join(t.TempDir(), "mask.wasm")
	require.NoError(t, os.WriteFile(mask, fixtures.Go(t, "plugins/mask"), 0o644))
	return broker, append(os.Environ(), "KAFKA="+broker, "WEIR_MASK="+mask, "HTTP_ADDRESS=127.0.0.1:0",
		"XDG_CACHE_HOME="+fixtures.CacheHome(t)), fixtures.Weir(t)
}

// TestKafkaScaleOutExample runs three copies of the same pipeline, as
// docs/deploy.md and `make run-kafka-scaleout` do: the broker gives each a
// partition of `orders`, and together they mask every order once.
func TestKafkaScaleOutExample(t *testing.T) {
	broker, env, weir := setup(t)

	ctx := fixtures.Patient(t)
	for i := 0; i < 3; i++ {
		p := exec.CommandContext(ctx, weir, "run", "examples/kafka/pipeline.yaml")
		p.Dir, p.Env = fixtures.Root(), env
		require.NoError(t, p.Start())
		defer func() { _ = p.Process.Kill(); _ = p.Wait() }()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics("orders-masked", "orders-dlq"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	fixtures.WaitUntil(t, "three members of weir-mask, one partition each", func() bool {
		groups, err := adm.DescribeGroups(ctx, "weir-mask")
		if err != nil {
			return false
		}
		g := groups["weir-mask"]
		owned := 0
		for _, m := range g.Members {
			if a, ok := m.Assigned.AsConsumer(); ok && len(a.Topics) == 1 && len(a.Topics[0].Partitions) == 1 {
				owned++
			}
		}
		return g.State == "Stable" && owned == 3
	})

	produce := exec.Command(weir, "run", "examples/kafka/produce.yaml")
	produce.Dir, produce.Env = fixtures.Root(), env
	out, err := produce.CombinedOutput()
	require.NoError(t, err, "%s", out)
	seen := map[string]int{}
	for len(seen) < 1025 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { seen[r.Topic+"/"+string(r.Key)+"/"+string(r.Value)]++ })
	}
	assert.Len(t, seen, 1025, "every order once, from three processes")
}
