// Package testnats runs an embedded NATS server with JetStream on loopback
// for tests: the real server, in process.
package testnats

import (
	"context"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
)

// Start runs a server until the test ends, creates a stream named name
// holding subjects, and returns the server's URL and a JetStream client.
func Start(t testing.TB, name string, subjects ...string) (string, jetstream.JetStream) {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(fixtures.Patience), "NATS server not ready")
	t.Cleanup(s.Shutdown)
	nc, err := nats.Connect(s.ClientURL())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = js.CreateStream(context.Background(), jetstream.StreamConfig{Name: name, Subjects: subjects})
	require.NoError(t, err)
	return s.ClientURL(), js
}
