package host

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgTable is a captured table.
type pgTable struct {
	schema, name string
	oid          uint32
}

func (t pgTable) String() string { return t.schema + "." + t.name }
func (t pgTable) quoted() string { return pgx.Identifier{t.schema, t.name}.Sanitize() }
func splitTable(p string) []string { // "t" is public.t
	if s, n, ok := strings.Cut(p, "."); ok {
		return []string{s, n}
	}
	return []string{"public", p}
}

func checkTablePattern(p string) error {
	parts := splitTable(p)
	for _, part := range parts {
		if _, err := path.Match(part, ""); err != nil || part == "" || strings.Contains(part, ".") {
			return fmt.Errorf("postgres_cdc: %s entry %q: want schema.table or table, with * or ? wildcards", fieldPgTables, p)
		}
	}
	return nil
}

// connectQuery opens the plain (non-replication) connection.
func connectQuery(ctx context.Context, dsn string) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres_cdc: connect: %w (check %s: host, port, user, password, sslmode; and that the server is running)", err, fieldPgDSN)
	}
	return conn, nil
}

// connectReplication opens the logical replication connection.
func connectReplication(ctx context.Context, dsn string) (*pgconn.PgConn, error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres_cdc: %s: %w", fieldPgDSN, err)
	}
	cfg.RuntimeParams["replication"] = "database"
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres_cdc: replication connection: %w (the role needs the REPLICATION attribute and a pg_hba.conf line for it)", err)
	}
	return conn, nil
}

func checkWalLevel(ctx context.Context, conn *pgx.Conn) error {
	var level string
	if err := conn.QueryRow(ctx, "SHOW wal_level").Scan(&level); err != nil {
		return fmt.Errorf("postgres_cdc: SHOW wal_level: %w", err)
	}
	if level != "logical" {
		return fmt.Errorf("postgres_cdc: the server's wal_level is %q: set wal_level = logical in postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and restart the server", level)
	}
	return nil
}

// resolveTables matches the patterns against the database's tables; every
// pattern must match one.
func resolveTables(ctx context.Context, conn *pgx.Conn, patterns []string) ([]pgTable, error) {
	rows, err := conn.Query(ctx, `SELECT n.nspname, c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
		ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("postgres_cdc: list tables: %w", err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (t pgTable, err error) {
		return t, r.Scan(&t.schema, &t.name, &t.oid)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres_cdc: list tables: %w", err)
	}
	return matchTables(all, patterns)
}

func matchTables(all []pgTable, patterns []string) ([]pgTable, error) {
	var out []pgTable
	seen := map[uint32]bool{}
	for _, p := range patterns {
		parts, n := splitTable(p), 0
		for _, t := range all {
			s, _ := path.Match(parts[0], t.schema)
			m, _ := path.Match(parts[1], t.name)
			if s && m {
				n++
				if !seen[t.oid] {
					seen[t.oid] = true
					out = append(out, t)
				}
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("postgres_cdc: %s entry %q matches no table in the database: create it first or fix the name", fieldPgTables, p)
		}
	}
	return out, nil
}

// primaryKeys returns each table's primary key columns, in key order.
func primaryKeys(ctx context.Context, conn *pgx.Conn, tables []pgTable) (map[uint32][]string, error) {
	keys := map[uint32][]string{}
	for _, t := range tables {
		rows, err := conn.Query(ctx, `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
			WHERE i.indrelid = $1 AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`, t.oid)
		if err != nil {
			return nil, fmt.Errorf("postgres_cdc: primary key of %s: %w", t, err)
		}
		cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("postgres_cdc: primary key of %s: %w", t, err)
		}
		keys[t.oid] = cols
	}
	return keys, nil
}

// ensurePublication reuses the publication or creates it for tables.
func ensurePublication(ctx context.Context, conn *pgx.Conn, c pgCDCConfig, tables []pgTable) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_publication WHERE pubname = $1)", c.publication).Scan(&exists); err != nil {
		return fmt.Errorf("postgres_cdc: look up publication %q: %w", c.publication, err)
	}
	if exists {
		return nil
	}
	if !c.createPub {
		return fmt.Errorf("postgres_cdc: publication %q does not exist and %s is false: create it (CREATE PUBLICATION %s FOR TABLE …) or set %s: true", c.publication, fieldPgCreatePub, c.publication, fieldPgCreatePub)
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.quoted()
	}
	if _, err := conn.Exec(ctx, "CREATE PUBLICATION "+c.publication+" FOR TABLE "+strings.Join(names, ", ")); err != nil {
		return fmt.Errorf("postgres_cdc: create publication %q: %w (the role needs CREATE on the database and ownership of the tables)", c.publication, err)
	}
	return nil
}

// slotState is what the server knows of a slot.
type slotState struct {
	exists        bool
	plugin, db    string
	active        bool
	walStatus     string // lost: the server removed WAL the slot needed
	confirmed     pglogrepl.LSN
	currentDBName string
}

func lookUpSlot(ctx context.Context, conn *pgx.Conn, slot string) (s slotState, err error) {
	err = conn.QueryRow(ctx, "SELECT current_database()").Scan(&s.currentDBName)
	if err != nil {
		return s, fmt.Errorf("postgres_cdc: current_database: %w", err)
	}
	var lsn *string
	err = conn.QueryRow(ctx, `SELECT coalesce(plugin, ''), coalesce(database, ''), active, coalesce(wal_status, ''), confirmed_flush_lsn::text
		FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&s.plugin, &s.db, &s.active, &s.walStatus, &lsn)
	if err == pgx.ErrNoRows {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("postgres_cdc: look up slot %q: %w", slot, err)
	}
	s.exists = true
	if lsn != nil {
		s.confirmed, _ = pglogrepl.ParseLSN(*lsn)
	}
	return s, nil
}

