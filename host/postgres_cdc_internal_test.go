package host

import (
	"context"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testpg"
)

// connectCDC builds the input from yaml and returns Connect's error.
func connectCDC(t *testing.T, yaml string) error {
	t.Helper()
	conf, err := postgresCDCInputSpec().ParseYAML(yaml, nil)
	if err != nil {
		return err
	}
	in, err := newPostgresCDCInput(conf, service.MockResources())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = in.Connect(ctx)
	require.NoError(t, in.Close(ctx))
	return err
}

func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// TestPostgresCDCConnectErrorsNameTheSetting: each misconfiguration fails
// at Connect (or at construction) with the setting to change.
func TestPostgresCDCConnectErrorsNameTheSetting(t *testing.T) {
	c := testpg.Shared(t)
	db := c.CreateDB(t)
	require.NoError(t, c.Exec(context.Background(), db, "CREATE TABLE t (id int PRIMARY KEY)"))
	dsn := c.DSN(db)
	for _, tc := range []struct{ name, yaml, want string }{
		{"unreachable", fmt.Sprintf("dsn: postgres://postgres@127.0.0.1:%d/x?sslmode=disable\ntables: [t]", closedPort(t)), "check dsn"},
		{"wrong password", fmt.Sprintf("dsn: postgres://%s:wrong@127.0.0.1:%d/%s?sslmode=disable\ntables: [t]", testpg.User, c.Port, db), "password authentication failed"},
		{"no table", "dsn: " + dsn + "\ntables: [public.nope_*]", `tables entry "public.nope_*" matches no table`},
		{"no tables", "dsn: " + dsn + "\ntables: []", "tables is empty"},
		{"bad slot name", "dsn: " + dsn + "\ntables: [t]\nslot: My-Slot", `slot "My-Slot": use 1 to 63 lower-case`},
		{"bad pattern", "dsn: " + dsn + "\ntables: ['a.b.c']", `want schema.table or table`},
		{"no publication", "dsn: " + dsn + "\ntables: [t]\npublication: p_missing\ncreate_publication: false", "create_publication is false"},
		{"no slot", "dsn: " + dsn + "\ntables: [t]\nslot: s_missing\ncreate_slot: false", "create_slot is false"},
		{"bad dsn", "dsn: 'postgres://x:y@[::1'\ntables: [t]", "dsn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := connectCDC(t, tc.yaml)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestPostgresCDCRefusesWalLevelReplica: a server without logical
// decoding fails Connect naming wal_level.
func TestPostgresCDCRefusesWalLevelReplica(t *testing.T) {
	c := testpg.Start(t, "wal_level=replica")
	require.NoError(t, c.Exec(context.Background(), "postgres", "CREATE TABLE t (id int PRIMARY KEY)"))
	err := connectCDC(t, "dsn: "+c.DSN("postgres")+"\ntables: [t]")
	require.Error(t, err)
	require.Contains(t, err.Error(), "set wal_level = logical")
}

// TestPostgresCDCRefusesASlotInUse: a second input on the same slot is
// refused while the first streams from it.
func TestPostgresCDCRefusesASlotInUse(t *testing.T) {
	c := testpg.Shared(t)
	db := c.CreateDB(t)
	require.NoError(t, c.Exec(context.Background(), db, "CREATE TABLE t (id int PRIMARY KEY)"))
	yaml := "dsn: " + c.DSN(db) + "\ntables: [t]\nslot: " + db
	conf, err := postgresCDCInputSpec().ParseYAML(yaml, nil)
	require.NoError(t, err)
	first, err := newPostgresCDCInput(conf, service.MockResources())
	require.NoError(t, err)
	require.NoError(t, first.Connect(context.Background()))
	defer first.Close(context.Background())
	err = connectCDC(t, yaml)
	require.Error(t, err)
	require.Contains(t, err.Error(), "is in use by another connection")
}

// TestLSNTrackerConfirmsOnlyContiguousAcks: an ack out of order never
// confirms past a change still in flight; a fence with nothing in flight
// (a keepalive on an idle database) confirms at once.
func TestLSNTrackerConfirmsOnlyContiguousAcks(t *testing.T) {
	tr := newLSNTracker(100)
	a, b := tr.register(), tr.register()
	tr.fence(200) // commit of the transaction holding a, b
	c := tr.register()
	tr.fence(300)
	tr.ack([]uint64{c})
	require.EqualValues(t, 100, tr.confirmedLSN(), "c acked, a and b not")
	tr.ack([]uint64{b})
	require.EqualValues(t, 100, tr.confirmedLSN())
	tr.ack([]uint64{a})
	require.EqualValues(t, 300, tr.confirmedLSN())
	tr.fence(250)
	require.EqualValues(t, 300, tr.confirmedLSN(), "never backwards")
	tr.fence(400)
	require.EqualValues(t, 400, tr.confirmedLSN(), "nothing in flight: a keepalive confirms")
	require.Zero(t, tr.inFlight())
}

// TestParseLogicalSurvivesTruncatedMessages: pglogrepl panics on short
// messages; the input turns that into an error.
func TestParseLogicalSurvivesTruncatedMessages(t *testing.T) {
	for _, b := range [][]byte{{'I', 0, 0, 0, 1, 'N', 0, 5, 't'}, {'U', 0, 0, 0, 1, 'N'}, {'R', 0, 0, 0, 1}, {'D', 0, 0, 0, 1, 'K', 0, 2}} {
		_, err := parseLogical(b)
		require.Error(t, err, "%q", b)
	}
}

// TestPostgresCDCVerifiesTheServerCertificate: with sslmode=verify-full
// the input connects to a server whose certificate the given CA signed,
// and refuses one signed by another.
func TestPostgresCDCVerifiesTheServerCertificate(t *testing.T) {
	ca, other := fixtures.NewCA(t, "weir test CA"), fixtures.NewCA(t, "someone else")
	cert, key := ca.Issue(t, pkix.Name{CommonName: "127.0.0.1"}, true)
	c := testpg.Start(t, testpg.TLSSettings(t, cert, key)...)
	require.NoError(t, c.Exec(context.Background(), "postgres", "CREATE TABLE t (id int PRIMARY KEY)"))
	dir := t.TempDir()
	for name, pem := range map[string][]byte{"ca.pem": ca.PEM, "other.pem": other.PEM} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), pem, 0o644))
	}
	dsn := func(root string) string {
		return fmt.Sprintf("dsn: 'postgres://postgres@127.0.0.1:%d/postgres?sslmode=verify-full&sslrootcert=%s'\ntables: [t]", c.Port, filepath.Join(dir, root))
	}
	require.NoError(t, connectCDC(t, dsn("ca.pem")))
	err := connectCDC(t, dsn("other.pem"))
	require.Error(t, err)
	require.Contains(t, err.Error(), "certificate")
}

