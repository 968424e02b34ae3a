package host_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/weirstream/weir/internal/fixtures"
)

// selfSignedTLS makes a CA-signed certificate for 127.0.0.1 and returns the
// server's TLS config and the CA's PEM file.
func selfSignedTLS(t *testing.T) (*tls.Config, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "weir test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, caFile
}

// Records go through a broker that requires TLS and SASL, with each
// mechanism weir offers, the input and the output both authenticating.
func TestKafkaOverTLSWithSASL(t *testing.T) {
	serverTLS, caFile := selfSignedTLS(t)
	users := map[string]string{"PLAIN": "plain-user", "SCRAM-SHA-256": "scram256-user", "SCRAM-SHA-512": "scram512-user"}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(2, "in", "out"), kfake.TLS(serverTLS), kfake.EnableSASL()}
	for mech, user := range users {
		opts = append(opts, kfake.Superuser(mech, user, "pw-"+user))
	}
	c, err := kfake.NewCluster(opts...)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	brokers := strings.Join(c.ListenAddrs(), ",")

	pool := x509.NewCertPool()
	ca, err := os.ReadFile(caFile)
	require.NoError(t, err)
	require.True(t, pool.AppendCertsFromPEM(ca))
	admin := kafkaClient(t, brokers, kgo.DialTLSConfig(&tls.Config{RootCAs: pool}),
		kgo.SASL(plain.Auth{User: users["PLAIN"], Pass: "pw-" + users["PLAIN"]}.AsMechanism()))

	module := writeModule(t, fixtures.Warm(t, fixtures.Go(t, "sdk/go/internal/conformance")))
	sent := 0
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			var batch []*kgo.Record
			for i := 0; i < 20; i++ {
				batch = append(batch, &kgo.Record{Topic: "in", Value: []byte(fmt.Sprintf("set:%s-%d", mech, i))})
			}
			require.NoError(t, admin.ProduceSync(context.Background(), batch...).FirstErr())
			sent += len(batch)

			secure := fmt.Sprintf(`seed_brokers: [%q]
  tls: { enabled: true, root_cas_file: %q }
  sasl: { mechanism: %s, username: %s, password: pw-%s }`, brokers, caFile, mech, users[mech], users[mech])
			b := service.NewStreamBuilder()
			require.NoError(t, b.SetLoggerYAML("level: warn"))
			require.NoError(t, b.AddInputYAML(fmt.Sprintf("kafka:\n  %s\n  topics: [in]\n  consumer_group: g-%s\n", secure, mech)))
			require.NoError(t, b.AddProcessorYAML("wasm: { module: "+module+", cache_dir: "+fixtures.CacheDir(t)+" }"))
			require.NoError(t, b.AddOutputYAML(fmt.Sprintf("kafka:\n  %s\n  topic: out\n", secure)))
			stream, err := b.Build()
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- stream.Run(ctx) }()

			reader := kafkaClient(t, brokers, kgo.DialTLSConfig(&tls.Config{RootCAs: pool}),
				kgo.SASL(plain.Auth{User: users["PLAIN"], Pass: "pw-" + users["PLAIN"]}.AsMechanism()),
				kgo.ConsumeTopics("out"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			got := map[string]bool{}
			pollCtx := fixtures.Patient(t)
			for len(got) < sent && pollCtx.Err() == nil {
				for _, r := range reader.PollFetches(pollCtx).Records() {
					got[string(r.Value)] = true
				}
			}
			require.NoError(t, stream.Stop(context.Background()))
			cancel()
			<-done
			for i := 0; i < 20; i++ {
				assert.True(t, got[fmt.Sprintf("%s-%d", mech, i)], "record %d through %s", i, mech)
			}
		})
	}
}
