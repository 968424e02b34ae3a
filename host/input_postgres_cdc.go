package host

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redpanda-data/benthos/v4/public/service"
)

// Field names of the postgres_cdc input.
const (
	fieldPgDSN           = "dsn"
	fieldPgSlot          = "slot"
	fieldPgPublication   = "publication"
	fieldPgTables        = "tables"
	fieldPgCreateSlot    = "create_slot"
	fieldPgCreatePub     = "create_publication"
	fieldPgSnapshot      = "snapshot"
	fieldPgHeartbeat     = "heartbeat"
	fieldPgBatchSize     = "batch_size"
	fieldPgBatchPeriod   = "batch_period"
	fieldPgMaxInFlight   = "max_in_flight"
	pgOutputProtoVersion = "1"
)

func postgresCDCInputSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Categories("Services").
		Summary("Streams the row changes of PostgreSQL tables (logical replication, pgoutput), after an optional consistent snapshot, at least once.").
		Description(postgresCDCDescription).
		Field(service.NewStringField(fieldPgDSN).
			Description("Connection URL or keyword/value string of the database (libpq syntax). Put the password in the environment: `dsn: postgres://weir:${PGPASSWORD}@db:5432/shop?sslmode=verify-full&sslrootcert=/etc/weir/ca.pem`. TLS is set here too (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`). The role needs the REPLICATION attribute, and CREATE on the database to create the publication.").
			Example("postgres://weir:${PGPASSWORD}@127.0.0.1:5432/shop?sslmode=disable").Secret()).
		Field(service.NewStringField(fieldPgSlot).Description("Logical replication slot to stream from: lower-case letters, digits and `_`, at most 63. The slot keeps the server's place across restarts; one slot per pipeline.").Default("weir")).
		Field(service.NewStringField(fieldPgPublication).Description("Publication naming the tables whose changes are streamed (same naming rule as `slot`). An existing publication is used as it is.").Default("weir")).
		Field(service.NewStringListField(fieldPgTables).Description("Tables to capture, `schema.table` or `table` (schema public), with `*` and `?` wildcards (`public.order_*`). They make up the publication when weir creates it, and the snapshot; every pattern must match at least one table.").Example([]string{"public.customers", "public.orders"})).
		Field(service.NewBoolField(fieldPgCreateSlot).Description("Create the slot when it does not exist; false: a missing slot fails Connect.").Default(true)).
		Field(service.NewBoolField(fieldPgCreatePub).Description("Create the publication (FOR TABLE the matched tables) when it does not exist; false: a missing one fails Connect.").Default(true)).
		Field(service.NewBoolField(fieldPgSnapshot).Description("When weir creates the slot, first emit every row of the tables as `op: read`, from the snapshot the slot exported, then the changes after it: no change is missed or repeated between the two. A slot that already exists is resumed without a snapshot; an input stopped before its snapshot ended drops the slot it created, so the next start takes the snapshot again.").Default(true)).
		Field(service.NewDurationField(fieldPgHeartbeat).Description("How often weir reports the confirmed LSN to the server (standby status update) when nothing else makes it: also when no table changes, which lets the server recycle WAL. A confirmed LSN that moved is reported within 100ms. Keep it well under the server's wal_sender_timeout (default 60s).").Default("10s").Advanced()).
		Field(service.NewIntField(fieldPgBatchSize).Description("Most changes in one batch.").Default(1024).Advanced()).
		Field(service.NewDurationField(fieldPgBatchPeriod).Description("How long a batch waits to fill after its first change; 0s: a batch is what has arrived.").Default("0s").Advanced()).
		Field(service.NewIntField(fieldPgMaxInFlight).Description("Most changes delivered and not yet acknowledged; reading pauses above it. It bounds memory and the changes replayed after a crash.").Default(10000).Advanced()).
		Field(service.NewAutoRetryNacksToggleField())
}

