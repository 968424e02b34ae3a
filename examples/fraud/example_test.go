package fraud_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testredis"
)

type order struct {
	OrderID  string `json:"order_id"`
	Customer struct {
		ID, Email, Card string
	} `json:"customer"`
	Risk *struct {
		Score int    `json:"score"`
		Band  string `json:"band"`
	} `json:"risk"`
}

// TestFraudExample runs examples/fraud against the broker the tests use
// and checks every topic against what the orders and the profiles say
// should reach it: orders of customers scoring 70 or more, or without a
// profile, in orders-review; the others in orders-clean, masked, with
// their profile merged in; the corrupt line in orders-dlq.
func TestFraudExample(t *testing.T) {
	runFraud(t, "examples/fraud/risk-memory.yaml")
}

// TestFraudExampleRedis is the same with the profiles in a real Redis
// (risk-redis.yaml: the weir_redis cache), loaded from risk-memory.yaml.
func TestFraudExampleRedis(t *testing.T) {
	srv := testredis.Start(t)
	cl := srv.Client()
	defer cl.Close()
	b, err := os.ReadFile(filepath.Join(fixtures.Root(), "examples/fraud/risk-memory.yaml"))
	require.NoError(t, err)
	n := 0
	for _, m := range regexp.MustCompile(`"(risk:[^"]+)": '([^']+)'`).FindAllSubmatch(b, -1) {
		require.NoError(t, cl.Set(context.Background(), string(m[1]), m[2], 0).Err())
		n++
	}
	require.Greater(t, n, 900)
	runFraud(t, "examples/fraud/risk-redis.yaml", "REDIS_URL="+srv.URL())
}

func runFraud(t *testing.T, resources string, extraEnv ...string) {
	scores := profiles(t)
	want, total := expected(t, scores)
	require.NotEmpty(t, want["orders-review"])
	require.NotEmpty(t, want["orders-clean"])
	require.Equal(t, []string{"this line is not an order"}, want["orders-dlq"])

	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "orders", "orders-review", "orders-clean", "orders-dlq"))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	broker := strings.Join(c.ListenAddrs(), ",")
	env := append(append(os.Environ(), extraEnv...), "KAFKA="+broker, "HTTP_ADDRESS=127.0.0.1:0", "XDG_CACHE_HOME="+fixtures.CacheHome(t))
	for _, p := range []string{"mask", "enrich", "route"} {
		path := filepath.Join(t.TempDir(), p+".wasm")
		require.NoError(t, os.WriteFile(path, fixtures.Go(t, "plugins/"+p), 0o644))
		env = append(env, "WEIR_"+strings.ToUpper(p)+"="+path)
	}
	weir := fixtures.Weir(t)
	run(t, env, weir, "lint", "-r", resources, "examples/fraud/produce.yaml", "examples/fraud/pipeline.yaml", "examples/fraud/show.yaml")
	run(t, env, weir, "run", "examples/fraud/produce.yaml")
	ctx := fixtures.Patient(t)
	pipeline := exec.CommandContext(ctx, weir, "run", "-r", resources, "examples/fraud/pipeline.yaml")
	pipeline.Dir, pipeline.Env = fixtures.Root(), env
	require.NoError(t, pipeline.Start())
	defer func() { _ = pipeline.Process.Kill(); _ = pipeline.Wait() }()

	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics("orders-review", "orders-clean", "orders-dlq"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	got, n := map[string][]string{}, 0
	for n < total && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			n++
			got[r.Topic] = append(got[r.Topic], checked(t, r, scores))
		})
	}
	for topic, ids := range want {
		assert.ElementsMatch(t, ids, got[topic], topic)
	}
}

// profiles reads the scores from risk-memory.yaml's init_values.
func profiles(t *testing.T) map[string]int {
	b, err := os.ReadFile(filepath.Join(fixtures.Root(), "examples/fraud/risk-memory.yaml"))
	require.NoError(t, err)
	scores := map[string]int{}
	for _, m := range regexp.MustCompile(`"risk:([^"]+)": '\{"score":(\d+),`).FindAllSubmatch(b, -1) {
		scores[string(m[1])], _ = strconv.Atoi(string(m[2]))
	}
	require.Greater(t, len(scores), 900)
	return scores
}

// expected sorts the orders by the topic each should reach, by order id
// (the corrupt line by its text).
func expected(t *testing.T, scores map[string]int) (map[string][]string, int) {
	want, total := map[string][]string{}, 0
	for _, file := range []string{"bench/testdata/orders-1k.jsonl", "examples/fraud/corrupt.jsonl"} {
		f, err := os.Open(filepath.Join(fixtures.Root(), file))
		require.NoError(t, err)
		defer f.Close()
		for sc := bufio.NewScanner(f); sc.Scan(); total++ {
			var o order
			if json.Unmarshal(sc.Bytes(), &o) != nil {
				want["orders-dlq"] = append(want["orders-dlq"], sc.Text())
				continue
			}
			if s, ok := scores[o.Customer.ID]; !ok || s >= 70 {
				want["orders-review"] = append(want["orders-review"], o.OrderID)
			} else {
				want["orders-clean"] = append(want["orders-clean"], o.OrderID)
			}
		}
	}
	return want, total
}

// checked names an output record, checking an order is masked and carries
// its customer's profile, if any, and a dead letter says why it failed.
func checked(t *testing.T, r *kgo.Record, scores map[string]int) string {
	var o order
	if json.Unmarshal(r.Value, &o) != nil {
		assert.Equal(t, "orders-dlq", r.Topic)
		assert.True(t, hasHeader(r, "weir_error_class"), "%s", r.Value)
		return string(r.Value)
	}
	assert.True(t, strings.HasPrefix(o.Customer.Email, "***@"), o.Customer.Email)
	assert.True(t, strings.HasPrefix(o.Customer.Card, "************"), o.Customer.Card)
	if s, ok := scores[o.Customer.ID]; ok && assert.NotNil(t, o.Risk, "%s", r.Value) {
		assert.Equal(t, s, o.Risk.Score, "%s", r.Value)
	} else {
		assert.Nil(t, o.Risk, "%s", r.Value)
	}
	return o.OrderID
}

func hasHeader(r *kgo.Record, key string) bool {
	for _, h := range r.Headers {
		if h.Key == key {
			return true
		}
	}
	return false
}

func run(t *testing.T, env []string, weir string, args ...string) {
	cmd := exec.Command(weir, args...)
	cmd.Dir, cmd.Env = fixtures.Root(), env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}
