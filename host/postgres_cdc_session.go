package host

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/redpanda-data/benthos/v4/public/service"
)

// errCDCStreamEnded: the session's replication stream stopped (its error
// is the session's err); the input reconnects.
var errCDCStreamEnded = errors.New("postgres_cdc: the replication stream ended")

// cdcChange is one message on its way to ReadBatch.
type cdcChange struct {
	seq uint64
	msg *service.Message
}

// cdcSession is one connection's life: opened (slot and publication
// ready, snapshot imported) → snapshotting → streaming → ended (by close
// or an error). A reconnect is a new session, resuming from the slot.
type cdcSession struct {
	conf    pgCDCConfig
	log     *service.Logger
	query   *pgx.Conn      // catalogue queries and the snapshot
	repl    *pgconn.PgConn // the replication stream, owned by run
	snap    pgx.Tx         // the snapshot transaction; nil: no snapshot
	created bool           // this session created the slot for a snapshot
	snapped bool           // the snapshot was read to its end (set by run)
	start   pglogrepl.LSN  // the slot's consistent point or confirmed LSN
	tables  []pgTable
	keys    map[uint32][]string // primary key columns by table OID
	types   *pgtype.Map
	tracker *lsnTracker
	out     chan cdcChange

	cancel context.CancelFunc
	done   chan struct{} // closed when run returns
	runErr error         // why run returned, once done is closed
	once   sync.Once
}

// openCDCSession checks the server and the configuration, makes the
// publication and slot ready, and starts streaming.
func openCDCSession(ctx context.Context, c pgCDCConfig, log *service.Logger) (*cdcSession, error) {
	st := &cdcSession{conf: c, log: log, types: pgtype.NewMap(), out: make(chan cdcChange, c.batchSize), done: make(chan struct{})}
	if err := st.open(ctx); err != nil {
		st.closeConns()
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	go func() {
		defer close(st.done)
		st.runErr = st.run(runCtx)
	}()
	return st, nil
}

func (st *cdcSession) open(ctx context.Context) (err error) {
	c := st.conf
	if st.query, err = connectQuery(ctx, c.dsn); err != nil {
		return err
	}
	if err = checkWalLevel(ctx, st.query); err != nil {
		return err
	}
	if st.tables, err = resolveTables(ctx, st.query, c.tables); err != nil {
		return err
	}
	if st.keys, err = primaryKeys(ctx, st.query, st.tables); err != nil {
		return err
	}
	if err = ensurePublication(ctx, st.query, c, st.tables); err != nil {
		return err
	}
	return st.openSlot(ctx)
}

func (st *cdcSession) openSlot(ctx context.Context) (err error) {
	c := st.conf
	slot, err := lookUpSlot(ctx, st.query, c.slot)
	if err != nil {
		return err
	}
	if slot.exists {
		if err := slot.usable(c.slot); err != nil {
			return err
		}
	} else if !c.createSlot {
		return fmt.Errorf("postgres_cdc: slot %q does not exist and %s is false: create it (SELECT pg_create_logical_replication_slot('%s', 'pgoutput')) or set %s: true", c.slot, fieldPgCreateSlot, c.slot, fieldPgCreateSlot)
	}
	if st.repl, err = connectReplication(ctx, c.dsn); err != nil {
		return err
	}
	if slot.exists {
		st.start = slot.confirmed
	} else if st.start, st.snap, err = createSlot(ctx, st.repl, st.query, c); err != nil {
		return err
	}
	st.created = st.snap != nil
	st.tracker = newLSNTracker(st.start)
	return nil
}

// run reads the snapshot, if any, then streams until ctx ends or the
// stream fails.
func (st *cdcSession) run(ctx context.Context) error {
	if st.snap != nil {
		if err := st.readSnapshot(ctx); err != nil || ctx.Err() != nil {
			return err
		}
		st.snapped = true
	}
	err := pglogrepl.StartReplication(ctx, st.repl, st.conf.slot, st.start, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '" + pgOutputProtoVersion + "'", "publication_names '" + st.conf.publication + "'"}})
	if err != nil {
		return fmt.Errorf("postgres_cdc: start replication from slot %q: %w", st.conf.slot, err)
	}
	s := &cdcStream{st: st, rels: map[uint32]*cdcRelation{}}
	return s.loop(ctx)
}

// next waits for the first change, then gathers up to size within period.
func (st *cdcSession) next(ctx context.Context, size int, period time.Duration, maxInFlight int) (service.MessageBatch, []uint64, error) {
	for st.tracker.inFlight() >= maxInFlight {
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-st.done:
			return nil, nil, errCDCStreamEnded
		case <-time.After(5 * time.Millisecond):
		}
	}
	var first cdcChange
	select {
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	case <-st.done:
		return nil, nil, errCDCStreamEnded
	case first = <-st.out:
	}
	batch, seqs := service.MessageBatch{first.msg}, []uint64{first.seq}
	var until <-chan time.Time
	if period > 0 {
		t := time.NewTimer(period)
		defer t.Stop()
		until = t.C
	}
	for len(batch) < size {
		var c cdcChange
		if period > 0 {
			select {
			case c = <-st.out:
			case <-until:
				return batch, seqs, nil
			}
		} else {
			select {
			case c = <-st.out:
			default:
				return batch, seqs, nil
			}
		}
		batch, seqs = append(batch, c.msg), append(seqs, c.seq)
	}
	return batch, seqs, nil
}

// err is why the stream ended.
func (st *cdcSession) err() error {
	<-st.done
	if st.runErr == nil {
		return errCDCStreamEnded
	}
	return st.runErr
}

// close ends the stream (confirming what was acknowledged) and the
// connections; safe to call twice.
func (st *cdcSession) close() {
	st.once.Do(func() {
		st.cancel()
		<-st.done
		st.closeConns()
	})
}

func (st *cdcSession) closeConns() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if st.snap != nil {
		_ = st.snap.Rollback(ctx)
	}
	if st.repl != nil {
		_ = st.repl.Close(ctx)
	}
	if st.query != nil {
		_ = st.query.Close(ctx)
	}
	st.dropUnfinishedSlot(ctx)
}

// dropUnfinishedSlot drops the slot this session created if its snapshot
// was not read to the end: a slot that exists is resumed without one, so
// the next start takes the snapshot again instead of missing rows. (A
// crash cannot do this: docs/deploy.md says to drop the slot by hand.)
func (st *cdcSession) dropUnfinishedSlot(ctx context.Context) {
	if !st.created || st.snapped {
		return
	}
	// a connection of its own: the snapshot's was closed by its cancelled read
	conn, err := connectQuery(ctx, st.conf.dsn)
	for deadline := time.Now().Add(4 * time.Second); err == nil; time.Sleep(20 * time.Millisecond) {
		// the walsender of the closed replication connection may still hold it
		if _, err = conn.Exec(ctx, "SELECT pg_drop_replication_slot($1)", st.conf.slot); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if conn != nil {
		_ = conn.Close(ctx)
	}
	if err != nil {
		st.log.Warnf("postgres_cdc: stopped during the snapshot and could not drop slot %q (drop it before the next start, or rows are missed): %v", st.conf.slot, err)
	}
}
