package host_test

import (
	"bufio"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
)

func startAdmin(t *testing.T, cfg host.AdminConfig) *host.AdminServer {
	t.Helper()
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1:0"
	}
	if cfg.AuditFile == "" {
		cfg.AuditFile = filepath.Join(t.TempDir(), "audit.log")
	}
	a, err := host.StartAdmin(cfg, service.MockResources().Logger())
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// Without a configured token, weir makes one, writes it where only its
// user can read it, and takes nothing else for a change; a read from
// loopback needs none.
func TestAdminGeneratesAToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	audit := filepath.Join(t.TempDir(), "audit.log")
	a := startAdmin(t, host.AdminConfig{TokenFile: filepath.Join(dir, "admin-token"), AuditFile: audit})
	fi, err := os.Stat(a.TokenFile())
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
	token, err := host.ReadAdminToken(a.TokenFile())
	require.NoError(t, err)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(raw), 16, "at least 128 bits")

	code, _ := adminCall(t, http.DefaultClient, a.URL(), "GET", "/weir/transforms", "")
	assert.Equal(t, http.StatusOK, code)
	for _, tok := range []string{"", "guess", token + "x"} {
		code, body := adminCall(t, http.DefaultClient, a.URL(), "POST", "/weir/transforms/nobody/unpin", tok)
		assert.Equal(t, http.StatusUnauthorized, code, "token %q: %s", tok, body)
	}
	code, body := adminCall(t, http.DefaultClient, a.URL(), "POST", "/weir/transforms/nobody/unpin", token)
	assert.Equal(t, http.StatusNotFound, code, "authenticated, then no such transform: %s", body)

	lines := auditLines(t, audit, func(host.AuditEvent) bool { return true })
	require.Len(t, lines, 4)
	assert.Equal(t, "anonymous", lines[0].Actor)
	assert.Equal(t, "refused", lines[0].Outcome)
	assert.Contains(t, lines[0].Error, "credential is needed")
	assert.Regexp(t, `^token:[0-9a-f]{12}$`, lines[3].Actor)
	assert.Equal(t, "unpin", lines[3].Action)
	assert.Equal(t, "failed", lines[3].Outcome)
	raw, err = os.ReadFile(audit)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), token, "the token itself is never written")

	require.NoError(t, a.Close())
	_, err = os.Stat(a.TokenFile())
	assert.True(t, os.IsNotExist(err), "a stopped API's token file is removed")
}

// A token directory or an audit trail that another user could write is
// refused, saying what to fix.
func TestAdminRefusesSharedDirectories(t *testing.T) {
	shared := t.TempDir()
	require.NoError(t, os.Chmod(shared, 0o777))
	_, err := host.StartAdmin(host.AdminConfig{Address: "127.0.0.1:0", TokenFile: filepath.Join(shared, "admin-token"),
		AuditFile: filepath.Join(t.TempDir(), "audit.log")}, service.MockResources().Logger())
	require.ErrorContains(t, err, "is writable by its group or others")
	_, err = host.StartAdmin(host.AdminConfig{Address: "127.0.0.1:0", Token: "t", AuditFile: filepath.Join(shared, "audit.log")},
		service.MockResources().Logger())
	require.ErrorContains(t, err, "is writable by its group or others")
	require.ErrorContains(t, err, host.EnvAuditFile)

	loose := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(loose, []byte("t\n"), 0o644))
	_, err = host.ReadAdminToken(loose)
	require.ErrorContains(t, err, "chmod 600")
}

// A connection that never finishes its headers is closed by the server,
// and so is one left idle after a request.
func TestAdminClosesSlowConnections(t *testing.T) {
	a := startAdmin(t, host.AdminConfig{Token: "t", ReadHeaderTimeout: 50 * time.Millisecond, IdleTimeout: 50 * time.Millisecond})
	slow := dial(t, a.Addr())
	_, err := io.WriteString(slow, "GET /weir/transforms HTTP/1.1\r\nHost: 127.0.0.1\r\n") // and never the blank line
	require.NoError(t, err)
	closedByServer(t, slow)

	idle := dial(t, a.Addr())
	_, err = io.WriteString(idle, "GET /weir/transforms HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, _ = io.Copy(io.Discard, resp.Body)
	closedByServer(t, idle)
}

// No more than MaxConns connections are served at once: one more is
// served only once another closes.
func TestAdminCapsConnections(t *testing.T) {
	const max = 3
	a := startAdmin(t, host.AdminConfig{Token: "t", MaxConns: max, ReadHeaderTimeout: fixtures.Patience, IdleTimeout: fixtures.Patience})
	var held []net.Conn
	for range max {
		c := dial(t, a.Addr())
		get(t, c) // served, and kept alive
		held = append(held, c)
	}
	extra := dial(t, a.Addr()) // the kernel accepts it; the server does not take it
	_, err := io.WriteString(extra, "GET /weir/transforms HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	require.NoError(t, err)
	get(t, held[0]) // the server is serving, its held connections included…
	require.NoError(t, extra.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
	_, err = extra.Read(make([]byte, 1))
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "…but not one over the cap: read gave %v", err)

	require.NoError(t, held[1].Close())
	require.NoError(t, extra.SetReadDeadline(time.Now().Add(fixtures.Patience)))
	resp, err := http.ReadResponse(bufio.NewReader(extra), nil)
	require.NoError(t, err, "served once a connection closed")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// A change's body is capped.
func TestAdminCapsBodies(t *testing.T) {
	a := startAdmin(t, host.AdminConfig{Token: "t", MaxBodyBytes: 64})
	req, err := http.NewRequest("POST", a.URL()+"/weir/transforms/nobody/pin", strings.NewReader(`{"id":"`+strings.Repeat("a", 100)+`"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer t")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// get sends one GET on c and reads its answer.
func get(t *testing.T, c net.Conn) {
	t.Helper()
	_, err := io.WriteString(c, "GET /weir/transforms HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// closedByServer waits until the server closes c: a read returns EOF or
// a reset, not the test's own deadline.
func closedByServer(t *testing.T, c net.Conn) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(fixtures.Patience)))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "the server kept the connection open for %s", fixtures.Patience)
}