// usable says why an existing slot cannot be streamed from, if it cannot.
func (s slotState) usable(slot string) error {
	switch {
	case s.plugin != "pgoutput":
		return fmt.Errorf("postgres_cdc: slot %q uses plugin %q, not pgoutput: drop it (SELECT pg_drop_replication_slot('%s')) or set another %s", slot, s.plugin, slot, fieldPgSlot)
	case s.db != s.currentDBName:
		return fmt.Errorf("postgres_cdc: slot %q belongs to database %q, not %q: set another %s", slot, s.db, s.currentDBName, fieldPgSlot)
	case s.walStatus == "lost":
		return fmt.Errorf("postgres_cdc: slot %q lost WAL it needed (max_slot_wal_keep_size reached while weir was behind): changes are missing; drop it (SELECT pg_drop_replication_slot('%s')) and start again with a snapshot", slot, slot)
	case s.active:
		return fmt.Errorf("postgres_cdc: slot %q is in use by another connection (another weir?): one slot per pipeline; set another %s", slot, fieldPgSlot)
	}
	return nil
}

var snapshotName = regexp.MustCompile(`^[0-9A-Fa-f-]{1,64}$`)

// createSlot creates the slot; with snapshot, the exported snapshot is
// imported into a REPEATABLE READ transaction on conn, which holds it
// after the replication connection moves on.
func createSlot(ctx context.Context, repl *pgconn.PgConn, conn *pgx.Conn, c pgCDCConfig) (pglogrepl.LSN, pgx.Tx, error) {
	action := "NOEXPORT_SNAPSHOT"
	if c.snapshot {
		action = "EXPORT_SNAPSHOT"
	}
	res, err := pglogrepl.CreateReplicationSlot(ctx, repl, c.slot, "pgoutput",
		pglogrepl.CreateReplicationSlotOptions{Mode: pglogrepl.LogicalReplication, SnapshotAction: action})
	if err != nil {
		return 0, nil, fmt.Errorf("postgres_cdc: create slot %q: %w (max_replication_slots may be reached: drop unused slots)", c.slot, err)
	}
	lsn, err := pglogrepl.ParseLSN(res.ConsistentPoint)
	if err != nil || !c.snapshot {
		return lsn, nil, err
	}
	if !snapshotName.MatchString(res.SnapshotName) {
		return 0, nil, fmt.Errorf("postgres_cdc: slot %q: the server exported a snapshot named %q, not hex digits and dashes", c.slot, res.SnapshotName)
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err == nil {
		_, err = tx.Exec(ctx, "SET TRANSACTION SNAPSHOT '"+res.SnapshotName+"'")
	}
	if err != nil {
		return 0, nil, fmt.Errorf("postgres_cdc: import the snapshot of slot %q: %w", c.slot, err)
	}
	return lsn, tx, nil
}
