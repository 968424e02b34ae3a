package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testpg"
)

// cdcEvent is a change as a consumer sees it: the envelope and metadata.
type cdcEvent struct {
	Op     string         `json:"op"`
	Before map[string]any `json:"before"`
	After  map[string]any `json:"after"`
	Source map[string]any `json:"source"`
	Table  string         `json:"-"`
	Key    string         `json:"-"`
	LSN    string         `json:"-"`
}

// cdcRun is a running stream from a postgres_cdc input into a consumer
// func; a consumer error nacks its batch.
type cdcRun struct {
	mu     sync.Mutex
	events []cdcEvent
	stop   func()
}

func (r *cdcRun) seen() []cdcEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]cdcEvent(nil), r.events...)
}

func (r *cdcRun) count(pred func(cdcEvent) bool) int {
	n := 0
	for _, e := range r.seen() {
		if pred(e) {
			n++
		}
	}
	return n
}

// runCDC streams with the input config yaml; accept says which events to
// ack (nil: all). A nacked event is still recorded.
func runCDC(t *testing.T, yaml string, accept func(cdcEvent) bool) *cdcRun {
	t.Helper()
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: warn"))
	require.NoError(t, b.AddInputYAML("postgres_cdc:\n"+indent(yaml)))
	r := &cdcRun{}
	require.NoError(t, b.AddBatchConsumerFunc(func(_ context.Context, batch service.MessageBatch) error {
		var nack error
		for _, m := range batch {
			e := decodeEvent(t, m)
			r.mu.Lock()
			r.events = append(r.events, e)
			r.mu.Unlock()
			if accept != nil && !accept(e) {
				nack = errors.New("nacked by the test")
			}
		}
		return nack
	}))
	stream, err := b.Build()
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- stream.Run(context.Background()) }()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			require.NoError(t, stream.Stop(fixtures.Patient(t)))
			<-done
		})
	}
	t.Cleanup(r.stop)
	return r
}

func indent(yaml string) string {
	return "  " + strings.ReplaceAll(strings.TrimSpace(yaml), "\n", "\n  ")
}

func decodeEvent(t *testing.T, m *service.Message) cdcEvent {
	b, err := m.AsBytes()
	require.NoError(t, err)
	var e cdcEvent
	require.NoError(t, json.Unmarshal(b, &e), "%s", b)
	e.Table, _ = m.MetaGet("pg_table")
	e.Key, _ = m.MetaGet("pg_key")
	e.LSN, _ = m.MetaGet("pg_lsn")
	return e
}

// cdcDB is a fresh database on the package's cluster with statements run.
func cdcDB(t *testing.T, sql ...string) (*testpg.Cluster, string) {
	c := testpg.Shared(t)
	db := c.CreateDB(t)
	require.NoError(t, c.Exec(context.Background(), db, sql...))
	return c, db
}

// waitStreaming waits until an input streams from the slot: changes
// committed before it created the slot are not in a stream without a
// snapshot.
func waitStreaming(t *testing.T, c *testpg.Cluster, slot string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	require.NoError(t, err)
	defer conn.Close(ctx)
	fixtures.WaitUntil(t, "the input streaming from slot "+slot, func() bool {
		var active bool
		_ = conn.QueryRow(ctx, "SELECT active FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&active)
		return active
	})
}

func cdcConf(c *testpg.Cluster, db, extra string) string {
	return fmt.Sprintf("dsn: %s\nslot: %s\npublication: %s\nheartbeat: 100ms\n%s", c.DSN(db), db, db, extra)
}

// TestPostgresCDCSnapshotThenStreamNoGapNoOverlap: rows inserted while
// the input takes its snapshot and starts streaming are each seen exactly
// once, as a snapshot read or as an insert.
func TestPostgresCDCSnapshotThenStreamNoGapNoOverlap(t *testing.T) {
	c, db := cdcDB(t, "CREATE TABLE items (id int PRIMARY KEY, v text)",
		"INSERT INTO items SELECT g, 'seed' FROM generate_series(1, 300) g")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.DSN(db))
	require.NoError(t, err)
	defer conn.Close(ctx)

	stopWriting := make(chan struct{})
	wrote := make(chan int)
	go func() { // one row per transaction until told to stop
		id := 300
		defer func() { wrote <- id }()
		for {
			select {
			case <-stopWriting:
				return
			default:
			}
			if _, err := conn.Exec(ctx, "INSERT INTO items VALUES ($1, 'live')", id+1); err != nil {
				t.Errorf("insert %d: %v", id+1, err)
				return
			}
			id++
		}
	}()
	r := runCDC(t, cdcConf(c, db, "tables: [items]"), nil)
	fixtures.WaitUntil(t, "some rows streamed as inserts after the snapshot", func() bool {
		return r.count(func(e cdcEvent) bool { return e.Op == "insert" }) >= 50
	})
	close(stopWriting)
	last := <-wrote
	fixtures.WaitUntil(t, fmt.Sprintf("rows 1..%d", last), func() bool { return len(r.seen()) >= last })

	perID := map[float64]int{}
	reads := 0
	for _, e := range r.seen() {
		require.Contains(t, []string{"read", "insert"}, e.Op)
		perID[e.After["id"].(float64)]++
		if e.Op == "read" {
			reads++
			require.Equal(t, "public.items", e.Table)
		}
	}
	for id := 1; id <= last; id++ {
		require.Equal(t, 1, perID[float64(id)], "row %d seen once (snapshot reads %d of %d rows)", id, reads, last)
	}
	require.Len(t, perID, last)
	require.GreaterOrEqual(t, reads, 300, "the seed rows come from the snapshot")
	t.Logf("%d rows: %d from the snapshot (%d written while it was taken), %d streamed", last, reads, reads-300, last-reads)
}

