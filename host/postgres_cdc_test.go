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