const postgresCDCDescription = `
Built on pglogrepl and pgx with PostgreSQL's built-in ` + "`pgoutput`" + ` plugin
(PostgreSQL 10 or later, ` + "`wal_level = logical`" + `). One message per row change:

` + "```json" + `
{"op": "update",
 "before": {"id": 42},
 "after": {"id": 42, "email": "a@example.com", "total": "12.50"},
 "source": {"lsn": "0/16B3748", "xid": 771, "table": "public.orders",
            "commit_time": "2026-12-01T10:00:00.123456Z"}}
` + "```" + `

` + "`op`" + ` is insert, update, delete, truncate, or read (a snapshot row).
` + "`before`" + ` is null for insert and read; for update and delete it holds the old
row's replica identity: the primary key columns (or all columns with
` + "`REPLICA IDENTITY FULL`" + `), and it is null on an update that kept the key.
` + "`after`" + ` is null for delete. Unchanged TOAST values (large values an update
did not touch, which the server does not resend) are left out of ` + "`after`" + ` and
named in ` + "`source.unchanged_toast`" + `; set ` + "`REPLICA IDENTITY FULL`" + ` on the table to
have them sent.

Values: integers, floats and booleans as JSON numbers and booleans (NaN and
infinities as strings); numeric as a string (exact, unlike a JSON number);
timestamptz as RFC 3339 in UTC, timestamp without time zone as RFC 3339
without an offset, date as YYYY-MM-DD; json and jsonb as JSON; bytea as
base64; uuid as its text; arrays of those as JSON arrays; enums and every
other type as PostgreSQL's text form.

Metadata: ` + "`pg_table`" + ` (schema.table), ` + "`pg_op`" + `, ` + "`pg_lsn`" + `, and ` + "`pg_key`" + `, the
primary key values as a JSON array (` + "`[42]`" + `; the replica identity for a table
without one) — the key for a Kafka output: ` + "`key: ${! meta(\"pg_key\") }`" + `.

At least once: the LSN weir confirms to the server only passes a
transaction when every change up to its commit was acknowledged, so a crash
or restart resumes from the slot and re-delivers what was in flight
(duplicates, never gaps). Schema changes (ALTER TABLE ADD/DROP COLUMN) flow
through: the new shape appears from the first change after it.

Connect fails, naming what to change, when the server is unreachable,
` + "`wal_level`" + ` is not logical, the slot or publication is missing and may not
be created, or a table pattern matches nothing.`

func init() {
	err := service.RegisterBatchInput("postgres_cdc", postgresCDCInputSpec(), func(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchInput, error) {
		in, err := newPostgresCDCInput(conf, mgr)
		if err != nil {
			return nil, err
		}
		return service.AutoRetryNacksBatchedToggled(conf, in)
	})
	if err != nil {
		panic(err)
	}
}

// pgCDCConfig is the input's parsed configuration.
type pgCDCConfig struct {
	dsn, slot, publication string
	tables                 []string
	createSlot, createPub  bool
	snapshot               bool
	heartbeat, period      time.Duration
	batchSize, maxInFlight int
}

type postgresCDCInput struct {
	conf pgCDCConfig
	log  *service.Logger

	seq *sequencer // stamps batches in change order, for the outputs' order gates

	mu sync.Mutex
	st *cdcSession // nil while not connected
}

var pgNameRule = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

func newPostgresCDCInput(conf *service.ParsedConfig, mgr *service.Resources) (*postgresCDCInput, error) {
	c, err := parsePgCDCConfig(conf)
	if err != nil {
		return nil, err
	}
	return &postgresCDCInput{conf: c, log: mgr.Logger(), seq: newSequencer()}, nil
}