// TestPostgresCDCTypedValues: each common type decodes by the documented
// rules, the same from the snapshot (a SELECT) as from the stream
// (pgoutput): a differential check of the two paths.
func TestPostgresCDCTypedValues(t *testing.T) {
	row := `(1, 42, 9007199254740993, 12.50, 1.5, 'NaN', true, 'héllo', '2026-12-01 10:00:00.123456+02', '2026-12-01 10:00:00',
		'2026-12-01', '{"a": [1, {"b": null}]}', '{"x": 1}', '{1,2,3}', '{a,"b c"}', '\xdeadbeef',
		'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'sad', '1 day 02:00:00', NULL)`
	c, db := cdcDB(t, "CREATE TYPE mood AS ENUM ('sad', 'happy')",
		`CREATE TABLE typed (id int PRIMARY KEY, i4 int4, i8 int8, num numeric(10,2), f8 float8, fnan float8, b bool, txt text,
			tstz timestamptz, ts timestamp, d date, j json, jb jsonb, ia int[], ta text[], by bytea, u uuid, m mood, iv interval, n text)`,
		"INSERT INTO typed VALUES "+row)
	r := runCDC(t, cdcConf(c, db, "tables: [typed]"), nil)
	fixtures.WaitUntil(t, "the snapshot row", func() bool { return len(r.seen()) >= 1 })
	require.NoError(t, c.Exec(context.Background(), db, "INSERT INTO typed VALUES "+strings.Replace(row, "(1,", "(2,", 1)))
	fixtures.WaitUntil(t, "the streamed row", func() bool { return len(r.seen()) >= 2 })

	want := map[string]any{"i4": 42.0, "i8": 9007199254740992.0 + 1, "num": "12.50", "f8": 1.5, "fnan": "NaN", "b": true, "txt": "héllo",
		"tstz": "2026-12-01T08:00:00.123456Z", "ts": "2026-12-01T10:00:00", "d": "2026-12-01",
		"j": map[string]any{"a": []any{1.0, map[string]any{"b": nil}}}, "jb": map[string]any{"x": 1.0},
		"ia": []any{1.0, 2.0, 3.0}, "ta": []any{"a", "b c"}, "by": "3q2+7w==",
		"u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "m": "sad", "iv": "1 day 02:00:00", "n": nil}
	got := r.seen()
	require.Equal(t, "read", got[0].Op)
	require.Equal(t, "insert", got[1].Op)
	for i, e := range got[:2] {
		require.EqualValues(t, i+1, e.After["id"])
		delete(e.After, "id")
		require.Equal(t, want, e.After, "%s row", e.Op)
		require.Equal(t, fmt.Sprintf("[%d]", i+1), e.Key)
	}
	require.NotEmpty(t, got[1].Source["commit_time"])
	require.NotZero(t, got[1].Source["xid"])
}

// TestPostgresCDCAlterTableMidStream: ADD COLUMN and DROP COLUMN while
// streaming: the following changes have the new shape, no restart.
func TestPostgresCDCAlterTableMidStream(t *testing.T) {
	c, db := cdcDB(t, "CREATE TABLE shop (id int PRIMARY KEY, v text)")
	r := runCDC(t, cdcConf(c, db, "tables: [shop]\nsnapshot: false"), nil)
	waitStreaming(t, c, db)
	ctx := context.Background()
	step := func(n int, sql ...string) {
		require.NoError(t, c.Exec(ctx, db, sql...))
		fixtures.WaitUntil(t, fmt.Sprintf("%d changes", n), func() bool { return len(r.seen()) >= n })
	}
	step(1, "INSERT INTO shop VALUES (1, 'one')")
	step(2, "ALTER TABLE shop ADD COLUMN extra int DEFAULT 7", "INSERT INTO shop VALUES (2, 'two', 8)")
	step(3, "ALTER TABLE shop DROP COLUMN v", "UPDATE shop SET extra = 9 WHERE id = 1")
	got := r.seen()
	require.Equal(t, map[string]any{"id": 1.0, "v": "one"}, got[0].After)
	require.Equal(t, map[string]any{"id": 2.0, "v": "two", "extra": 8.0}, got[1].After)
	require.Equal(t, "update", got[2].Op)
	require.Equal(t, map[string]any{"id": 1.0, "extra": 9.0}, got[2].After)
}

// TestPostgresCDCUnchangedToastIsNamed: an update that leaves a large
// (TOASTed) value alone omits it from after and names it in
// source.unchanged_toast; with REPLICA IDENTITY FULL it is sent.
func TestPostgresCDCUnchangedToastIsNamed(t *testing.T) {
	big := "(SELECT string_agg(md5(g::text), '') FROM generate_series(1, 4000) g)" // 128 kB of hex: stored out of line
	c, db := cdcDB(t, "CREATE TABLE docs (id int PRIMARY KEY, title text, body text)",
		"CREATE TABLE docs_full (id int PRIMARY KEY, title text, body text)", "ALTER TABLE docs_full REPLICA IDENTITY FULL")
	r := runCDC(t, cdcConf(c, db, "tables: [docs, docs_full]\nsnapshot: false"), nil)
	waitStreaming(t, c, db)
	require.NoError(t, c.Exec(context.Background(), db,
		"INSERT INTO docs VALUES (1, 'a', "+big+")", "UPDATE docs SET title = 'b' WHERE id = 1",
		"INSERT INTO docs_full VALUES (1, 'a', "+big+")", "UPDATE docs_full SET title = 'b' WHERE id = 1"))
	fixtures.WaitUntil(t, "4 changes", func() bool { return len(r.seen()) >= 4 })
	got := r.seen()
	require.Len(t, got[0].After["body"], 128000, "the insert carries the value")
	require.Equal(t, map[string]any{"id": 1.0, "title": "b"}, got[1].After)
	require.Equal(t, []any{"body"}, got[1].Source["unchanged_toast"])
	require.Equal(t, "public.docs_full", got[3].Table)
	require.Len(t, got[3].After["body"], 128000, "REPLICA IDENTITY FULL sends it")
	require.Nil(t, got[3].Source["unchanged_toast"])
	require.Equal(t, "a", got[3].Before["title"], "FULL: before is the whole old row")
}

// TestPostgresCDCRedeliversTheNackedAfterRestart: a nacked change is not
// confirmed, so a restarted input gets it again; the acked one before it
// is not redelivered. Credentials come from the environment.
func TestPostgresCDCRedeliversTheNackedAfterRestart(t *testing.T) {
	c, db := cdcDB(t, "CREATE TABLE acc (id int PRIMARY KEY, v text)")
	t.Setenv("WEIR_TEST_PGPASSWORD", testpg.Password)
	dsn := strings.Replace(c.PasswordDSN(db), testpg.Password, "${WEIR_TEST_PGPASSWORD}", 1)
	conf := fmt.Sprintf("dsn: %s\nslot: %s\npublication: %s\nheartbeat: 100ms\ntables: [acc]\nsnapshot: false\nbatch_size: 1\nauto_replay_nacks: false", dsn, db, db)
	r := runCDC(t, conf, func(e cdcEvent) bool { return e.After["id"] != 2.0 })
	waitStreaming(t, c, db)
	require.NoError(t, c.Exec(context.Background(), db,
		"INSERT INTO acc VALUES (1, 'acked')", "INSERT INTO acc VALUES (2, 'nacked')", "INSERT INTO acc VALUES (3, 'after')"))
	fixtures.WaitUntil(t, "3 changes", func() bool { return len(r.seen()) >= 3 })
	r.stop()

	again := runCDC(t, conf, nil)
	fixtures.WaitUntil(t, "the redelivery", func() bool { return len(again.seen()) >= 2 })
	got := again.seen()
	require.Equal(t, 2.0, got[0].After["id"], "resumes at the nacked change, not before")
	require.Equal(t, 3.0, got[1].After["id"], "and what followed it")
}

// TestPostgresCDCIdleSlotAdvances: with no change to a captured table,
// the slot's confirmed_flush_lsn still moves past unrelated WAL (a
// logical message, writes to an unpublished table), so WAL is not pinned.
func TestPostgresCDCIdleSlotAdvances(t *testing.T) {
	c, db := cdcDB(t, "CREATE TABLE watched (id int PRIMARY KEY)", "CREATE TABLE other (id int)")
	runCDC(t, cdcConf(c, db, "tables: [watched]\nsnapshot: false"), nil)
	waitStreaming(t, c, db)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.DSN(db))
	require.NoError(t, err)
	defer conn.Close(ctx)
	confirmed := func() (lsn string) {
		require.NoError(t, conn.QueryRow(ctx, "SELECT coalesce(confirmed_flush_lsn::text, '0/0') FROM pg_replication_slots WHERE slot_name = $1", db).Scan(&lsn))
		return lsn
	}
	var target string
	_, err = conn.Exec(ctx, "INSERT INTO other SELECT generate_series(1, 1000)")
	require.NoError(t, err)
	require.NoError(t, conn.QueryRow(ctx, "SELECT pg_logical_emit_message(false, 'weir-test', 'x')::text").Scan(&target))
	fixtures.WaitUntilShowing(t, "confirmed_flush_lsn past "+target, func() bool {
		var past bool
		require.NoError(t, conn.QueryRow(ctx, "SELECT $1::pg_lsn >= $2::pg_lsn", confirmed(), target).Scan(&past))
		return past
	}, confirmed)
}
