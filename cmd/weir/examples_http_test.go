package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// Benthos's HTTP server listens on all interfaces unless told otherwise
// (docs/deploy.md, "Benthos's HTTP server"): every shipped config binds
// it to loopback by default, or turns it off.
func TestShippedConfigsKeepBenthosHTTPOnLoopback(t *testing.T) {
	configs, err := filepath.Glob(filepath.Join(fixtures.Root(), "examples", "*", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, configs)
	withDefault := regexp.MustCompile(`^\$\{[A-Z_]+:(.*)\}$`)
	for _, path := range configs {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		if onlyResources(string(b)) {
			continue // a resources file (weir run -r) starts no server of its own
		}
		section, ok := httpSection(string(b))
		if !assert.True(t, ok, "%s has no http: section: Benthos would listen on 0.0.0.0:4195", path) {
			continue
		}
		if strings.Contains(section, "enabled: false") {
			continue
		}
		addr := ""
		for _, line := range strings.Split(section, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "address:"); ok {
				addr = strings.Trim(strings.TrimSpace(v), `"'`)
			}
		}
		if m := withDefault.FindStringSubmatch(addr); m != nil {
			addr = m[1]
		}
		host, _, err := net.SplitHostPort(addr)
		ip := net.ParseIP(host)
		assert.True(t, err == nil && (host == "localhost" || ip != nil && ip.IsLoopback()), "%s: http.address %q is not loopback", path, addr)
	}
}

// onlyResources reports whether every top-level key of a YAML config is a
// resource list (cache_resources:, rate_limit_resources:, …).
func onlyResources(config string) bool {
	keys := 0
	for _, line := range strings.Split(config, "\n") {
		if line == "" || line[0] == ' ' || line[0] == '#' || line[0] == '-' {
			continue
		}
		keys++
		if key, _, _ := strings.Cut(line, ":"); !strings.HasSuffix(key, "_resources") {
			return false
		}
	}
	return keys > 0
}

// httpSection returns the top-level http: block of a YAML config.
func httpSection(config string) (string, bool) {
	lines := strings.Split(config, "\n")
	for i, line := range lines {
		if strings.TrimRight(line, " ") != "http:" {
			continue
		}
		var block []string
		for _, l := range lines[i+1:] {
			if l != "" && l[0] != ' ' && l[0] != '#' {
				break
			}
			block = append(block, l)
		}
		return strings.Join(block, "\n"), true
	}
	return "", false
}
