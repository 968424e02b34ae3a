package ledger_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/bench/ledger"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testnats"
)

// jsPipeline is a real weir process: JetStream ledger.in → wasm mask →
// ledger.out, failures → ledger.dlq.
const jsPipeline = `
input:
  nats_jetstream:
    urls: [ %[1]q ]
    stream: LEDGER
    filter_subjects: [ ledger.in ]
    durable: weir-ledger
    ack_wait: 3s
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
        output: { nats_jetstream: { urls: [ %[1]q ], subject: ledger.dlq } }
      - output: { nats_jetstream: { urls: [ %[1]q ], subject: ledger.out } }
logger: { level: ${LOG_LEVEL:warn} }
http: { enabled: false }
`

// TestJetStreamAtLeastOnceUnderSIGKILL is the crash test through NATS
// JetStream: the consuming weir process is SIGKILLed three times; what it
// had not acked is redelivered after ack_wait. Nothing may be lost or
// misplaced; duplicates and per-key order are reported (redeliveries come
// after newer messages).
func TestJetStreamAtLeastOnceUnderSIGKILL(t *testing.T) {
	const n = 30_000
	url, js := testnats.Start(t, "LEDGER", "ledger.>")
	ctx := context.Background()
	stream, err := js.Stream(ctx, "LEDGER")
	require.NoError(t, err)
	require.NoError(t, ledger.WriteJetStream(ctx, js, "ledger.in", n, 100))

	dir := t.TempDir()
	mask := filepath.Join(dir, "mask.wasm")
	require.NoError(t, os.WriteFile(mask, fixtures.Go(t, "plugins/mask"), 0o644))
	conf := filepath.Join(dir, "pipeline.yaml")
	require.NoError(t, os.WriteFile(conf, []byte(fmt.Sprintf(jsPipeline, url, mask)), 0o644))
	env := append(os.Environ(), "XDG_CACHE_HOME="+fixtures.CacheHome(t))
	written := func() int64 {
		info, err := stream.Info(ctx)
		require.NoError(t, err)
		return int64(info.State.Msgs) - n
	}
	weir := fixtures.Weir(t)
	for i := 0; i < 3; i++ {
		cmd := exec.Command(weir, "run", conf)
		cmd.Env = env
		require.NoError(t, cmd.Start())
		mark := int64((i+1)*n/4) + int64(rand.Intn(2000))
		for deadline := time.Now().Add(time.Minute); written() < mark && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		t.Logf("kill %d: %d records written to ledger.out and ledger.dlq so far", i+1, written())
	}
	final := exec.Command(weir, "run", conf)
	final.Env = env
	require.NoError(t, final.Start())
	defer func() { _ = final.Process.Kill(); _ = final.Wait() }()

	cctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	rep, err := ledger.CheckJetStream(cctx, js, "LEDGER", "ledger.out", "ledger.dlq", n, time.Minute)
	require.NoError(t, err)
	t.Logf("after 3 SIGKILLs: %s", rep)
	assert.Zero(t, rep.Missing, "missing, first: %v", rep.FirstMissing)
	assert.Zero(t, rep.Misplaced)
}

// TestJetStreamKeepsPerKeyOrderWithoutFailures runs the JetStream pipeline
// (default max_in_flight, the wasm mask, out and dead-letter subjects) on a
// real weir process without kills: nothing is redelivered, so no record of
// a key may overtake an older one.
func TestJetStreamKeepsPerKeyOrderWithoutFailures(t *testing.T) {
	const n = 10_000
	url, js := testnats.Start(t, "LEDGER", "ledger.>")
	ctx := context.Background()
	require.NoError(t, ledger.WriteJetStream(ctx, js, "ledger.in", n, 100))
	mask := filepath.Join(t.TempDir(), "mask.wasm")
	require.NoError(t, os.WriteFile(mask, fixtures.Go(t, "plugins/mask"), 0o644))
	startWeir(t, fmt.Sprintf(jsPipeline, url, mask))
	cctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	rep, err := ledger.CheckJetStream(cctx, js, "LEDGER", "ledger.out", "ledger.dlq", n, time.Minute)
	require.NoError(t, err)
	t.Logf("no failures: %s", rep)
	assert.Zero(t, rep.Missing, "missing, first: %v", rep.FirstMissing)
	assert.Zero(t, rep.Misplaced)
	assert.Zero(t, rep.Inversions, "per-key order inversions")
	assert.Zero(t, rep.Duplicated)
}
