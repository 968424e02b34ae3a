package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func appendAudit(t *testing.T, path string, evs ...host.AuditEvent) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer f.Close()
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		_, err = f.Write(append(b, '\n'))
		require.NoError(t, err)
	}
}

// `audit` prints the trail, one row per line, keeping one transform's
// lines with --transform; --follow prints new lines as they come, across
// a rotation.
func TestAuditCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	at := time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC)
	appendAudit(t, path,
		host.AuditEvent{Time: at, Actor: "token:0123456789ab", Peer: "127.0.0.1:5000", Action: "rollback", Transform: "mask", From: "sha256:b", To: "sha256:a", Outcome: "ok"},
		host.AuditEvent{Time: at, Actor: "weir", Action: "swap", Transform: "route", From: "sha256:c", To: "sha256:d", Outcome: "ok"},
		host.AuditEvent{Time: at, Actor: "anonymous", Peer: "127.0.0.1:5001", Action: "pin", Transform: "mask", Outcome: "refused", Error: "a credential is needed", Suppressed: 3})
	out, err := runTransform(t, "audit", "--file", path, "--transform", "mask")
	require.NoError(t, err, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	assert.Contains(t, lines[0], "ok       rollback   mask  token:0123456789ab@127.0.0.1:5000  sha256:b → sha256:a")
	assert.Contains(t, lines[1], "refused  pin        mask  anonymous@127.0.0.1:5001  a credential is needed  (3 refusals left out before this line)")
	out, err = runTransform(t, "audit", "--file", path, "--json", "--transform", "route")
	require.NoError(t, err)
	assert.JSONEq(t, `{"time":"2026-12-01T17:00:00Z","actor":"weir","action":"swap","transform":"route","from_digest":"sha256:c","to_digest":"sha256:d","outcome":"ok","pid":0}`, out)

	var follow syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		app := &cli.App{Name: "weir", Commands: []*cli.Command{transformCommand()}, Writer: &follow, ErrWriter: &follow, ExitErrHandler: func(*cli.Context, error) {}}
		done <- app.RunContext(ctx, []string{"weir", "transform", "audit", "--follow", "--file", path})
	}()
	showing := func(what string) {
		fixtures.WaitUntilShowing(t, "audit --follow showing "+what, func() bool { return strings.Contains(follow.String(), what) }, follow.String)
	}
	showing("sha256:b → sha256:a")
	appendAudit(t, path, host.AuditEvent{Time: at, Actor: "weir", Action: "rollback", Transform: "mask", From: "sha256:a", To: "sha256:e", Outcome: "ok"})
	showing("sha256:a → sha256:e")
	require.NoError(t, os.Rename(path, path+".1"))
	appendAudit(t, path, host.AuditEvent{Time: at, Actor: "weir", Action: "swap", Transform: "mask", From: "sha256:e", To: "sha256:f", Outcome: "ok"})
	showing("sha256:e → sha256:f")
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, 1, strings.Count(follow.String(), "sha256:b → sha256:a"), "each line once")
}
