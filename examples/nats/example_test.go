package nats_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testnats"
)

// TestNATSExample runs examples/nats against an embedded JetStream server.
func TestNATSExample(t *testing.T) {
	url, js := testnats.Start(t, "ORDERS", "orders.>")
	ctx := fixtures.Patient(t)

	mask := filepath.Join(t.TempDir(), "mask.wasm")
	require.NoError(t, os.WriteFile(mask, fixtures.Go(t, "plugins/mask"), 0o644))
	env := append(os.Environ(), "NATS="+url, "WEIR_MASK="+mask, "HTTP_ADDRESS=127.0.0.1:0", "XDG_CACHE_HOME="+fixtures.CacheHome(t))
	weir := fixtures.Weir(t)
	produce := exec.Command(weir, "run", "examples/nats/produce.yaml")
	produce.Dir, produce.Env = fixtures.Root(), env
	out, err := produce.CombinedOutput()
	require.NoError(t, err, "%s", out)

	pipeline := exec.CommandContext(ctx, weir, "run", "examples/nats/pipeline.yaml")
	pipeline.Dir, pipeline.Env = fixtures.Root(), env
	require.NoError(t, pipeline.Start())
	defer func() { _ = pipeline.Process.Kill(); _ = pipeline.Wait() }()

	check, err := js.CreateOrUpdateConsumer(ctx, "ORDERS", jetstream.ConsumerConfig{
		Durable: "check", FilterSubjects: []string{"orders.masked.>", "orders.dlq"}, AckPolicy: jetstream.AckExplicitPolicy})
	require.NoError(t, err)
	counts := map[string]int{}
	for counts["orders.masked.default"]+counts["orders.dlq"] < 1025 && ctx.Err() == nil {
		batch, err := check.Fetch(500, jetstream.FetchMaxWait(time.Second))
		require.NoError(t, err)
		for m := range batch.Messages() {
			counts[m.Subject()]++
			if m.Subject() == "orders.masked.default" {
				var o struct{ Customer struct{ Email string } }
				require.NoError(t, json.Unmarshal(m.Data(), &o))
				assert.True(t, strings.HasPrefix(o.Customer.Email, "***@"), o.Customer.Email)
			}
			require.NoError(t, m.Ack())
		}
	}
	assert.Equal(t, map[string]int{"orders.masked.default": 1024, "orders.dlq": 1}, counts)
}
