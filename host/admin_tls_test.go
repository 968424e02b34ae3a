package host_test

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
)

func tlsClient(t *testing.T, ca *fixtures.CA, certPEM, keyPEM []byte) *http.Client {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	conf := &tls.Config{RootCAs: roots}
	if certPEM != nil {
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		require.NoError(t, err)
		// sent whatever CAs the server names, as a forged or misissued one would be
		conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: conf}}
}

// Over TLS, a client certificate the configured CA issued is a
// credential, and its subject is the audit trail's actor; a client with
// neither certificate nor token changes nothing, and one with a
// certificate from elsewhere is not let in.
func TestAdminClientCertificates(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	ca := fixtures.NewCA(t, "weir test CA")
	srvCert, srvKey := ca.Issue(t, pkix.Name{CommonName: "weir admin"}, true)
	audit := filepath.Join(t.TempDir(), "audit.log")
	a := startAdmin(t, host.AdminConfig{TLSCert: write("srv.pem", srvCert), TLSKey: write("srv.key", srvKey),
		TLSClientCA: write("ca.pem", ca.PEM), AuditFile: audit})
	require.Regexp(t, `^https://`, a.URL())

	alice := tlsClient(t, ca, nil, nil)
	code, _ := adminCall(t, alice, a.URL(), "GET", "/weir/transforms", "")
	assert.Equal(t, http.StatusOK, code, "a read from loopback needs no credential")
	code, _ = adminCall(t, alice, a.URL(), "POST", "/weir/transforms/nobody/unpin", "")
	assert.Equal(t, http.StatusUnauthorized, code, "no certificate, no token")

	cert, key := ca.Issue(t, pkix.Name{CommonName: "alice", Organization: []string{"ops"}}, false)
	alice = tlsClient(t, ca, cert, key)
	code, body := adminCall(t, alice, a.URL(), "POST", "/weir/transforms/nobody/unpin", "")
	assert.Equal(t, http.StatusNotFound, code, "authenticated by the certificate: %s", body)

	other := fixtures.NewCA(t, "someone else's CA")
	cert, key = other.Issue(t, pkix.Name{CommonName: "mallory"}, false)
	_, err := tlsClient(t, ca, cert, key).Post(a.URL()+"/weir/transforms/nobody/unpin", "application/json", nil)
	require.Error(t, err, "a certificate the CA did not issue fails the handshake")

	lines := auditLines(t, audit, func(ev host.AuditEvent) bool { return ev.Action == "unpin" })
	require.Len(t, lines, 2)
	assert.Equal(t, "anonymous", lines[0].Actor)
	assert.Equal(t, "refused", lines[0].Outcome)
	assert.Equal(t, "cert:CN=alice,O=ops", lines[1].Actor)
	assert.Regexp(t, `^127\.0\.0\.1:\d+$`, lines[1].Peer)
}
