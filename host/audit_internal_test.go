package host

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// However long what goes into a line (an attacker's path, a registry's
// error body), a line stays under the cap and still parses.
func TestAuditLineIsBounded(t *testing.T) {
	huge := strings.Repeat("\x00\"<>", 10_000) // escapes expand 6×
	line := auditLine(AuditEvent{Actor: huge, Peer: huge, Action: huge, Transform: huge, From: "sha256:x", Outcome: auditRefused, Reason: huge, Error: huge})
	assert.LessOrEqual(t, len(line), maxAuditLine)
	assert.True(t, strings.HasSuffix(string(line), "\n"))
	var ev AuditEvent
	require.NoError(t, json.Unmarshal(line, &ev))
	assert.Equal(t, "sha256:x", ev.From)
	assert.Equal(t, os.Getpid(), ev.PID)
}

// Refused attempts, which anyone who can connect may cause, are written
// up to a burst and then at a bounded rate, the rest counted; the
// actions of authenticated operators are always written.
func TestAuditRefusalsAreRateLimited(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	a, err := openAudit(path, service.MockResources().Logger())
	require.NoError(t, err)
	for range refusalBurst + 50 {
		a.write(AuditEvent{Actor: "anonymous", Action: "rollback", Outcome: auditRefused})
	}
	a.write(AuditEvent{Actor: "token:1", Action: "rollback", Outcome: auditOK})
	a.mu.Lock()
	a.last = a.last.Add(-refusalEvery) // a refusal's worth of time went by
	a.mu.Unlock()
	a.write(AuditEvent{Actor: "anonymous", Action: "rollback", Outcome: auditRefused})

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, refusalBurst+2)
	var ok, last AuditEvent
	require.NoError(t, json.Unmarshal([]byte(lines[refusalBurst]), &ok))
	require.NoError(t, json.Unmarshal([]byte(lines[refusalBurst+1]), &last))
	assert.Equal(t, auditOK, ok.Outcome)
	assert.Equal(t, 50, ok.Suppressed, "the next line says how many were left out")
	assert.Equal(t, auditRefused, last.Outcome)
	assert.Zero(t, last.Suppressed)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

// A watched transform can change what runs: without an audit trail it
// can write, it does not start, and says what to fix.
func TestWatchedTransformNeedsAnAuditTrail(t *testing.T) {
	trail.mu.Lock()
	saved := trail.log
	trail.log = nil // as in a process not audited yet
	trail.mu.Unlock()
	t.Cleanup(func() {
		trail.mu.Lock()
		trail.log = saved
		trail.mu.Unlock()
	})
	shared := t.TempDir()
	require.NoError(t, os.Chmod(shared, 0o777))
	t.Setenv(EnvAuditFile, filepath.Join(shared, "audit.log"))
	module := filepath.Join(t.TempDir(), "stamp.wasm")
	require.NoError(t, os.WriteFile(module, fixtures.Stamp(t, "g01", false), 0o644))

	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: none"))
	require.NoError(t, b.AddProcessorYAML(fmt.Sprintf("wasm:\n  module: %s\n  watch: true\n  cache_dir: %s\n", module, fixtures.CacheDir(t))))
	_, err := b.AddBatchProducerFunc()
	require.NoError(t, err)
	require.NoError(t, b.AddBatchConsumerFunc(func(context.Context, service.MessageBatch) error { return nil }))
	stream, err := b.Build()
	require.NoError(t, err)
	err = stream.Run(fixtures.Patient(t))
	require.ErrorContains(t, err, "is writable by its group or others")
	require.ErrorContains(t, err, EnvAuditFile)
	require.ErrorContains(t, err, "a watched transform needs an audit trail")
	for _, st := range Transforms() {
		require.NotEqual(t, module, st.Source, "the slot was closed, not left behind")
	}
}