// TestPostgresCDCStopDuringSnapshotTakesItAgain: an input closed before
// its snapshot was read to the end drops the slot it created, so the next
// start snapshots again instead of resuming past the unread rows.
func TestPostgresCDCStopDuringSnapshotTakesItAgain(t *testing.T) {
	c := testpg.Shared(t)
	db := c.CreateDB(t)
	ctx := context.Background()
	require.NoError(t, c.Exec(ctx, db, "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t SELECT generate_series(1, 5000)"))
	conf, err := postgresCDCInputSpec().ParseYAML("dsn: "+c.DSN(db)+"\ntables: [t]\nbatch_size: 10\nslot: "+db+"\npublication: "+db, nil)
	require.NoError(t, err)
	read := func() string {
		in, err := newPostgresCDCInput(conf, service.MockResources())
		require.NoError(t, err)
		require.NoError(t, in.Connect(ctx))
		batch, _, err := in.ReadBatch(ctx)
		require.NoError(t, err)
		require.NoError(t, in.Close(ctx))
		op, _ := batch[0].MetaGet("pg_op")
		return op
	}
	require.Equal(t, "read", read())
	var n int
	conn, err := pgx.Connect(ctx, c.DSN(db))
	require.NoError(t, err)
	defer conn.Close(ctx)
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", db).Scan(&n))
	require.Zero(t, n, "the slot of the unfinished snapshot is dropped")
	require.Equal(t, "read", read(), "the second start takes the snapshot again")
}
