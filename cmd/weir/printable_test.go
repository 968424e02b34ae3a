package main

import (
	"bytes"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/host"
)

// A reason that carries terminal escapes (from a registry's error or a
// module's refusal) is printed escaped: it cannot clear or rewrite the
// operator's terminal.
func TestStatusTextIsPrintable(t *testing.T) {
	var w bytes.Buffer
	printStatus(&w, host.Status{Name: "mask", Rejected: map[string]string{"sha256:1": "refused\x1b[2J\x1b]0;pwned\x07 \u202eevil\u0085"}})
	assert.NotContains(t, w.String(), "\x1b")
	assert.NotContains(t, w.String(), "\u202e")
	assert.Contains(t, w.String(), `refused\x1b[2J\x1b]0;pwned\x07 \u202eevil\x85`)
	assert.Equal(t, "plain\ttext\n", printable("plain\ttext\n"))
}

// The attack on the audit trail's reader: anyone who reaches the admin
// API can have a refusal audited with a transform name of their choosing
// (the request's path, decoded). Printed by `weir transform audit`, a
// newline in it would forge a row, an escape sequence drive the
// operator's terminal; both come out escaped, one row per event.
func TestAuditRowsCannotBeForged(t *testing.T) {
	dir := t.TempDir()
	trail := filepath.Join(dir, "audit.log")
	api, err := host.StartAdmin(host.AdminConfig{Address: "127.0.0.1:0", Token: "t", AuditFile: trail}, service.MockResources().Logger())
	require.NoError(t, err)
	defer api.Close()
	forged := "mask%0a2026-12-01T00:00:00Z  ok  rollback  mask  token:0123456789ab%1b%5b2J%e2%80%ae"
	resp, err := http.Post(api.URL()+"/weir/transforms/"+forged+"/rollback", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	out, err := runTransform(t, "audit", "--file", trail)
	require.NoError(t, err, out)
	assert.Equal(t, 1, strings.Count(out, "\n"), "one event, one row: %q", out)
	assert.Contains(t, out, `mask\x0a2026-12-01T00:00:00Z`)
	assert.NotContains(t, out, "\x1b")
	assert.NotContains(t, out, "\u202e")
}