func parsePgCDCConfig(conf *service.ParsedConfig) (c pgCDCConfig, err error) {
	strs := map[string]*string{fieldPgDSN: &c.dsn, fieldPgSlot: &c.slot, fieldPgPublication: &c.publication}
	for f, p := range strs {
		if *p, err = conf.FieldString(f); err != nil {
			return c, err
		}
	}
	bools := map[string]*bool{fieldPgCreateSlot: &c.createSlot, fieldPgCreatePub: &c.createPub, fieldPgSnapshot: &c.snapshot}
	for f, p := range bools {
		if *p, err = conf.FieldBool(f); err != nil {
			return c, err
		}
	}
	if c.tables, err = conf.FieldStringList(fieldPgTables); err != nil {
		return c, err
	}
	if c.heartbeat, err = conf.FieldDuration(fieldPgHeartbeat); err != nil {
		return c, err
	}
	if c.period, err = conf.FieldDuration(fieldPgBatchPeriod); err != nil {
		return c, err
	}
	if c.batchSize, err = conf.FieldInt(fieldPgBatchSize); err != nil {
		return c, err
	}
	if c.maxInFlight, err = conf.FieldInt(fieldPgMaxInFlight); err != nil {
		return c, err
	}
	return c, c.validate()
}

// validate checks what needs no server, naming the field to fix.
func (c pgCDCConfig) validate() error {
	for f, v := range map[string]string{fieldPgSlot: c.slot, fieldPgPublication: c.publication} {
		if !pgNameRule.MatchString(v) {
			return fmt.Errorf("postgres_cdc: %s %q: use 1 to 63 lower-case letters, digits or _", f, v)
		}
	}
	if len(c.tables) == 0 {
		return fmt.Errorf("postgres_cdc: %s is empty: list the tables to capture (schema.table, * allowed)", fieldPgTables)
	}
	for _, t := range c.tables {
		if err := checkTablePattern(t); err != nil {
			return err
		}
	}
	if c.heartbeat <= 0 {
		return fmt.Errorf("postgres_cdc: %s %s: want a positive duration (default 10s)", fieldPgHeartbeat, c.heartbeat)
	}
	if c.batchSize < 1 || c.maxInFlight < c.batchSize {
		return fmt.Errorf("postgres_cdc: %s %d, %s %d: want 1 <= batch_size <= max_in_flight", fieldPgBatchSize, c.batchSize, fieldPgMaxInFlight, c.maxInFlight)
	}
	if _, err := pgx.ParseConfig(c.dsn); err != nil {
		return fmt.Errorf("postgres_cdc: %s: %w", fieldPgDSN, err)
	}
	return nil
}

func (in *postgresCDCInput) Connect(ctx context.Context) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.st != nil {
		return nil
	}
	st, err := openCDCSession(ctx, in.conf, in.log)
	if err != nil {
		return err
	}
	in.st = st
	return nil
}

func (in *postgresCDCInput) session() *cdcSession {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.st
}

func (in *postgresCDCInput) ReadBatch(ctx context.Context) (service.MessageBatch, service.AckFunc, error) {
	st := in.session()
	if st == nil {
		return nil, nil, service.ErrNotConnected
	}
	batch, seqs, err := st.next(ctx, in.conf.batchSize, in.conf.period, in.conf.maxInFlight)
	if errors.Is(err, errCDCStreamEnded) && in.session() != st {
		return nil, nil, service.ErrNotConnected // closed meanwhile
	}
	if errors.Is(err, errCDCStreamEnded) {
		in.log.Warnf("%v; reconnecting (the slot resumes where the acknowledged changes end)", st.err())
		in.drop(st)
		return nil, nil, service.ErrNotConnected
	}
	if err != nil {
		return nil, nil, err
	}
	tr := st.tracker
	t := in.seq.stamp(batch)
	return batch, func(_ context.Context, err error) error {
		in.seq.finish(t)
		if err == nil { // nacked: the retry wrapper redelivers; the LSN never passes them
			tr.ack(seqs)
		}
		return nil
	}, nil
}

// drop closes st if it is still the input's session.
func (in *postgresCDCInput) drop(st *cdcSession) {
	in.mu.Lock()
	if in.st == st {
		in.st = nil
	}
	in.mu.Unlock()
	st.close()
}

func (in *postgresCDCInput) Close(ctx context.Context) error {
	if st := in.session(); st != nil {
		in.drop(st)
	}
	return nil
}
