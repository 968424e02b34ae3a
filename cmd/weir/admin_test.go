package main

import (
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
)

// The CLI speaks HTTPS to an admin API with client certificates: its
// certificate is the credential, no token needed; without one, a change
// is refused.
func TestCLIClientCertificate(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	ca := fixtures.NewCA(t, "weir test CA")
	srvCert, srvKey := ca.Issue(t, pkix.Name{CommonName: "weir admin"}, true)
	api, err := host.StartAdmin(host.AdminConfig{Address: "127.0.0.1:0", TLSCert: write("srv.pem", srvCert), TLSKey: write("srv.key", srvKey),
		TLSClientCA: write("ca.pem", ca.PEM), TokenFile: filepath.Join(dir, "tok", "admin-token"), AuditFile: filepath.Join(dir, "audit.log")},
		service.MockResources().Logger())
	require.NoError(t, err)
	defer api.Close()
	cert, key := ca.Issue(t, pkix.Name{CommonName: "alice"}, false)
	tlsFlags := []string{"--admin", api.Addr(), "--cacert", filepath.Join(dir, "ca.pem"), "--token-file", filepath.Join(dir, "none")}

	_, err = runTransform(t, append(append([]string{"unpin"}, tlsFlags...), "nobody")...)
	require.ErrorContains(t, err, "401")
	_, err = runTransform(t, append(append([]string{"unpin"}, tlsFlags...), "--cert", write("alice.pem", cert), "--key", write("alice.key", key), "nobody")...)
	require.ErrorContains(t, err, `404 Not Found: no transform named "nobody"`, "authenticated by the certificate")
	out, err := runTransform(t, "audit", "--file", filepath.Join(dir, "audit.log"))
	require.NoError(t, err)
	require.Regexp(t, `failed +unpin +nobody +cert:CN=alice@127\.0\.0\.1:\d+  no transform named "nobody"`, out)
}
