package host_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/host"
)

// testCA issues certificates for a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue makes a leaf certificate for subject, a server's (for 127.0.0.1)
// or a client's, as PEM certificate and key.
func (ca *testCA) issue(t *testing.T, subject pkix.Name, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: subject, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage, tmpl.IPAddresses = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func tlsClient(t *testing.T, ca *testCA, certPEM, keyPEM []byte) *http.Client {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
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
	ca := newTestCA(t, "weir test CA")
	srvCert, srvKey := ca.issue(t, pkix.Name{CommonName: "weir admin"}, true)
	audit := filepath.Join(t.TempDir(), "audit.log")
	a := startAdmin(t, host.AdminConfig{TLSCert: write("srv.pem", srvCert), TLSKey: write("srv.key", srvKey),
		TLSClientCA: write("ca.pem", ca.pem), AuditFile: audit})
	require.Regexp(t, `^https://`, a.URL())

	alice := tlsClient(t, ca, nil, nil)
	code, _ := adminCall(t, alice, a.URL(), "GET", "/weir/transforms", "")
	assert.Equal(t, http.StatusOK, code, "a read from loopback needs no credential")
	code, _ = adminCall(t, alice, a.URL(), "POST", "/weir/transforms/nobody/unpin", "")
	assert.Equal(t, http.StatusUnauthorized, code, "no certificate, no token")

	cert, key := ca.issue(t, pkix.Name{CommonName: "alice", Organization: []string{"ops"}}, false)
	alice = tlsClient(t, ca, cert, key)
	code, body := adminCall(t, alice, a.URL(), "POST", "/weir/transforms/nobody/unpin", "")
	assert.Equal(t, http.StatusNotFound, code, "authenticated by the certificate: %s", body)

	other := newTestCA(t, "someone else's CA")
	cert, key = other.issue(t, pkix.Name{CommonName: "mallory"}, false)
	_, err := tlsClient(t, ca, cert, key).Post(a.URL()+"/weir/transforms/nobody/unpin", "application/json", nil)
	require.Error(t, err, "a certificate the CA did not issue fails the handshake")

	lines := auditLines(t, audit, func(ev host.AuditEvent) bool { return ev.Action == "unpin" })
	require.Len(t, lines, 2)
	assert.Equal(t, "anonymous", lines[0].Actor)
	assert.Equal(t, "refused", lines[0].Outcome)
	assert.Equal(t, "cert:CN=alice,O=ops", lines[1].Actor)
	assert.Regexp(t, `^127\.0\.0\.1:\d+$`, lines[1].Peer)
}
