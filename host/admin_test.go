package host_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testpg"
	"github.com/weirstream/weir/internal/testredis"
)

// TestMain keeps the package's tests off the user's own state: the admin
// API every watched transform starts listens on a free port, and its
// token file and the audit trail go to a directory of the run's. A
// processor's default cache_dir is the tests' shared one
// (fixtures.CacheDir), which fixtures.Warm fills without -race.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "weir-host-test-")
	if err == nil {
		var cache string
		cache, err = fixtures.SharedCacheHome()
		os.Setenv("XDG_CACHE_HOME", cache)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_STATE_HOME", dir)
	os.Setenv("XDG_RUNTIME_DIR", dir)
	os.Setenv(host.EnvAdminAddress, "127.0.0.1:0")
	code := m.Run()
	testredis.StopShared() // started by the first test needing Redis
	testpg.StopShared()    // started by the first postgres_cdc test
	os.RemoveAll(dir)
	os.Exit(code)
}

// adminServer serves the admin API with token over httptest; it returns
// the server and the audit trail's path.
func adminServer(t *testing.T, token string) (*httptest.Server, string) {
	t.Helper()
	audit := filepath.Join(t.TempDir(), "audit.log")
	h, err := host.NewAdminHandler(host.AdminConfig{Token: token, AuditFile: audit}, service.MockResources().Logger())
	require.NoError(t, err)
	api := httptest.NewServer(h)
	t.Cleanup(api.Close)
	return api, audit
}

// adminCall sends method path with token ("" for none) and a JSON body
// (POST), and returns the status and the body.
func adminCall(t *testing.T, client *http.Client, url, method, path, token string) (int, string) {
	t.Helper()
	var body *strings.Reader
	if method == http.MethodPost {
		body = strings.NewReader("{}")
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, url+path, body)
	require.NoError(t, err)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
	return resp.StatusCode, b.String()
}

// auditLines reads an audit trail, keeping the lines that match keep.
func auditLines(t *testing.T, path string, keep func(host.AuditEvent) bool) []host.AuditEvent {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var out []host.AuditEvent
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var ev host.AuditEvent
		require.NoError(t, json.Unmarshal([]byte(line), &ev), "audit line %q", line)
		if keep(ev) {
			out = append(out, ev)
		}
	}
	return out
}
