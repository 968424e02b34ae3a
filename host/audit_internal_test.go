package host

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
